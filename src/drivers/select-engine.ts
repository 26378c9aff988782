import type { ConnectOptions } from "./connect.js";
import type { Engine } from "../core/engine.js";

/**
 * The engine driver for `env`, chosen: `options.driver` when given; else swarm when the
 * engine is an active swarm manager, docker otherwise (also when it cannot be reached: the
 * first real call then reports that). `reason` says why, for the user. The drivers (and
 * dockerode with them) are imported here on first use, so CLI commands that never reach an
 * engine (`config`, `--help`, invalid input) start in a fraction of the time.
 */
export async function selectEngine(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ConnectOptions = {},
): Promise<{ readonly engine: Engine; readonly reason: string }> {
  const { connectEngine } = await import("./connect.js");
  if (options.driver !== undefined) {
    return { engine: connectEngine(env, options), reason: "chosen with --driver" };
  }
  const docker = connectEngine(env, { driver: "docker" });
  let manager = false;
  try {
    manager = (await docker.ping()).swarmManager;
  } catch {
    return { engine: docker, reason: "the engine did not answer" };
  }
  return manager
    ? {
        engine: connectEngine(env, { driver: "swarm" }),
        reason: "the engine is an active swarm manager",
      }
    : { engine: docker, reason: "the engine is not a swarm manager" };
}
