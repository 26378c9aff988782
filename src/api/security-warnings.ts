import { realpathSync } from "node:fs";
import type { SpecWarning, StackSpec } from "../model/types.js";

/** Host paths of the Docker socket: mounting it hands the container the whole engine. */
const DOCKER_SOCKETS = new Set(["/var/run/docker.sock", "/run/docker.sock"]);

/** The real path of `p`, or `p` itself when it does not exist (yet) or cannot be read. */
function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Warnings for settings that widen what a container can do to its host. Contract: returns warnings
 * (never errors; the user may mean it) for `privileged: true`, `network_mode: host`,
 * `pid: host` and a bind mount of the Docker socket (checked on the real path, so a symlink
 * to it counts). Host paths escaping the stack file's directory (`..`, symlinks) are warned
 * about, located, by the loader (`spec/path-escapes.ts`). Reading the file system is the
 * only I/O. Sorted by service name.
 */
export function securityWarnings(spec: StackSpec): SpecWarning[] {
  const warnings: SpecWarning[] = [];
  const services = Object.values(spec.services).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const s of services) {
    const at = `services.${s.name}`;
    if (s.privileged === true)
      warnings.push({
        path: `${at}.privileged`,
        message: `runs privileged: the container has every capability and every host device, as good as root on the host`,
      });
    if (s.networkMode === "host")
      warnings.push({
        path: `${at}.network_mode`,
        message: `uses the host's network: it can bind any host port and reach every service listening on localhost`,
      });
    if (s.pid === "host")
      warnings.push({
        path: `${at}.pid`,
        message: `shares the host's process namespace: it can see (and with enough privilege signal) every host process`,
      });
    s.mounts.forEach((m, i) => {
      if (m.type !== "bind" || m.source === undefined) return;
      if (DOCKER_SOCKETS.has(m.source) || DOCKER_SOCKETS.has(realPath(m.source)))
        warnings.push({
          path: `${at}.volumes[${i}]`,
          message: `mounts the Docker socket ${m.source}: the container controls the engine, and so the host`,
        });
    });
  }
  return warnings;
}
