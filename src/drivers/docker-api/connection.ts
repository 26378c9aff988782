import { readFileSync } from "node:fs";
import path from "node:path";
import type Dockerode from "dockerode";
import { EngineError } from "../../core/errors.js";

/** Default engine socket on Linux when DOCKER_HOST is unset. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** Where the engine is and how dockerode reaches it. */
export interface EngineAddress {
  /** For messages, e.g. `unix:///var/run/docker.sock` or `tcp://10.0.0.5:2376`. */
  readonly address: string;
  /** Transport options for `new Dockerode(...)` (TLS material is read separately). */
  readonly options: Dockerode.DockerOptions;
  /** TLS files to read when `options.protocol` is `https` (DOCKER_CERT_PATH set). */
  readonly tlsFiles?: { readonly ca: string; readonly cert: string; readonly key: string };
}

/** Environment variables the Docker CLI defines for choosing an engine. */
export type DockerEnv = Readonly<Record<string, string | undefined>>;

function invalid(message: string): EngineError {
  return new EngineError("invalid", message);
}

/**
 * Resolves the engine address from `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`
 * the way the Docker CLI does, without touching the file system. Supported: `unix:///path`,
 * `tcp://host:port` (http; https when `DOCKER_TLS_VERIFY=1` or port 2376), unset (the
 * default socket). `npipe://` and `ssh://` (which needs the ssh transport of
 * `connectEngine`) throw an `invalid` EngineError.
 */
export function resolveEngineAddress(env: DockerEnv): EngineAddress {
  const host = env["DOCKER_HOST"]?.trim();
  if (host === undefined || host === "") {
    return {
      address: `unix://${DEFAULT_DOCKER_SOCKET}`,
      options: { socketPath: DEFAULT_DOCKER_SOCKET },
    };
  }
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length) || DEFAULT_DOCKER_SOCKET;
    if (!socketPath.startsWith("/")) {
      throw invalid(
        `DOCKER_HOST=${host}: a unix socket path must be absolute, e.g. unix:///var/run/docker.sock`,
      );
    }
    return { address: `unix://${socketPath}`, options: { socketPath } };
  }
  if (host.startsWith("npipe://")) {
    throw invalid(
      `DOCKER_HOST=${host}: Windows named pipes are not supported; use unix:// or tcp://`,
    );
  }
  if (host.startsWith("ssh://")) {
    // ssh:// needs a transport, not just an address: resolveEngine and connectEngine
    // (engine-address.ts, engine-connection.ts) handle it before this is reached.
    throw invalid(`DOCKER_HOST=${host}: an ssh:// engine is reached through connectEngine`);
  }
  // `host:port` without a scheme is accepted by the Docker CLI as tcp.
  const withScheme = host.includes("://") ? host : `tcp://${host}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid(
      `DOCKER_HOST=${host} is not a valid address; expected unix:///path or tcp://host:port`,
    );
  }
  if (url.protocol !== "tcp:" && url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(`DOCKER_HOST=${host}: unsupported scheme ${url.protocol}; use unix:// or tcp://`);
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (hostname === "") throw invalid(`DOCKER_HOST=${host} names no host; expected tcp://host:port`);
  const tlsVerify =
    env["DOCKER_TLS_VERIFY"] !== undefined &&
    env["DOCKER_TLS_VERIFY"] !== "" &&
    env["DOCKER_TLS_VERIFY"] !== "0";
  const https = url.protocol === "https:" || tlsVerify;
  // The Docker CLI's defaults: 2375 plain, 2376 TLS.
  const port = url.port !== "" ? Number(url.port) : https ? 2376 : 2375;
  const protocol: "http" | "https" = https || port === 2376 ? "https" : "http";
  const options: Dockerode.DockerOptions = { host: hostname, port, protocol };
  const certPath = env["DOCKER_CERT_PATH"];
  const address = `tcp://${url.hostname}:${port}`;
  if (protocol === "https" && certPath !== undefined && certPath !== "") {
    return {
      address,
      options,
      tlsFiles: {
        ca: path.join(certPath, "ca.pem"),
        cert: path.join(certPath, "cert.pem"),
        key: path.join(certPath, "key.pem"),
      },
    };
  }
  return { address, options };
}

/**
 * Dockerode options for `resolved`, with the TLS files read; throws an `invalid` EngineError
 * naming the file when one cannot be read.
 */
export function loadDockerOptions(resolved: EngineAddress): Dockerode.DockerOptions {
  if (resolved.tlsFiles === undefined) return resolved.options;
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new EngineError(
        "invalid",
        `cannot read TLS file ${file} (from DOCKER_CERT_PATH): ${String(err)}`,
        {
          cause: err,
        },
      );
    }
  };
  return {
    ...resolved.options,
    ca: read(resolved.tlsFiles.ca),
    cert: read(resolved.tlsFiles.cert),
    key: read(resolved.tlsFiles.key),
  };
}
