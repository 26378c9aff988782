/**
 * Which compose keys `stack` acts on, and which it accepts without acting on them yet.
 *
 * The schema (schemas/stack.schema.json) knows every key of the compose specification, so
 * real-world files load. Keys listed here as ignored are valid but have no effect; every
 * deploy names them in one warning per service (or network, secret, ...), so nothing is
 * silently dropped. When a key starts being implemented, move it from the ignored list to
 * the acted list: test/unit/spec/schema.test.ts checks that both lists together cover the
 * schema exactly.
 *
 * Patterns are dotted paths relative to the owner (a service, a network, ...): `*` stands
 * for any mapping key (`networks.*.priority`), a `[]` suffix for every item of a list
 * (`ports[].name`).
 */

import type { DocPath } from "./document.js";

/**
 * Service keys `stack` acts on. Sub-keys of these that are not acted on are listed in
 * IGNORED_SERVICE_KEYS. The legacy service-level resource keys are acted on as aliases of
 * their deploy forms (the normaliser uses them only when `deploy:` leaves the value unset):
 * `mem_limit` -> deploy.resources.limits.memory, `cpus` -> limits.cpus, `pids_limit` ->
 * limits.pids, `mem_reservation` -> reservations.memory, `scale` -> deploy.replicas.
 */
export const ACTED_SERVICE_KEYS: readonly string[] = [
  "annotations",
  "build",
  "cap_add",
  "cap_drop",
  "cgroup_parent",
  "command",
  "configs",
  "container_name",
  "cpus",
  "depends_on",
  "deploy",
  "device_cgroup_rules",
  "devices",
  "dns",
  "dns_opt",
  "dns_search",
  "domainname",
  "entrypoint",
  "env_file",
  "environment",
  "expose",
  "extends",
  "extra_hosts",
  "gpus",
  "healthcheck",
  "hostname",
  "image",
  "init",
  "ipc",
  "label_file",
  "labels",
  "links",
  "logging",
  "mac_address",
  "mem_limit",
  "mem_reservation",
  "network_mode",
  "networks",
  "pid",
  "pids_limit",
  "ports",
  "post_start",
  "pre_start",
  "pre_stop",
  "privileged",
  "profiles",
  "pull_policy",
  "read_only",
  "restart",
  "scale",
  "secrets",
  "security_opt",
  "shm_size",
  "stdin_open",
  "stop_grace_period",
  "stop_signal",
  "storage_opt",
  "sysctls",
  "tmpfs",
  "tty",
  "ulimits",
  "user",
  "uts",
  "volumes",
  "working_dir",
];

/**
 * Service keys (and sub-keys of acted keys) that are accepted but have no effect yet.
 * `memswap_limit` is deliberately here: the normalised ResourceSet has no swap field.
 */
export const IGNORED_SERVICE_KEYS: readonly string[] = [
  "attach",
  "blkio_config",
  "cgroup",
  "cpu_count",
  "cpu_percent",
  "cpu_period",
  "cpu_quota",
  "cpu_rt_period",
  "cpu_rt_runtime",
  "cpu_shares",
  "cpuset",
  "credential_spec",
  "develop",
  "external_links",
  "group_add",
  "isolation",
  "mem_swappiness",
  "memswap_limit",
  "models",
  "oom_kill_disable",
  "oom_score_adj",
  "platform",
  "provider",
  "pull_refresh_after",
  "runtime",
  "use_api_socket",
  "userns_mode",
  "volumes_from",
  "build.additional_contexts",
  "build.cache_to",
  "build.entitlements",
  "build.isolation",
  "build.no_cache_filter",
  "build.privileged",
  "build.provenance",
  "build.sbom",
  "build.secrets",
  "build.ssh",
  "build.ulimits",
  "deploy.resources.reservations.generic_resources",
  "networks.*.driver_opts",
  "networks.*.gw_priority",
  "networks.*.interface_name",
  "networks.*.link_local_ips",
  "networks.*.mac_address",
  "networks.*.priority",
  "ports[].app_protocol",
  "ports[].name",
  "volumes[].bind.propagation",
  "volumes[].bind.recursive",
  "volumes[].bind.selinux",
  "volumes[].consistency",
  "volumes[].image",
  "volumes[].volume.labels",
  "volumes[].volume.subpath",
];

