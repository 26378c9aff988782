/**
 * Merging several stack files (`-c a.yml -c b.yml`, or a file and its override) by compose's
 * rules, on position-carrying trees so every merged value still points into the file that
 * contributed it.
 */
import {
  mapNode,
  scalarNode,
  seqNode,
  type MapEntry,
  type MapNode,
  type SourceNode,
} from "./yaml-source.js";

type KeySplit = (text: string) => readonly [key: string, value: string | null];
type ItemKey = (item: SourceNode) => string | undefined;

type Rule =
  | { readonly kind: "replace" }
  | { readonly kind: "keyed"; readonly split: KeySplit }
  | { readonly kind: "unique"; readonly key: ItemKey; readonly mergeItems?: boolean }
  | { readonly kind: "dependsOn" }
  | { readonly kind: "serviceNetworks" }
  | { readonly kind: "logging" }
  | { readonly kind: "build" };

const splitAtEquals: KeySplit = (text) => {
  const eq = text.indexOf("=");
  return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)];
};

/** `host=ip` or `host:ip` (a host name has no colon, an IPv6 address may have many). */
const splitHost: KeySplit = (text) => {
  const sep = /[=:]/.exec(text);
  return sep ? [text.slice(0, sep.index), text.slice(sep.index + 1)] : [text, null];
};

const scalarText = (item: SourceNode): string | undefined =>
  item.kind === "scalar" && item.value !== null ? String(item.value) : undefined;

const field = (item: SourceNode, name: string): string | undefined => {
  if (item.kind !== "map") return undefined;
  const entry = item.entries.get(name);
  return entry ? scalarText(entry.value) : undefined;
};

/**
 * A port's identity: host address, published port, target port and protocol. Short syntax
 * is parsed just enough to compare it with the long syntax (`127.0.0.1:8080:80/udp`,
 * `[::1]:80:80`, `8080:80`, `80`); `0.0.0.0` counts as no address.
 */
export function portIdentity(item: SourceNode): string | undefined {
  let host: string | undefined;
  let published: string | undefined;
  let target: string | undefined;
  let protocol: string | undefined;
  if (item.kind === "map") {
    host = field(item, "host_ip");
    published = field(item, "published");
    target = field(item, "target");
    protocol = field(item, "protocol");
  } else {
    const text = scalarText(item);
    if (text === undefined) return undefined;
    const slash = text.lastIndexOf("/");
    const spec = slash < 0 ? text : text.slice(0, slash);
    if (slash >= 0) protocol = text.slice(slash + 1);
    let rest = spec;
    const bracket = /^\[([^\]]*)\]:(.*)$/.exec(spec);
    if (bracket) {
      host = bracket[1];
      rest = bracket[2]!;
    }
    const parts = rest.split(":");
    target = parts.pop();
    published = parts.pop();
    if (!bracket && parts.length > 0) host = parts.join(":");
  }
  if (host === "0.0.0.0") host = undefined;
  return `${host ?? ""}|${published ?? ""}|${target ?? ""}/${protocol || "tcp"}`;
}

/** A service volume's (or device's) identity: its target path in the container. */
export function mountTargetIdentity(item: SourceNode): string | undefined {
  if (item.kind === "map") return field(item, "target");
  const text = scalarText(item);
  if (text === undefined) return undefined;
  const parts = text.split(":");
  return parts.length === 1 ? parts[0] : parts[1];
}

/** Secrets and configs are identified by where they appear in the container. */
function fileMountIdentity(defaultDir: string): ItemKey {
  return (item) => {
    const source = item.kind === "map" ? field(item, "source") : scalarText(item);
    const target = field(item, "target");
    if (target !== undefined) return target.startsWith("/") ? target : `${defaultDir}/${target}`;
    return source === undefined ? undefined : `${defaultDir}/${source}`;
  };
}

const envFilePath: ItemKey = (item) =>
  item.kind === "map" ? field(item, "path") : scalarText(item);

const subnet: ItemKey = (item) => field(item, "subnet");

const REPLACE: Rule = { kind: "replace" };
const KEY_VALUE: Rule = { kind: "keyed", split: splitAtEquals };
const HOSTS: Rule = { kind: "keyed", split: splitHost };
const UNIQUE: Rule = { kind: "unique", key: scalarText };

/**
 * Paths with a rule of their own (compose-go `override/merge.go` and `uncity.go`). Every other
 * mapping merges key by key, every other sequence is appended to, any other value is replaced.
 */
