import { createHash } from "node:crypto";
import type { NetworkSpec, ServiceSpec } from "./types.js";

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
 * recreates), depends_on (ordering only), update/rollback config (how to roll, not what runs)
 * and the list of ignored keys (a warning, not a setting).
 */
export function serviceConfigHash(service: ServiceSpec): string {
  const { deploy, dependsOn: _dependsOn, ignoredKeys: _ignoredKeys, ...rest } = service;
  const { replicas: _replicas, updateConfig: _u, rollbackConfig: _r, ...deployRest } = deploy;
  return digest({ ...rest, deploy: deployRest });
}

/** Hash of a network definition; a changed network must be recreated (engines cannot edit one). */
export function networkConfigHash(network: NetworkSpec): string {
  return digest(network);
}