/** Top-level keys accepted but not acted on: AI models. */
export const IGNORED_TOP_LEVEL_KEYS: readonly string[] = ["models"];

/** Keys of a top-level network accepted but not acted on. */
export const IGNORED_NETWORK_KEYS: readonly string[] = [
  "enable_ipv4",
  "ipam.config[].aux_addresses",
  "ipam.options",
];

/** Keys of a top-level volume accepted but not acted on (none: all are implemented). */
export const IGNORED_VOLUME_KEYS: readonly string[] = [];

/** Keys of a top-level secret accepted but not acted on. */
export const IGNORED_SECRET_KEYS: readonly string[] = ["driver", "driver_opts", "template_driver"];

/** Keys of a top-level config accepted but not acted on. */
export const IGNORED_CONFIG_KEYS: readonly string[] = ["template_driver"];

/** One ignored key found in a document: its pattern-shaped name and where it is. */
export interface IgnoredKeyHit {
  /** The key as shown to users: the pattern with `*` replaced, e.g. `networks.front.priority`. */
  readonly key: string;
  /** Path of the key relative to the owner that was searched. */
  readonly path: DocPath;
}

type Step =
  | { readonly kind: "key"; readonly key: string }
  | { readonly kind: "anyKey" }
  | { readonly kind: "items" };

function parsePattern(pattern: string): Step[] {
  const steps: Step[] = [];
  for (const part of pattern.split(".")) {
    const items = part.endsWith("[]");
    const name = items ? part.slice(0, -2) : part;
    steps.push(name === "*" ? { kind: "anyKey" } : { kind: "key", key: name });
    if (items) steps.push({ kind: "items" });
  }
  return steps;
}

/** Parsed patterns, cached: validation runs the same ~90 patterns over every service. */
const parsedPatterns = new Map<string, Step[]>();

function stepsOf(pattern: string): Step[] {
  let steps = parsedPatterns.get(pattern);
  if (steps === undefined) {
    steps = parsePattern(pattern);
    parsedPatterns.set(pattern, steps);
  }
  return steps;
}

function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Finds every occurrence of the given patterns in `value` (a service, network, ... in
 * compose shape). Returns hits in pattern order, then document order; a pattern matching
 * several list items yields one hit per item, all with the same `key`.
 */
export function findIgnoredKeys(value: unknown, patterns: readonly string[]): IgnoredKeyHit[] {
  const hits: IgnoredKeyHit[] = [];
  for (const pattern of patterns) {
    const steps = stepsOf(pattern);
    // Most patterns name a top key the object does not have: skip them without walking.
    const first = steps[0];
    if (first?.kind === "key" && !(isMapping(value) && Object.hasOwn(value, first.key))) continue;
    walkPattern(steps, hits, value, 0, [], "");
  }
  return hits;
}

/** Follows `steps` from `node`, pushing one hit per place the whole pattern matches. */
function walkPattern(
  steps: readonly Step[],
  hits: IgnoredKeyHit[],
  node: unknown,
  index: number,
  path: DocPath,
  label: string,
): void {
  const step = steps[index];
  if (step === undefined) {
    hits.push({ key: label, path });
    return;
  }
  if (step.kind === "items") {
    if (Array.isArray(node))
      node.forEach((item, i) =>
        walkPattern(steps, hits, item, index + 1, [...path, i], `${label}[]`),
      );
    return;
  }
  if (!isMapping(node)) return;
  const keys =
    step.kind === "key" ? (Object.hasOwn(node, step.key) ? [step.key] : []) : Object.keys(node);
  for (const key of keys) {
    walkPattern(
      steps,
      hits,
      node[key],
      index + 1,
      [...path, key],
      label === "" ? key : `${label}.${key}`,
    );
  }
}

/**
 * The distinct ignored keys present on one service, sorted: what `ServiceSpec.ignoredKeys`
 * holds and what the per-service warning names.
 */
export function ignoredServiceKeys(service: unknown): string[] {
  return [...new Set(findIgnoredKeys(service, IGNORED_SERVICE_KEYS).map((hit) => hit.key))].sort();
}
