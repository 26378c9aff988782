import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import https from "node:https";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import type Dockerode from "dockerode";
import { EngineError } from "../../core/errors.js";
import { resolveEngineAddress } from "./connection.js";
import type { DockerEnv } from "./connection.js";
import { parseSshUrl } from "./ssh-transport.js";
import type { SshTarget } from "./ssh-transport.js";

/** The name the Docker CLI gives the engine that DOCKER_HOST (or the local socket) names. */
export const DEFAULT_CONTEXT = "default";

/** What chose the engine, in the Docker CLI's order of precedence. */
export type EngineSource =
  | "--context" // the command line
  | "DOCKER_HOST"
  | "DOCKER_CONTEXT"
  | "config.json" // currentContext, set by `docker context use`
  | "default"; // nothing set: the local socket

/** TLS material for an https engine: files to read, and whether to skip verification. */
export interface EngineTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** `SkipTLSVerify` of a context: accept any server certificate. */
  readonly skipVerify: boolean;
}

/** The engine to use and how to reach it, before any file with secrets is read. */
export interface ResolvedEngine {
  /** For messages: `unix:///var/run/docker.sock`, `tcp://h:2376`, `ssh://user@h:22`. */
  readonly address: string;
  /** The Docker context: `default` unless a context was chosen. */
  readonly context: string;
  readonly source: EngineSource;
  /** Transport options for dockerode, without TLS material or an ssh agent. */
  readonly options: Dockerode.DockerOptions;
  /** Set when the engine speaks https. */
  readonly tls?: EngineTls;
  /** Set for `ssh://` engines: the connection goes through an ssh transport. */
  readonly ssh?: SshTarget;
  /** Things the user should know that do not stop the command (an unreadable config.json). */
  readonly warnings: readonly string[];
}

/** Options of {@link resolveEngine}. */
export interface ResolveEngineOptions {
  /** `--context NAME`: wins over everything, DOCKER_HOST included, as in the Docker CLI. */
  readonly context?: string | undefined;
}

function unavailable(message: string, cause?: unknown): EngineError {
  return new EngineError("unavailable", message, cause === undefined ? undefined : { cause });
}

/** `$DOCKER_CONFIG`, else `~/.docker` (HOME from `env`, as the Docker CLI reads it). */
export function dockerConfigDir(env: DockerEnv): string {
  const configured = env["DOCKER_CONFIG"];
  if (configured !== undefined && configured !== "") return configured;
  const home = env["HOME"];
  return path.join(home !== undefined && home !== "" ? home : os.homedir(), ".docker");
}

/** The directory name of context `name` in the store: the SHA-256 of the name, in hex. */
export function contextDirName(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}

/**
 * The context name the Docker CLI would use: `--context`, else `default` when DOCKER_HOST is
 * set, else DOCKER_CONTEXT, else `currentContext` of config.json, else `default`. Checked
 * against the CLI's resolveContextName (cli/command/cli.go).
 */
export function resolveContextName(
  env: DockerEnv,
  options: ResolveEngineOptions,
  configDir: string,
  warnings: string[],
): { readonly name: string; readonly source: EngineSource } {
  if (options.context !== undefined && options.context !== "")
    return { name: options.context, source: "--context" };
  if ((env["DOCKER_HOST"] ?? "") !== "") return { name: DEFAULT_CONTEXT, source: "DOCKER_HOST" };
  const fromEnv = env["DOCKER_CONTEXT"];
  if (fromEnv !== undefined && fromEnv !== "") return { name: fromEnv, source: "DOCKER_CONTEXT" };
  const current = readCurrentContext(configDir, warnings);
  if (current !== undefined) return { name: current, source: "config.json" };
  return { name: DEFAULT_CONTEXT, source: "default" };
}

function readCurrentContext(configDir: string, warnings: string[]): string | undefined {
  const file = path.join(configDir, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    warnings.push(`cannot read ${file} (${String(err)}); using the default engine`);
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { currentContext?: unknown };
    return typeof parsed.currentContext === "string" && parsed.currentContext !== ""
      ? parsed.currentContext
      : undefined;
  } catch (err) {
    // The Docker CLI also warns and goes on without the file.
    warnings.push(`${file} is not valid JSON (${String(err)}); using the default engine`);
    return undefined;
  }
}

