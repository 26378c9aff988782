import type Dockerode from "dockerode";
import type { DockerEnv } from "./connection.js";
import { describeEngine, loadEngineOptions, resolveEngine } from "./engine-address.js";
import type { ResolvedEngine } from "./engine-address.js";
import { sharedSshTransport } from "./ssh-transport.js";

/** Options of {@link connectEngine}. */
export interface ConnectEngineOptions {
  /** `--context NAME`: wins over DOCKER_HOST, DOCKER_CONTEXT and config.json's currentContext. */
  readonly context?: string | undefined;
}

/** Options of `DockerEngine.fromEnv` and `SwarmEngine.fromEnv`. */
export interface EngineFromEnvOptions extends ConnectEngineOptions {
  /** Written into the `stack.version` label; defaults to this package's version. */
  readonly stackVersion?: string;
}

/** How a Docker-API engine client reaches its engine: what `new Dockerode(...)` needs, and more. */
export interface EngineConnection {
  /** For messages: `unix:///var/run/docker.sock`, or `ssh://user@host, context prod`. */
  readonly address: string;
  /** Complete transport options for dockerode (TLS files read, the ssh agent set). */
  readonly dockerOptions: Dockerode.DockerOptions;
  /**
   * True unless the engine is reached through a unix socket on this machine: file paths in
   * the stack (bind-mount sources) then name files on another host.
   */
  readonly remote: boolean;
  /** Things the user should know that do not stop the command (config.json unreadable). */
  readonly warnings: readonly string[];
}

/** True when `resolved` is not this machine's engine: ssh://, tcp:// (or https). */
export function isRemoteEngine(resolved: ResolvedEngine): boolean {
  return resolved.ssh !== undefined || resolved.options.socketPath === undefined;
}

/**
 * The connection to the engine `env` (and `--context`) names, in the Docker CLI's order
 * (see `resolveEngine`): the one place both drivers' engine clients get their transport.
 * An `ssh://` engine goes through the process-wide ssh transport for its URL, so every
 * client made in one process (the ping that picks the driver, then the driver) shares one
 * login. Reads only the small context and TLS files; never contacts the engine. Throws an
 * `unavailable` EngineError for an unknown or unreadable context, an `invalid` one for an
 * address it cannot use or a TLS file it cannot read.
 */
export function connectEngine(
  env: DockerEnv,
  options: ConnectEngineOptions = {},
): EngineConnection {
  const resolved = resolveEngine(env, { context: options.context });
  const transport =
    resolved.ssh === undefined ? undefined : sharedSshTransport(resolved.ssh, { env });
  return {
    address: describeEngine(resolved),
    dockerOptions: loadEngineOptions(resolved, transport),
    remote: isRemoteEngine(resolved),
    warnings: resolved.warnings,
  };
}
