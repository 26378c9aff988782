import type { Driver } from "../core/driver.js";
import type { ConnectOptions } from "./connect-driver.js";

/**
 * The engine driver for `env`, chosen: `options.driver` when given; else swarm when the
 * engine is an active swarm manager, docker otherwise (also when it cannot be reached: the
 * first real call then reports that). `reason` says why, for the user. The drivers (and
 * dockerode with them) are imported here on first use, so CLI commands that never reach an
 * engine (`config`, `--help`, invalid input) start in a fraction of the time.
 */
export async function selectDriver(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ConnectOptions = {},
): Promise<{ readonly driver: Driver; readonly reason: string }> {
  const { connectDriver } = await import("./connect-driver.js");
  if (options.driver !== undefined) {
    return { driver: connectDriver(env, options), reason: "chosen with --driver" };
  }
  const docker = connectDriver(env, { driver: "docker" });
  let manager = false;
  try {
    manager = (await docker.ping()).swarmManager;
  } catch {
    return { driver: docker, reason: "the engine did not answer" };
  }
  return manager
    ? {
        driver: connectDriver(env, { driver: "swarm" }),
        reason: "the engine is an active swarm manager",
      }
    : { driver: docker, reason: "the engine is not a swarm manager" };
}
