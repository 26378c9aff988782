/**
 * Deploy benchmark (issue: the reconciler): converge 50 services x 1 replica and 5 services x
 * 10 replicas from empty, beside the raw engine API creating and starting the same containers
 * with the same concurrency in the same run; then an unchanged redeploy of the 50 services.
 *
 * Run: npx tsx bench/deploy.ts   (needs a Docker engine and scripts/build-test-images.sh)
 */
import { deployStack } from "../src/api/deploy.js";
import { removeStack } from "../src/api/remove.js";
import { connectDriver } from "../src/drivers/connect-driver.js";
import { nullSink } from "../src/progress/events.js";
import { cleanup, IMAGE, PARALLEL, rawDeploy, stackFile } from "./scale-helpers.js";

async function stackDeploy(name: string, file: string): Promise<number> {
  const t0 = performance.now();
  const result = await deployStack({
    files: [file],
    envFiles: [],
    cwd: process.cwd(),
    env: {},
    stack: name,
    driver: () => connectDriver(process.env),
    sink: nullSink,
    parallel: PARALLEL,
  });
  if (!result.ok) throw new Error(`deploy of ${name} failed`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const driver = connectDriver(process.env);
  const rows: string[] = [];
  for (const [services, replicas] of [
    [50, 1],
    [5, 10],
  ] as const) {
    const label = `${services} services x ${replicas} replica${replicas > 1 ? "s" : ""}`;
    const file = stackFile(services, replicas);
    const raw = await rawDeploy(`benchraw${services}x${replicas}`, services, replicas);
    await cleanup(`bench.raw=benchraw${services}x${replicas}`);
    const name = `benchstack${services}x${replicas}`;
    const ours = await stackDeploy(name, file);
    let redeploy = "";
    if (services === 50) {
      const again = await stackDeploy(name, file);
      redeploy = `  unchanged redeploy: ${again.toFixed(0)} ms (aim < 500 ms)`;
    }
    await removeStack({ driver, stack: name, volumes: true, sink: nullSink });
    rows.push(
      `${label.padEnd(26)} raw API ${raw.toFixed(0).padStart(6)} ms   stack ${ours.toFixed(0).padStart(6)} ms   ratio ${(ours / raw).toFixed(2)}x (aim <= 1.2x)${redeploy}`,
    );
  }
  console.log(`converge from empty, ${PARALLEL} engine calls at once, image ${IMAGE}`);
  for (const row of rows) console.log(row);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
