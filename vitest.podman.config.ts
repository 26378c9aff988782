import { execFileSync } from "node:child_process";
import { defineConfig } from "vitest/config";

/**
 * The real-engine suite's core scenarios run again against Podman's Docker-compatible API
 * (a rootful engine of its own, scripts/podman-engine.sh): deploy, DNS between services,
 * healthy waits, unchanged redeploy, rolling update, scale, rm (deploy.test.ts), the engine
 * calls where Podman differs (docker-engine.test.ts), --watch restart counts
 * (supervise.test.ts), the ingress with the get-started lab, secrets, and Ctrl-C of logs -f
 * and of an ingress wait. The same files run against the default engine in vitest.config.ts;
 * where expectations differ they branch on the engine the driver detects. Run by
 * scripts/test.sh after the main suite: `npx vitest run --config vitest.podman.config.ts`.
 */
export const PODMAN_SCENARIOS = [
  "test/integration/docker/deploy.test.ts",
  "test/integration/docker/docker-engine.test.ts",
  "test/integration/docker/supervise.test.ts",
  "test/e2e/getstartedlab.test.ts",
  "test/e2e/secrets.test.ts",
  "test/e2e/interrupt.test.ts",
];

const socket = execFileSync("bash", ["scripts/podman-engine.sh", "socket"], {
  encoding: "utf8",
}).trim();

export default defineConfig({
  test: {
    name: "podman",
    include: PODMAN_SCENARIOS,
    // Starts the engine (idempotent; cheap when it is up) and leaves it running: whoever
    // started it stops it (scripts/test.sh in its EXIT trap).
    globalSetup: ["test/podman/global-setup.ts"],
    env: { DOCKER_HOST: socket },
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
