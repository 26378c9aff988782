import type { Engine } from "../core/engine.js";
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
