import type { Engine } from "./engine.js";
import { DockerEngine } from "./docker/docker-engine.js";
import { SwarmEngine } from "./swarm/swarm-engine.js";

/** The engine drivers: plain containers on one engine, or services on a Docker Swarm. */
export type DriverName = "docker" | "swarm";

/** Options of {@link connectEngine} and {@link selectEngine}. */
export interface ConnectOptions {
  /** Force a driver; default: {@link selectEngine} picks, {@link connectEngine} uses docker. */
  readonly driver?: DriverName;
}

/**
 * The engine driver for the environment `env` (DOCKER_HOST, DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH, as the Docker CLI reads them): the docker driver unless
 * `options.driver` says swarm. Does not contact the engine: an unreachable one fails on its
 * first call with an `unavailable` EngineError. Throws an `invalid` EngineError for an
 * unsupported DOCKER_HOST or unreadable TLS files.
 */
export function connectEngine(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ConnectOptions = {},
): Engine {
  return options.driver === "swarm" ? SwarmEngine.fromEnv(env) : DockerEngine.fromEnv(env);
}

/**
 * The engine driver for `env`, chosen: `options.driver` when given; else swarm when the
 * engine is an active swarm manager, docker otherwise (also when it cannot be reached: the
 * first real call then reports that). `reason` says why, for the user.
 */
export async function selectEngine(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ConnectOptions = {},
): Promise<{ readonly engine: Engine; readonly reason: string }> {
  if (options.driver !== undefined) {
    return { engine: connectEngine(env, options), reason: "chosen with --driver" };
  }
  const docker = DockerEngine.fromEnv(env);
  let manager = false;
  try {
    manager = (await docker.ping()).swarmManager;
  } catch {
    return { engine: docker, reason: "the engine did not answer" };
  }
  return manager
    ? { engine: SwarmEngine.fromEnv(env), reason: "the engine is an active swarm manager" }
    : { engine: docker, reason: "the engine is not a swarm manager" };
}
