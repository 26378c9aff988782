/**
 * Watch-loop flood bench (not run in CI): deploy 20 services x 20 replicas, start `stack
 * deploy --watch` (built CLI), restart all 400 containers through the raw engine API at
 * once, and measure how long until every replica runs again and the watcher has gone quiet
 * (its last output line, after which it printed nothing for QUIET_MS), with the watcher's
 * RSS before and after the flood and its peak.
 *
 * Run: npm run build && npx tsx bench/watch-flood.ts   (needs a Docker engine)
 */
import { spawn } from "node:child_process";
import pLimit from "p-limit";
import { CLI, cleanup, docker, memoryOf, PARALLEL, runCli, stackFile } from "./scale-helpers.js";

const QUIET_MS = 5_000;
const NAME = "watchflood";

async function main(): Promise<void> {
  const file = stackFile(20, 20);
  const up = await runCli(["deploy", "-c", file, NAME, "--progress", "quiet"]);
  if (up.code !== 0) throw new Error(`deploy failed: ${up.stderr.slice(-2000)}`);
  const watcher = spawn(
    process.execPath,
    [CLI, "deploy", "-c", file, NAME, "--watch", "--progress", "plain"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let lastOutput = performance.now();
  let lines = 0;
  const seen = (d: Buffer) => {
    lastOutput = performance.now();
    lines += d.toString().split("\n").length - 1;
  };
  watcher.stdout.on("data", seen);
  watcher.stderr.on("data", seen);
  const quiet = async () => {
    while (performance.now() - lastOutput < QUIET_MS) await new Promise((r) => setTimeout(r, 200));
  };
  await quiet();
  const pid = watcher.pid!;
  const before = memoryOf(pid)!;
  const linesBefore = lines;

  const list = await docker.listContainers({ filters: { label: [`stack.name=${NAME}`] } });
  const t0 = performance.now();
  const limit = pLimit(PARALLEL * 4);
  await Promise.all(list.map((c) => limit(() => docker.getContainer(c.Id).restart({ t: 1 }))));
  const restartedAt = performance.now() - t0;
  for (;;) {
    const running = await docker.listContainers({
      filters: { label: [`stack.name=${NAME}`], status: ["running"] },
    });
    if (running.length === list.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const allRunning = performance.now() - t0;
  await quiet();
  const settled = Math.max(allRunning, lastOutput - t0);
  const after = memoryOf(pid)!;
  watcher.kill("SIGINT");
  await new Promise((r) => watcher.once("exit", r));
  await cleanup(`stack.name=${NAME}`);
  console.log(`watch flood: ${list.length} containers restarted through the raw API`);
  console.log(`  raw restarts done after      ${(restartedAt / 1000).toFixed(2)} s`);
  console.log(`  all replicas running after   ${(allRunning / 1000).toFixed(2)} s`);
  console.log(
    `  watcher settled after        ${(settled / 1000).toFixed(2)} s (${lines - linesBefore} lines printed)`,
  );
  console.log(
    `  watcher RSS before ${before.rss.toFixed(0)} MiB, after ${after.rss.toFixed(0)} MiB, peak ${after.peak.toFixed(0)} MiB`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
