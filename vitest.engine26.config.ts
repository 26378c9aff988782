import { execFileSync } from "node:child_process";
import { defineConfig } from "vitest/config";

/**
 * A smoke set of the real-engine suite against a current engine, dockerd 26.1 (trixie's
 * docker.io, run beside the default 20.10 engine by scripts/current-engine.sh): the engine
 * calls, deploy/update/scale/rm, and colliding deploys under the stack lock with parallel
 * stops (which take the per-network gate only on engines before 20.10.27). Tests that reach
 * published ports from this machine are left out: that engine lives in its own network
 * namespace. The whole suite runs on 20.10 (vitest.config.ts). Run by
 * scripts/test.sh: `npx vitest run --config vitest.engine26.config.ts`.
 */
export const ENGINE26_SCENARIOS = [
  "test/integration/docker/docker-engine.test.ts",
  "test/integration/docker/deploy.test.ts",
  "test/e2e/deploy-safety.test.ts",
];

const socket = execFileSync("bash", ["scripts/current-engine.sh", "socket"], {
  encoding: "utf8",
}).trim();

export default defineConfig({
  test: {
    name: "dockerd-26",
    include: ENGINE26_SCENARIOS,
    // Starts the engine (idempotent; cheap when it is up) and leaves it running: whoever
    // started it stops it (scripts/test.sh in its EXIT trap).
    globalSetup: ["test/engine26/global-setup.ts"],
    env: { DOCKER_HOST: socket },
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
