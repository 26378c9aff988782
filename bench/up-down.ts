/**
 * Bench (not run in CI): bringing the microblog example up and down for a test suite, three
 * ways in one run on one engine:
 *
 *   up() / down()        the library handle, in this process (as a vitest beforeAll/afterAll)
 *   stack CLI            `stack deploy --wait` then `stack rm --volumes`, one process each
 *   compose v2           `docker-compose up -d --wait` then `down -v` (scripts/bench-setup.sh)
 *
 * Every way deploys examples/microblog/stack.yml with the test override
 * (examples/microblog/test/stack.test.yml: the app on a port the engine picks) on the
 * offline images (scripts/build-example-images.sh; the app's image is built once before
 * measuring), and removes containers, networks and the MySQL volume. Each up is checked by
 * an HTTP request to the app's /health, each down by counting what is left, so a tool that
 * did less does not look fast. Rounds interleave the ways; figures are medians.
 *
 * Run: npm run build && npx tsx bench/up-down.ts [--runs 3] [--ways up,cli,compose]
 *        [--compose-v2 PATH]
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import { up } from "../src/index.js";

type Way = "up" | "cli" | "compose";
const WAYS: readonly Way[] = ["up", "cli", "compose"];
const LABELS: Record<Way, string> = {
  up: "up() / down() (in process)",
  cli: "stack deploy --wait / stack rm --volumes (CLI processes)",
  compose: "docker-compose v2 up -d --wait / down -v",
};

const CLI = resolve("dist/cli/main.js");
const FILES = [
  resolve("examples/microblog/stack.yml"),
  resolve("examples/microblog/test/stack.test.yml"),
];
const ENV: Record<string, string> = {
  MICROBLOG_IMAGE: "stack-example/microblog:tests",
  MICROBLOG_BASE_IMAGE: "stack-example/debian-base:bookworm",
  MYSQL_IMAGE: "stack-example/mariadb:bookworm",
  ES_IMAGE: "stack-test/es-standin:latest",
};
const docker = new Docker();

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function run(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...ENV },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? done() : fail(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${stderr}`)),
    );
  });
}

/** The app's /health status through the host port published for container port 5000. */
async function health(hostPort: number): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(
      { host: "127.0.0.1", port: hostPort, path: "/health", headers: { connection: "close" } },
      (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode ?? 0));
      },
    );
    req.on("error", fail);
    req.end();
  });
}

/** The host port of the microblog container of stack/project `name` (by either tool's labels). */
async function appPort(name: string): Promise<number> {
  const list = await docker.listContainers({
    filters: { label: [`stack.name=${name}`] },
  });
  const compose = await docker.listContainers({
    filters: { label: [`com.docker.compose.project=${name}`] },
  });
  for (const c of [...list, ...compose]) {
    const p = c.Ports.find((x) => x.PrivatePort === 5000 && x.PublicPort !== undefined);
    if (p !== undefined) return p.PublicPort;
  }
  throw new Error(`no published port 5000 in ${name}`);
}

/** Containers, networks and volumes left of `name` (either tool's labels). */
async function left(name: string): Promise<number> {
  let n = 0;
  for (const label of [`stack.name=${name}`, `com.docker.compose.project=${name}`]) {
    const filters = { label: [label] };
    n += (await docker.listContainers({ all: true, filters })).length;
    n += (await docker.listNetworks({ filters })).length;
    n += ((await docker.listVolumes({ filters })).Volumes ?? []).length;
  }
  return n;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function once(
  way: Way,
  round: number,
  composeBin: string,
): Promise<{ up: number; down: number }> {
  const name = `bench-updown-${way}-${process.pid}-${round}`;
  let upMs: number;
  let downMs: number;
  switch (way) {
    case "up": {
      let env: Awaited<ReturnType<typeof up>> | undefined;
      upMs = await timed(async () => {
        env = await up({ files: FILES, env: ENV, stack: name });
      });
      if ((await health(await appPort(name))) !== 200) throw new Error(`${way}: not healthy`);
      downMs = await timed(() => env!.down());
      break;
    }
    case "cli": {
      const files = FILES.flatMap((f) => ["-c", f]);
      upMs = await timed(() =>
        run(process.execPath, [CLI, "deploy", ...files, "--wait", "--progress", "quiet", name]),
      );
      if ((await health(await appPort(name))) !== 200) throw new Error(`${way}: not healthy`);
      downMs = await timed(() =>
        run(process.execPath, [CLI, "rm", "--volumes", "--progress", "quiet", name]),
      );
      break;
    }
    case "compose": {
      const files = FILES.flatMap((f) => ["-f", f]);
      upMs = await timed(() => run(composeBin, ["-p", name, ...files, "up", "-d", "--wait"]));
      if ((await health(await appPort(name))) !== 200) throw new Error(`${way}: not healthy`);
      downMs = await timed(() => run(composeBin, ["-p", name, ...files, "down", "-v"]));
      break;
    }
  }
  const remaining = await left(name);
  if (remaining !== 0) throw new Error(`${way}: ${remaining} objects left after down`);
  return { up: upMs, down: downMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      ways: { type: "string", default: WAYS.join(",") },
      "compose-v2": {
        type: "string",
        default: `${process.env["STACK_BENCH_CACHE"] ?? "/var/cache/stack-bench"}/compose-v2/docker-compose`,
      },
    },
  });
  const runs = Number(values.runs);
  const composeBin = values["compose-v2"];
  let ways = values.ways.split(",") as Way[];
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build`);
  if (ways.includes("compose") && !existsSync(composeBin)) {
    console.error(`compose v2 not found at ${composeBin} (scripts/bench-setup.sh): left out`);
    ways = ways.filter((w) => w !== "compose");
  }
  // Builds the app's image once (if missing) and loads the library, so no round pays for it.
  console.error("warm-up: building the app image if missing");
  await once("up", -1, composeBin);

  const results = new Map<Way, { up: number[]; down: number[] }>(
    ways.map((w) => [w, { up: [], down: [] }]),
  );
  for (let round = 0; round < runs; round++) {
    for (const way of ways) {
      const r = await once(way, round, composeBin);
      results.get(way)!.up.push(r.up);
      results.get(way)!.down.push(r.down);
      console.error(
        `round ${round + 1} ${way}: up ${(r.up / 1000).toFixed(2)} s, down ${(r.down / 1000).toFixed(2)} s`,
      );
    }
  }
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  console.log(`microblog (mysql + elasticsearch + app), median of ${runs} runs\n`);
  console.log("| way | up (ready) | down | total |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const way of ways) {
    const r = results.get(way)!;
    const u = median(r.up);
    const d = median(r.down);
    console.log(`| ${LABELS[way]} | ${s(u)} | ${s(d)} | ${s(u + d)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
