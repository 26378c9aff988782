/**
 * Scale bench (not run in CI): 200 services x 1 replica and 20 services x 20 replicas
 * converged from empty by the built CLI, an unchanged redeploy, and `ps` of the 400
 * containers, each beside the raw engine API doing the same work in the same run, with the
 * peak RSS of the `stack` process.
 *
 * Run: npm run build && npx tsx bench/scale.ts   (needs a Docker engine and the test images)
 */
import pLimit from "p-limit";
import { cleanup, docker, IMAGE, PARALLEL, rawDeploy, runCli, stackFile } from "./scale-helpers.js";

/** The reference for `ps`: list the stack's containers and inspect each, as `ps` reports. */
async function rawPs(label: string): Promise<number> {
  const t0 = performance.now();
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  const limit = pLimit(PARALLEL);
  await Promise.all(list.map((c) => limit(() => docker.getContainer(c.Id).inspect())));
  return performance.now() - t0;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  console.log(`scale bench: image ${IMAGE}, ${PARALLEL} engine calls at once`);
  for (const [services, replicas] of [
    [200, 1],
    [20, 20],
  ] as const) {
    const n = services * replicas;
    const rawName = `scaleraw${services}x${replicas}`;
    const raw = await rawDeploy(rawName, services, replicas);
    const rawList = await rawPs(`bench.raw=${rawName}`);
    await cleanup(`bench.raw=${rawName}`);

    const name = `scale${services}x${replicas}`;
    const file = stackFile(services, replicas);
    const up = await runCli([
      "deploy",
      "-c",
      file,
      name,
      "--progress",
      "quiet",
      "--parallel",
      String(PARALLEL),
    ]);
    if (up.code !== 0) throw new Error(`deploy failed (${up.code}): ${up.stderr.slice(-2000)}`);
    const again = await runCli(["deploy", "-c", file, name, "--progress", "quiet"]);
    const ps = await runCli(["ps", name, "--format", "json"]);
    const rows = (JSON.parse(ps.stdout) as unknown[]).length;
    await cleanup(`stack.name=${name}`);
    console.log(`${services} services x ${replicas} replicas (${n} containers)`);
    console.log(
      `  converge from empty   stack ${fmt(up.ms)} (peak RSS ${up.peakMiB.toFixed(0)} MiB)   raw API ${fmt(raw)}   ratio ${(up.ms / raw).toFixed(2)}x`,
    );
    console.log(
      `  unchanged redeploy    stack ${fmt(again.ms)} (peak RSS ${again.peakMiB.toFixed(0)} MiB)`,
    );
    console.log(
      `  ps of ${rows} rows        stack ${fmt(ps.ms)} (peak RSS ${ps.peakMiB.toFixed(0)} MiB)   raw list+inspect ${fmt(rawList)} (stack time includes ~0.3 s node start-up)`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
