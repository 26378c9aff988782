import type { Driver, DriverName } from "../core/driver.js";
import { DockerDriver } from "./docker/docker-driver.js";
import { SwarmDriver } from "./swarm/swarm-driver.js";

/** Options of {@link connectDriver} and `selectDriver`. */
export interface ConnectOptions {
  /** Force a driver; default: `selectDriver` picks, {@link connectDriver} uses docker. */
  readonly driver?: DriverName;
}

/**
 * The engine driver for the environment `env` (DOCKER_HOST, DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH, as the Docker CLI reads them): the docker driver unless
 * `options.driver` says swarm. Does not contact the engine: an unreachable one fails on its
 * first call with an `unavailable` EngineError. Throws an `invalid` EngineError for an
 * unsupported DOCKER_HOST or unreadable TLS files.
 */
export function connectDriver(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ConnectOptions = {},
): Driver {
  return options.driver === "swarm" ? SwarmDriver.fromEnv(env) : DockerDriver.fromEnv(env);
}
