/**
 * Global setup of the Podman project (vitest.podman.config.ts): starts the test Podman engine
 * with scripts/podman-engine.sh (installing Debian's podman when missing, copying the test
 * images in) and checks it serves the socket the project points DOCKER_HOST at. Without it
 * the project fails under CI=true; elsewhere it says why and the engine tests skip (their
 * requireEngine finds no engine).
 */
import { execFileSync } from "node:child_process";

export default function setup(): void {
  const expected = process.env["DOCKER_HOST"];
  try {
    const socket = execFileSync("bash", ["scripts/podman-engine.sh", "up"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 600_000,
    }).trim();
    if (expected !== undefined && socket !== expected)
      throw new Error(`the engine serves ${socket}, the tests use ${expected}`);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (process.env["CI"] === "true")
      throw new Error(`the Podman tests need a Podman engine: ${why}`);
    console.warn(`skipping the Podman tests: ${why}`);
  }
}
