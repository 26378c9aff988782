/**
 * `stack ps` benchmark (issue: the live terminal UI): time until the full table of a
 * 100-container stack is printed by the built CLI (`ps --no-watch --format table`, spawned,
 * until it exits), beside `docker ps --filter label=stack.name=NAME` for the same containers
 * spawned the same way in the same run; median of 5 each, then the ratio.
 *
 * Run: npm run build && npx tsx bench/ps.ts   (needs a Docker engine and the test images)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { deployStack } from "../src/api/deploy.js";
import { removeStack } from "../src/api/remove.js";
import { connectDriver } from "../src/drivers/connect-driver.js";
import { LABELS } from "../src/drivers/docker-api/labels.js";
import { nullSink } from "../src/progress/events.js";

const IMAGE = process.env.BENCH_IMAGE ?? "stack-test/busybox:latest";
const REPLICAS = 100;
const RUNS = 5;
const CLI = resolve("dist/cli/main.js");

/** Runs `command` to its exit and returns the wall time in ms; fails on a non-zero exit. */
function timed(command: string, args: readonly string[], expectLines: number): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      const lines = out.trimEnd().split("\n").length;
      if (code !== 0) fail(new Error(`${command} ${args.join(" ")} exited ${code}: ${err}`));
      else if (lines !== expectLines)
        fail(new Error(`${command} printed ${lines} lines, expected ${expectLines}`));
      else done(ms);
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const name = `benchps${process.pid}`;
  const file = join(mkdtempSync(join(tmpdir(), "stack-bench-ps-")), "stack.yml");
  writeFileSync(
    file,
    [
      "services:",
      "  app:",
      `    image: ${IMAGE}`,
      `    command: ["sleep", "3600"]`,
      "    stop_grace_period: 1s",
      "    deploy:",
      `      replicas: ${REPLICAS}`,
      "",
    ].join("\n"),
  );
  const driver = connectDriver(process.env);
  try {
    const result = await deployStack({
      files: [file],
      envFiles: [],
      cwd: process.cwd(),
      env: {},
      stack: name,
      driver: () => driver,
      sink: nullSink,
      parallel: 8,
    });
    if (!result.ok) throw new Error(`deploy of ${name} failed`);

    const ours: number[] = [];
    const reference: number[] = [];
    const startup: number[] = [];
    // Interleaved so both see the same engine load; one header line plus one per container.
    for (let i = 0; i < RUNS; i++) {
      ours.push(
        await timed(
          process.execPath,
          [CLI, "ps", "--no-watch", "--format", "table", name],
          REPLICAS + 1,
        ),
      );
      reference.push(
        await timed(
          "docker",
          ["ps", "--all", "--filter", `label=${LABELS.stack}=${name}`],
          REPLICAS + 1,
        ),
      );
      startup.push(await timed(process.execPath, [CLI, "--version"], 1));
    }
    const a = median(ours);
    const b = median(reference);
    console.log(`stack ps of ${REPLICAS} containers, median of ${RUNS} spawned runs until exit`);
    console.log(`  stack ps --no-watch --format table   ${a.toFixed(0).padStart(6)} ms`);
    console.log(`  docker ps --filter label=...         ${b.toFixed(0).padStart(6)} ms`);
    console.log(`  ratio ${(a / b).toFixed(2)}x`);
    // For reading the ratio: how much of it is the CLI starting at all (Node + imports).
    console.log(`  (stack --version alone: ${median(startup).toFixed(0)} ms)`);
  } finally {
    await removeStack({ driver, stack: name, volumes: true, sink: nullSink });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
