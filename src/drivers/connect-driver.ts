import type { Driver, DriverName } from "../core/driver.js";
import { resolveEngine } from "./docker-api/engine-address.js";
import { DockerDriver } from "./docker/docker-driver.js";
import { SwarmDriver } from "./swarm/swarm-driver.js";

/** Options of {@link connectDriver} and `selectDriver`. */
export interface ConnectOptions {
  /** Force a driver; default: `selectDriver` picks, {@link connectDriver} uses docker. */
  readonly driver?: DriverName;
  /**
   * The Docker context to use (`--context NAME`): wins over DOCKER_HOST, DOCKER_CONTEXT and
   * the current context of the Docker CLI's config.json, as in the Docker CLI.
   */
  readonly context?: string | undefined;
}

/**
 * The engine driver for the environment `env` and `options.context`, the engine resolved in
 * the Docker CLI's order (--context, DOCKER_HOST with DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH, DOCKER_CONTEXT, the current context in $DOCKER_CONFIG/config.json, the
 * local socket): the docker driver unless `options.driver` says swarm. Does not contact the
 * engine: an unreachable one fails on its first call with an `unavailable` EngineError.
 * Throws an `unavailable` EngineError for an unknown context, an `invalid` one for an
 * unsupported address or unreadable TLS files.
 */
export function connectDriver(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ConnectOptions = {},
): Driver {
  const connect = { context: options.context };
  return options.driver === "swarm"
    ? SwarmDriver.fromEnv(env, connect)
    : DockerDriver.fromEnv(env, connect);
}

/**
 * What resolving the engine for `env` and `options.context` has to tell the user without
 * stopping (config.json unreadable or not JSON, so the default engine is used). Throws as
 * {@link connectDriver} does, for an unknown context.
 */
export function connectionWarnings(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ConnectOptions = {},
): readonly string[] {
  return resolveEngine(env, { context: options.context }).warnings;
}
