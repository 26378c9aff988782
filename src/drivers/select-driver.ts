import type { Driver } from "../core/driver.js";
import type { ConnectOptions } from "./connect-driver.js";

/** The driver {@link selectDriver} chose, why, and what the user should know about the engine. */
export interface DriverSelection {
  readonly driver: Driver;
  /** Why this driver, for the user: "the engine is an active swarm manager". */
  readonly reason: string;
  /** Warnings from resolving the engine (an unreadable config.json), to print as warnings. */
  readonly warnings: readonly string[];
}

/**
 * The engine driver for `env` and `options.context`, chosen: `options.driver` when given;
 * else swarm when the engine is an active swarm manager, docker otherwise (also when it
 * cannot be reached: the first real call then reports that). Both candidates reach the
 * engine the same way (an `ssh://` engine through one shared login). `reason` says why, for
 * the user. The drivers (and dockerode with them) are imported here on first use, so CLI
 * commands that never reach an engine (`config`, `--help`, invalid input) start in a
 * fraction of the time. Throws an `unavailable` EngineError for an unknown context.
 */
export async function selectDriver(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ConnectOptions = {},
): Promise<DriverSelection> {
  const { connectDriver, connectionWarnings } = await import("./connect-driver.js");
  const warnings = connectionWarnings(env, options);
  if (options.driver !== undefined) {
    return { driver: connectDriver(env, options), reason: "chosen with --driver", warnings };
  }
  const docker = connectDriver(env, { ...options, driver: "docker" });
  let manager = false;
  try {
    manager = (await docker.ping()).swarmManager;
  } catch {
    return { driver: docker, reason: "the engine did not answer", warnings };
  }
  return manager
    ? {
        driver: connectDriver(env, { ...options, driver: "swarm" }),
        reason: "the engine is an active swarm manager",
        warnings,
      }
    : { driver: docker, reason: "the engine is not a swarm manager", warnings };
}
