import { createHash } from "node:crypto";
import { ingressPorts } from "./ingress.js";
import type { BuildSpec, NetworkSpec, ServiceSpec } from "./types.js";

/**
 * Bumped only when the meaning of a hashed field changes; a new `stack` release with the
 * same version prefix never recreates running containers.
 */
export const CONFIG_HASH_VERSION = "v1";

/** JSON with object keys sorted at every level; `undefined` members are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

function digest(value: unknown): string {
  return `${CONFIG_HASH_VERSION}:${createHash("sha256").update(canonicalJson(value)).digest("hex")}`;
}

/**
 * Hash of everything that shapes a replica container. Left out: replica count (scaling never
 * recreates), depends_on (ordering only), update/rollback config (how to roll, not what runs),
 * the list of ignored keys (a warning, not a setting), `pull_policy` (when to pull, not what
 * runs: a pull that moves the tag replaces replicas by the image check), `restart:` as written (its effect is
 * in deploy.restartPolicy) and whether the restart policy was defaulted. One exception: whether the stack's ingress serves the service's published ports
 * (more than one replica, or start-first updates) is hashed, because such replicas publish no host port themselves; it is left out
 * when false, so hashes of services the ingress does not serve are unchanged.
 */
export function serviceConfigHash(service: ServiceSpec): string {
  const {
    deploy,
    dependsOn: _dependsOn,
    ignoredKeys: _ignoredKeys,
    restart: _restart,
    pullPolicy: _pullPolicy,
    pullRefreshMs: _pullRefreshMs,
    ...rest
  } = service;
  const { replicas: _replicas, updateConfig: _u, rollbackConfig: _r, ...deployRest } = deploy;
  // `defaulted` only matters on swarm (whose hash is its own): hashes stay what they were.
  const { defaulted: _defaulted, ...restartPolicy } = deploy.restartPolicy;
  const ingress = ingressPorts(service).length > 0;
  return digest({
    ...rest,
    deploy: { ...deployRest, restartPolicy },
    ...(ingress && { publishedBy: "ingress" }),
  });
}

/**
 * Hash of a service's build settings and context (`BuildSpec.contextHash`): an image whose
 * build-hash label differs is rebuilt.
 */
export function buildConfigHash(build: BuildSpec): string {
  return digest(build);
}

/** Hash of a network definition; a changed network must be recreated (engines cannot edit one). */
export function networkConfigHash(network: NetworkSpec): string {
  return digest(network);
}