const RULES: readonly (readonly [string, Rule])[] = [
  ["services.*.command", REPLACE],
  ["services.*.entrypoint", REPLACE],
  ["services.*.healthcheck.test", REPLACE],
  ["services.*.environment", KEY_VALUE],
  ["services.*.labels", KEY_VALUE],
  ["services.*.annotations", KEY_VALUE],
  ["services.*.sysctls", KEY_VALUE],
  ["services.*.deploy.labels", KEY_VALUE],
  ["services.*.build.args", KEY_VALUE],
  ["services.*.build.labels", KEY_VALUE],
  ["services.*.build.additional_contexts", KEY_VALUE],
  ["networks.*.labels", KEY_VALUE],
  ["volumes.*.labels", KEY_VALUE],
  ["secrets.*.labels", KEY_VALUE],
  ["configs.*.labels", KEY_VALUE],
  ["services.*.extra_hosts", HOSTS],
  ["services.*.build.extra_hosts", HOSTS],
  ["services.*.dns", UNIQUE],
  ["services.*.dns_opt", UNIQUE],
  ["services.*.dns_search", UNIQUE],
  ["services.*.cap_add", UNIQUE],
  ["services.*.cap_drop", UNIQUE],
  ["services.*.expose", UNIQUE],
  ["services.*.links", UNIQUE],
  ["services.*.profiles", UNIQUE],
  ["services.*.tmpfs", UNIQUE],
  ["services.*.build.tags", UNIQUE],
  ["services.*.build.platforms", UNIQUE],
  ["services.*.networks.*.aliases", UNIQUE],
  ["services.*.networks.*.link_local_ips", UNIQUE],
  ["services.*.env_file", { kind: "unique", key: envFilePath }],
  ["services.*.label_file", { kind: "unique", key: envFilePath }],
  ["services.*.ports", { kind: "unique", key: portIdentity }],
  ["services.*.volumes", { kind: "unique", key: mountTargetIdentity }],
  ["services.*.devices", { kind: "unique", key: mountTargetIdentity }],
  ["services.*.secrets", { kind: "unique", key: fileMountIdentity("/run/secrets") }],
  ["services.*.configs", { kind: "unique", key: fileMountIdentity("") }],
  ["networks.*.ipam.config", { kind: "unique", key: subnet, mergeItems: true }],
  ["services.*.depends_on", { kind: "dependsOn" }],
  ["services.*.networks", { kind: "serviceNetworks" }],
  ["services.*.logging", { kind: "logging" }],
  ["services.*.build", { kind: "build" }],
];

// Indexed by the last path segment: no rule ends in a wildcard.
const RULES_BY_LAST = new Map<
  string,
  { readonly pattern: readonly string[]; readonly rule: Rule }[]
>();
for (const [pattern, rule] of RULES) {
  const segments = pattern.split(".");
  const last = segments[segments.length - 1]!;
  const list = RULES_BY_LAST.get(last) ?? [];
  list.push({ pattern: segments, rule });
  RULES_BY_LAST.set(last, list);
}

function ruleFor(path: readonly string[]): Rule | undefined {
  const candidates = RULES_BY_LAST.get(path[path.length - 1] ?? "");
  if (!candidates) return undefined;
  for (const { pattern, rule } of candidates) {
    if (pattern.length === path.length && pattern.every((p, i) => p === "*" || p === path[i])) {
      return rule;
    }
  }
  return undefined;
}

/**
 * Merges a later stack file over an earlier one, as compose does:
 *
 * - mappings merge key by key and later scalars win; a later `null` keeps the earlier value;
 * - `!reset` on a later value removes the key (`ports: !reset []` leaves no ports), and
 *   `!override` replaces the earlier value instead of merging with it;
 * - `command`, `entrypoint`, `healthcheck.test` are replaced;
 * - `environment`, `labels`, `annotations`, `sysctls`, `build.args` and similar key=value
 *   lists merge by key, in list (`K=V`) or map form; two different forms end as a map;
 *   `extra_hosts` merges by host the same way;
 * - `ports` merge by host address + published + target + protocol, `volumes` and `devices`
 *   by container path, `secrets` and `configs` by mount target (which defaults from the
 *   source), `env_file` by path, `networks.*.ipam.config` by subnet; a later entry replaces
 *   an earlier one in place, new entries are appended;
 * - `dns`, `cap_add`, `expose`, `profiles`, `tmpfs`, network `aliases` etc. are appended
 *   without duplicates; any other sequence is appended;
 * - `depends_on` and service `networks` merge by name (a list becomes a map when the other
 *   file uses the map form); `logging` options merge only when the driver stays the same;
 *   `build: ./dir` merges as `build: { context: ./dir }`;
 * - `x-*` extension keys are replaced whole, never merged.
 *
 * Neither input is modified. Values keep their positions: a replaced value points into the
 * later file, a merged mapping keeps the earlier file's position for itself.
 */
