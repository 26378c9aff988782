/**
 * The host name a client uses to reach a port an engine published on all its addresses:
 * loopback for a local engine (unix socket, named pipe), the engine's own host for a remote
 * one (`tcp://HOST:2376`, `ssh://user@HOST`).
 */
export function engineHost(address: string): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return "127.0.0.1";
  }
  if (url.protocol === "unix:" || url.protocol === "npipe:" || url.hostname === "")
    return "127.0.0.1";
  // URL keeps IPv6 hosts in brackets; callers get the bare address.
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * The host to connect to for a port published on `hostIp` by the engine at `address`: the
 * address itself when the port is bound to one, else {@link engineHost} (`::` maps to `::1`
 * for a local engine).
 */
export function reachableHost(hostIp: string, address: string): string {
  if (hostIp !== "" && hostIp !== "0.0.0.0" && hostIp !== "::") return hostIp;
  const host = engineHost(address);
  return hostIp === "::" && host === "127.0.0.1" ? "::1" : host;
}

/** `HOST:PORT` with IPv6 hosts in brackets, as URLs write them. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
