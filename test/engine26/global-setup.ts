/**
 * Global setup of the dockerd 26.1 project (vitest.engine26.config.ts): fetches dockerd 26.1
 * (scripts/bench-setup.sh docker-26, cached) and starts it beside the default engine with the
 * test images (scripts/current-engine.sh), then checks it serves the socket the project points
 * DOCKER_HOST at. Without it the project fails under CI=true; elsewhere it says why and the
 * engine tests skip (their requireEngine finds no engine).
 */
import { execFileSync } from "node:child_process";

const IMAGES = ["stack-test/busybox:latest", "stack-test/busybox:v2"];

export default function setup(): void {
  const expected = process.env["DOCKER_HOST"];
  try {
    execFileSync("bash", ["scripts/bench-setup.sh", "docker-26"], {
      stdio: ["ignore", "ignore", "inherit"],
      timeout: 600_000,
    });
    const socket = execFileSync("bash", ["scripts/current-engine.sh", "up"], {
      encoding: "utf8",
      // The images the scenarios run, copied from the default engine.
      env: { ...process.env, STACK_BENCH_IMAGES: IMAGES.join(" ") },
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 600_000,
    }).trim();
    if (expected !== undefined && socket !== expected)
      throw new Error(`the engine serves ${socket}, the tests use ${expected}`);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (process.env["CI"] === "true")
      throw new Error(`the dockerd 26.1 tests need that engine: ${why}`);
    console.warn(`skipping the dockerd 26.1 tests: ${why}`);
  }
}