export function mergeStackTrees(base: MapNode, override: MapNode): MapNode {
  return mergeMaps(base, override, []);
}

/**
 * Applies merge tags inside a tree that is used without a base (the first file, or a subtree
 * a later file adds): entries and items tagged `!reset` are removed. Returns the same object
 * when nothing changes.
 */
export function applyMergeTags<T extends SourceNode>(node: T): T {
  return stripResets(node, new Map()) as T;
}

function stripResets(node: SourceNode, memo: Map<SourceNode, SourceNode>): SourceNode {
  const known = memo.get(node);
  if (known) return known;
  let result: SourceNode = node;
  if (node.kind === "map") {
    let changed = false;
    const entries = new Map<string, MapEntry>();
    for (const [key, entry] of node.entries) {
      if (entry.value.tag === "reset") {
        changed = true;
        continue;
      }
      const value = stripResets(entry.value, memo);
      if (value !== entry.value) changed = true;
      entries.set(key, value === entry.value ? entry : { keyPos: entry.keyPos, value });
    }
    if (changed) result = mapNode(entries, node.pos, node.tag);
  } else if (node.kind === "seq") {
    let changed = false;
    const items: SourceNode[] = [];
    for (const item of node.items) {
      if (item.tag === "reset") {
        changed = true;
        continue;
      }
      const next = stripResets(item, memo);
      if (next !== item) changed = true;
      items.push(next);
    }
    if (changed) result = seqNode(items, node.pos, node.tag);
  }
  memo.set(node, result);
  return result;
}

/** The merged value, or undefined when the later file removes it. */
function mergeValue(base: SourceNode, over: SourceNode, path: string[]): SourceNode | undefined {
  if (over.tag === "reset") return undefined;
  if (over.tag === "override") return applyMergeTags(over);
  if (over.kind === "scalar" && over.value === null) return base;
  const rule = ruleFor(path);
  if (rule) {
    switch (rule.kind) {
      case "replace":
        return applyMergeTags(over);
      case "keyed":
        return mergeKeyed(base, over, rule.split);
      case "unique":
        return mergeUnique(base, over, rule.key, rule.mergeItems === true ? path : undefined);
      case "dependsOn":
        return mergeNamed(base, over, path, (item) =>
          mapNode(
            new Map<string, MapEntry>([
              ["condition", { keyPos: item.pos, value: scalarNode("service_started", item.pos) }],
              ["required", { keyPos: item.pos, value: scalarNode(true, item.pos) }],
            ]),
            item.pos,
          ),
        );
      case "serviceNetworks":
        return mergeNamed(base, over, path, (item) => scalarNode(null, item.pos));
      case "logging": {
        const a = base.kind === "map" ? base.entries.get("driver") : undefined;
        const b = over.kind === "map" ? over.entries.get("driver") : undefined;
        if (a && b && scalarText(a.value) !== scalarText(b.value)) return applyMergeTags(over);
        break;
      }
      case "build": {
        if (base.kind === "scalar" && over.kind === "scalar") return over;
        return mergeDefault(asBuildMap(base), asBuildMap(over), path);
      }
    }
  }
  return mergeDefault(base, over, path);
}

function mergeDefault(base: SourceNode, over: SourceNode, path: string[]): SourceNode {
  if (base.kind === "map" && over.kind === "map") return mergeMaps(base, over, path);
  if (base.kind === "seq" && over.kind === "seq") {
    return seqNode([...base.items, ...applyMergeTags(over).items], base.pos);
  }
  return applyMergeTags(over);
}

function mergeMaps(base: MapNode, over: MapNode, path: string[]): MapNode {
  const entries = new Map(base.entries);
  for (const [key, entry] of over.entries) {
    const earlier = entries.get(key);
    if (entry.value.tag === "reset") {
      entries.delete(key);
      continue;
    }
    if (!earlier || key.startsWith("x-")) {
      entries.set(key, { keyPos: entry.keyPos, value: applyMergeTags(entry.value) });
      continue;
    }
    path.push(key);
    const merged = mergeValue(earlier.value, entry.value, path);
    path.pop();
    if (merged === undefined) entries.delete(key);
    else if (merged === earlier.value) continue;
    else {
      // A replaced value answers with the later key; a merged one keeps the first key.
      const keyPos = merged.pos === entry.value.pos ? entry.keyPos : earlier.keyPos;
      entries.set(key, { keyPos, value: merged });
    }
  }
  return mapNode(entries, base.pos);
}