interface ContextEndpoint {
  readonly host: string;
  readonly skipTlsVerify: boolean;
}

/** Reads the docker endpoint of context `name` from `<configDir>/contexts/meta/<sha256>/meta.json`. */
export function readContextEndpoint(configDir: string, name: string): ContextEndpoint {
  const file = path.join(configDir, "contexts", "meta", contextDirName(name), "meta.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw unavailable(
        `context "${name}" does not exist (no ${file}); \`docker context ls\` lists the contexts`,
        err,
      );
    }
    throw unavailable(`cannot read context "${name}" (${file}): ${String(err)}`, err);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (err) {
    throw unavailable(`context "${name}": ${file} is not valid JSON (${String(err)})`, err);
  }
  const docker = (meta as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } })
    ?.Endpoints?.docker;
  if (typeof docker !== "object" || docker === null) {
    throw unavailable(`context "${name}" has no docker endpoint (${file})`);
  }
  return {
    host: typeof docker.Host === "string" ? docker.Host : "",
    skipTlsVerify: docker.SkipTLSVerify === true,
  };
}

/** The context's TLS files that exist, from `<configDir>/contexts/tls/<sha256>/docker/`. */
function contextTlsFiles(configDir: string, name: string): Omit<EngineTls, "skipVerify"> {
  const dir = path.join(configDir, "contexts", "tls", contextDirName(name), "docker");
  const file = (base: string): string | undefined => {
    const p = path.join(dir, base);
    return existsSync(p) ? p : undefined;
  };
  const ca = file("ca.pem");
  const cert = file("cert.pem");
  const key = file("key.pem");
  return {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
  };
}

/** An address from DOCKER_HOST (and the TLS variables), or from a context with its TLS. */
function fromHost(
  host: string,
  env: DockerEnv,
  context:
    | { readonly name: string; readonly configDir: string; readonly skipTlsVerify: boolean }
    | undefined,
): Pick<ResolvedEngine, "address" | "options" | "tls" | "ssh"> {
  const trimmed = host.trim();
  if (trimmed.startsWith("ssh://")) {
    const ssh = parseSshUrl(trimmed);
    return { address: ssh.url, options: {}, ssh };
  }
  if (context === undefined) {
    // DOCKER_HOST: the existing resolver, with the CLI's default certificate directory.
    const tlsVerify = (env["DOCKER_TLS_VERIFY"] ?? "") !== "" && env["DOCKER_TLS_VERIFY"] !== "0";
    const certPath = env["DOCKER_CERT_PATH"] ?? "";
    const resolved = resolveEngineAddress(
      tlsVerify && certPath === "" ? { ...env, DOCKER_CERT_PATH: dockerConfigDir(env) } : env,
    );
    return {
      address: resolved.address,
      options: resolved.options,
      ...(resolved.tlsFiles !== undefined && { tls: { ...resolved.tlsFiles, skipVerify: false } }),
    };
  }
  // A context: https exactly when it has TLS material or skips verification (the CLI's
  // Endpoint.tlsConfig), whatever the port.
  const resolved = resolveEngineAddress({ DOCKER_HOST: trimmed === "" ? undefined : trimmed });
  if (resolved.options.socketPath !== undefined) {
    return { address: resolved.address, options: resolved.options };
  }
  const files = contextTlsFiles(context.configDir, context.name);
  const https = context.skipTlsVerify || Object.keys(files).length > 0;
  // tcp://host without a port: 2376 with TLS, 2375 without, as for DOCKER_HOST.
  const port = /:\d+\/?$/.test(trimmed) ? resolved.options.port : https ? 2376 : 2375;
  return {
    address: resolved.address.replace(/:\d+$/, `:${String(port)}`),
    options: { ...resolved.options, protocol: https ? "https" : "http", port },
    ...(https && { tls: { ...files, skipVerify: context.skipTlsVerify } }),
  };
}

