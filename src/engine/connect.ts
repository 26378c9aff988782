import type { Engine } from "./engine.js";
import { DockerEngine } from "./docker/docker-engine.js";

/**
 * The engine driver for the environment `env` (DOCKER_HOST, DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH, as the Docker CLI reads them). Always the docker driver for now; the
 * swarm driver will be chosen here too. Does not contact the engine: an unreachable one
 * fails on its first call with an `unavailable` EngineError. Throws an `invalid`
 * EngineError for an unsupported DOCKER_HOST or unreadable TLS files.
 */
export function connectEngine(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Engine {
  return DockerEngine.fromEnv(env);
}