/** `K=V` lists or maps merged by key; two different forms are merged as a map. */
function mergeKeyed(base: SourceNode, tagged: SourceNode, split: KeySplit): SourceNode {
  // `KEY: !reset null` must still remove KEY from the base below, so a mapping keeps its tags.
  const over = tagged.kind === "map" ? tagged : applyMergeTags(tagged);
  if (base.kind === "seq" && over.kind === "seq") {
    return mergeUnique(base, over, (item) => {
      const text = scalarText(item);
      return text === undefined ? undefined : split(text)[0];
    });
  }
  const left = base.kind === "seq" ? listToMap(base, split) : base;
  const right = over.kind === "seq" ? listToMap(over, split) : over;
  if (left?.kind !== "map" || right?.kind !== "map") return applyMergeTags(over);
  // Values here are leaves: a later key replaces the earlier one whole, even with null
  // (`FOO:` means "take FOO from the environment", which must override `FOO=1`).
  const entries = new Map(left.entries);
  for (const [key, entry] of right.entries) {
    if (entry.value.tag === "reset") entries.delete(key);
    else entries.set(key, entry);
  }
  return mapNode(entries, left.pos);
}

function listToMap(seq: SourceNode & { kind: "seq" }, split: KeySplit): MapNode | undefined {
  const entries = new Map<string, MapEntry>();
  for (const item of seq.items) {
    const text = scalarText(item);
    if (text === undefined) return undefined;
    const [key, value] = split(text);
    entries.set(key, { keyPos: item.pos, value: scalarNode(value, item.pos) });
  }
  return mapNode(entries, seq.pos);
}

/**
 * Appends later items, a later item with the identity of an earlier one replacing it in
 * place (or merging with it, for `mergeItems`). Items without identity are appended. A lone
 * string (`dns: 8.8.8.8`) counts as a one-item list.
 */
function mergeUnique(
  base: SourceNode,
  over: SourceNode,
  identity: ItemKey,
  mergeItemsAt?: string[],
): SourceNode {
  over = applyMergeTags(over);
  const left = asList(base);
  const right = asList(over);
  if (!left || !right) return over;
  const items = [...left];
  const index = new Map<string, number>();
  items.forEach((item, i) => {
    const key = identity(item);
    if (key !== undefined && !index.has(key)) index.set(key, i);
  });
  for (const item of right) {
    const key = identity(item);
    const at = key === undefined ? undefined : index.get(key);
    if (at === undefined) {
      if (key !== undefined) index.set(key, items.length);
      items.push(item);
      continue;
    }
    const earlier = items[at]!;
    items[at] =
      mergeItemsAt && earlier.kind === "map" && item.kind === "map"
        ? mergeMaps(earlier, item, [...mergeItemsAt, "[]"])
        : item;
  }
  return seqNode(items, base.pos);
}

function asList(node: SourceNode): readonly SourceNode[] | undefined {
  if (node.kind === "seq") return node.items;
  if (node.kind === "scalar" && typeof node.value === "string") return [node];
  return undefined;
}

/** `depends_on` and service `networks`: a list of names, or a map from name to options. */
function mergeNamed(
  base: SourceNode,
  over: SourceNode,
  path: string[],
  optionsFor: (item: SourceNode) => SourceNode,
): SourceNode {
  over = applyMergeTags(over);
  if (base.kind === "seq" && over.kind === "seq") return mergeUnique(base, over, scalarText);
  const toMap = (node: SourceNode): MapNode | undefined => {
    if (node.kind === "map") return node;
    if (node.kind !== "seq") return undefined;
    const entries = new Map<string, MapEntry>();
    for (const item of node.items) {
      const name = scalarText(item);
      if (name === undefined) return undefined;
      entries.set(name, { keyPos: item.pos, value: optionsFor(item) });
    }
    return mapNode(entries, node.pos);
  };
  const left = toMap(base);
  const right = toMap(over);
  if (!left || !right) return over;
  return mergeMaps(left, right, path);
}

function asBuildMap(node: SourceNode): SourceNode {
  if (node.kind !== "scalar" || typeof node.value !== "string") return node;
  return mapNode(new Map([["context", { keyPos: node.pos, value: node }]]), node.pos);
}