/**
 * Resolves the engine in the Docker CLI's order: `--context`, DOCKER_HOST, DOCKER_CONTEXT,
 * `currentContext` in `$DOCKER_CONFIG/config.json` (default `~/.docker`), else the local
 * socket. The `default` context is what DOCKER_HOST (with DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH) or the local socket names; any other is read from
 * `contexts/meta/<sha256 of name>/meta.json` (`Endpoints.docker.Host`, `SkipTLSVerify`), its TLS
 * files from `contexts/tls/<sha256>/docker/{ca,cert,key}.pem`. Reads only those small files and
 * never contacts the engine. Throws an `unavailable` EngineError for a context that does not
 * exist or cannot be read (exit 3: the engine cannot be reached), an `invalid` one for an
 * address it cannot use.
 */
export function resolveEngine(env: DockerEnv, options: ResolveEngineOptions = {}): ResolvedEngine {
  const warnings: string[] = [];
  const configDir = dockerConfigDir(env);
  const { name, source } = resolveContextName(env, options, configDir, warnings);
  if (name === DEFAULT_CONTEXT) {
    const host = env["DOCKER_HOST"] ?? "";
    return { ...fromHost(host, env, undefined), context: name, source, warnings };
  }
  const endpoint = readContextEndpoint(configDir, name);
  let resolved: Pick<ResolvedEngine, "address" | "options" | "tls" | "ssh">;
  try {
    resolved = fromHost(endpoint.host, env, {
      name,
      configDir,
      skipTlsVerify: endpoint.skipTlsVerify,
    });
  } catch (err) {
    if (err instanceof EngineError) {
      throw new EngineError(err.kind, `context "${name}": ${err.message}`, { cause: err });
    }
    throw err;
  }
  return { ...resolved, context: name, source, warnings };
}

/** `ssh://root@h:22, context prod` or `unix:///var/run/docker.sock`: which engine, for the user. */
export function describeEngine(resolved: ResolvedEngine): string {
  return resolved.context === DEFAULT_CONTEXT
    ? resolved.address
    : `${resolved.address}, context ${resolved.context}`;
}

/**
 * Complete dockerode options for `resolved`: TLS files read (an `invalid` EngineError names a
 * file that cannot be read), the ssh transport's `agent` for `ssh://` engines (required
 * then). Every transport key is set, to undefined where unused: docker-modem merges its own
 * defaults from DOCKER_HOST, DOCKER_CERT_PATH and DOCKER_TLS_VERIFY under ours, which would
 * otherwise send a `--context` choice to DOCKER_HOST's engine or speak https to a socket.
 */
export function loadEngineOptions(
  resolved: ResolvedEngine,
  transport?: { readonly agent: http.Agent },
): Dockerode.DockerOptions {
  const blank = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    agent: undefined,
    sshOptions: undefined,
    username: undefined,
  };
  if (resolved.ssh !== undefined) {
    if (transport === undefined) {
      throw new Error(`loadEngineOptions: ${resolved.address} needs an ssh transport's agent`);
    }
    // The host only names the HTTP origin (and the Host header); ssh decides where to go.
    return {
      ...blank,
      protocol: "http",
      host: "docker",
      agent: transport.agent,
    } as Dockerode.DockerOptions;
  }
  if (resolved.tls === undefined) {
    return { ...blank, protocol: "http", ...resolved.options } as Dockerode.DockerOptions;
  }
  const read = (file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new EngineError("invalid", `cannot read TLS file ${file}: ${String(err)}`, {
        cause: err,
      });
    }
  };
  const { tls } = resolved;
  return {
    ...blank,
    ...resolved.options,
    protocol: "https",
    ca: read(tls.ca),
    cert: read(tls.cert),
    key: read(tls.key),
    // docker-modem passes no rejectUnauthorized of its own; the agent's applies.
    ...(tls.skipVerify && { agent: new https.Agent({ rejectUnauthorized: false }) }),
  } as Dockerode.DockerOptions;
}
