import { resolve } from "node:path";
import { builtImageName, scopedName } from "../model/naming.js";
import { normaliseCommand } from "./canonical/command.js";
import { normaliseDependsOn } from "./canonical/depends-on.js";
import { normaliseEnvironment, normaliseLabels } from "./canonical/environment.js";
import { normaliseHealthcheck } from "./canonical/healthcheck.js";
import { normaliseLinks, type LinkDraft } from "./canonical/links.js";
import { NormaliseContext, type Origin } from "./canonical/normalise-context.js";
import { normalisePorts } from "./canonical/ports.js";
import { normaliseRestartPolicy } from "./canonical/restart-policy.js";
import {
  normaliseServiceNetworks,
  type ServiceNetworkDraft,
} from "./canonical/service-networks.js";
import {
  bool,
  deepFreeze,
  fileMode,
  int,
  isObject,
  listOf,
  listOrDict,
  objectOrEmpty,
  scalarToString,
  sortedRecord,
  str,
  stringList,
  stringRecord,
  type JsonObject,
} from "./canonical/values.js";
import { normaliseServiceVolumes, normaliseTmpfs, resolveHostPath } from "./canonical/volumes.js";
import type { DocPath, LoadedDocument } from "./document.js";
import { findIgnoredKeys, IGNORED_SERVICE_KEYS } from "./ignored-keys.js";
import { isServiceEnabled } from "./profiles.js";
import type {
  PullPolicy,
  BuildSpec,
  DependencySpec,
  DeployMode,
  DeploySpec,
  DeviceRequestSpec,
  DeviceSpec,
  HookSpec,
  FileObjectSpec,
  FileReferenceSpec,
  LoggingSpec,
  NetworkSpec,
  PlacementSpec,
  ResourceSet,
  ServiceNetworkSpec,
  ServiceSpec,
  SpecIssue,
  SpecWarning,
  StackSpec,
  UpdateConfigSpec,
  VolumeSpec,
} from "../model/types.js";
import { parseByteSize, parseCpus, parseDuration } from "./units.js";

/**
 * Service keys src/stackfile/ignored-keys.ts lists as ignored that the normaliser nevertheless
 * honours, as the legacy forms of deploy settings: `mem_reservation` ->
 * reservations.memoryBytes, `pids_limit` -> limits.pids, `scale` -> replicas (each only when
 * `deploy:` leaves it unset). They are therefore not reported in `ignoredKeys`.
 */
export const LEGACY_KEYS_ACTED_ON: ReadonlySet<string> = new Set([
  "mem_reservation",
  "pids_limit",
  "scale",
]);

/**
 * Defaults of swarmkit (`api/defaults`), also what `docker service create` shows: one
 * replica at a time, no delay, stop-first, pause on failure, 5 s monitor, no failures
 * tolerated. Rollback uses the same values.
 */
export const DEFAULT_UPDATE_CONFIG: UpdateConfigSpec = Object.freeze({
  parallelism: 1,
  delayMs: 0,
  order: "stop-first",
  failureAction: "pause",
  monitorMs: 5000,
  maxFailureRatio: 0,
});

/** Output of normalise(): the frozen spec plus everything the semantic checks need. */
export interface NormaliseResult {
  readonly spec: StackSpec;
  readonly issues: readonly SpecIssue[];
  readonly warnings: readonly SpecWarning[];
  /** Where a spec object (service, port, mount, dependency, network entry, reference) came from. */
  readonly locate: (obj: object) => Origin | undefined;
  /** Services left out because none of their `profiles:` is active, with their profiles. */
  readonly inactiveServices: ReadonlyMap<string, readonly string[]>;
  /** Services left out because a provider runs them (`provider:`). */
  readonly providerServices: ReadonlySet<string>;
}

function durationOf(ctx: NormaliseContext, value: unknown, path: DocPath): number | undefined {
  return typeof value === "string" || typeof value === "number"
    ? ctx.unit(parseDuration(value), path)
    : undefined;
}

function bytesOf(ctx: NormaliseContext, value: unknown, path: DocPath): number | undefined {
  return typeof value === "string" || typeof value === "number"
    ? ctx.unit(parseByteSize(value), path)
    : undefined;
}

function cpusOf(ctx: NormaliseContext, value: unknown, path: DocPath): number | undefined {
  return typeof value === "string" || typeof value === "number"
    ? ctx.unit(parseCpus(value), path)
    : undefined;
}

/** Spreads `{[key]: value}` only when value is defined (exactOptionalPropertyTypes). */
const DAY_MS = 86_400_000;

/**
 * compose's `pull_policy` (compose-go types.PullPolicy*): `missing` / `if_not_present` (the
 * default) is undefined; `daily`, `weekly` and `every_<duration>` are a refresh period. An
 * unknown value, and `build` on a service without `build:`, are errors at the key.
 */
function pullPolicyOf(
  ctx: NormaliseContext,
  value: unknown,
  path: DocPath,
  builds: boolean,
): { policy: PullPolicy; everyMs?: number } | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  if (text === "missing" || text === "if_not_present") return undefined;
  if (text === "always" || text === "never") return { policy: text };
  if (text === "build") {
    if (!builds) ctx.error(path, "pull_policy build needs a build: section");
    return { policy: "build" };
  }
  if (text === "daily") return { policy: "refresh", everyMs: DAY_MS };
  if (text === "weekly") return { policy: "refresh", everyMs: 7 * DAY_MS };
  const every = /^every_(.+)$/.exec(text);
  if (every !== null) {
    const ms = ctx.unit(parseDuration(every[1] as string), path);
    if (ms !== undefined && ms > 0) return { policy: "refresh", everyMs: ms };
    if (ms !== undefined) ctx.error(path, `pull_policy ${text}: the period must be more than 0`);
    return undefined;
  }
  ctx.error(
    path,
    `pull_policy "${text}" is not one of always, missing, if_not_present, never, build, daily, weekly, every_<duration>`,
  );
  return undefined;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function resourceSet(
  ctx: NormaliseContext,
  value: JsonObject,
  path: DocPath,
  legacy: { cpus?: unknown; memory?: unknown; pids?: unknown; at: DocPath },
): ResourceSet {
  const cpuPath = value["cpus"] !== undefined ? [...path, "cpus"] : [...legacy.at, "cpus"];
  const nanoCpus = cpusOf(ctx, value["cpus"] ?? legacy.cpus, cpuPath);
  const memoryBytes = bytesOf(
    ctx,
    value["memory"] ?? legacy.memory,
    value["memory"] !== undefined ? [...path, "memory"] : legacy.at,
  );
  const pids = int(value["pids"] ?? legacy.pids);
  const requested = deviceRequests(ctx, value["devices"], [...path, "devices"]);
  // An empty list asks for nothing: left out, like an absent one.
  const devices = requested.length > 0 ? requested : undefined;
  return {
    ...opt("nanoCpus", nanoCpus),
    ...opt("memoryBytes", memoryBytes),
    ...opt("pids", pids),
    ...opt("devices", devices),
  };
}

/**
 * compose's device requests (`deploy.resources.reservations.devices`, `gpus:`): capabilities
 * are required, `count` (a number or `all`, -1 for the engine) and `device_ids` exclude each
 * other, as compose-go checks.
 */
function deviceRequests(ctx: NormaliseContext, value: unknown, path: DocPath): DeviceRequestSpec[] {
  if (!Array.isArray(value)) return [];
  const out: DeviceRequestSpec[] = [];
  value.forEach((raw, i) => {
    if (!isObject(raw)) return;
    const at = [...path, i];
    const capabilities = stringList(raw["capabilities"]);
    if (capabilities.length === 0) {
      ctx.error(at, "a device request needs capabilities, e.g. [gpu]");
      return;
    }
    let count: number | undefined;
    const rawCount = raw["count"];
    if (rawCount !== undefined) {
      count = rawCount === "all" ? -1 : int(rawCount);
      if (count === undefined) {
        ctx.error(
          [...at, "count"],
          `count must be a number or "all", got ${JSON.stringify(rawCount)}`,
        );
        return;
      }
    }
    const deviceIds = raw["device_ids"] === undefined ? undefined : stringList(raw["device_ids"]);
    if (count !== undefined && deviceIds !== undefined) {
      ctx.error(at, "count and device_ids cannot be used together");
      return;
    }
    const options =
      raw["options"] === undefined
        ? undefined
        : stringRecord(raw["options"], [...at, "options"], ctx);
    out.push({
      capabilities,
      ...opt("driver", str(raw["driver"])),
      ...opt("count", count),
      ...opt("deviceIds", deviceIds),
      ...opt("options", options),
    });
  });
  return out;
}

function updateConfig(ctx: NormaliseContext, value: unknown, path: DocPath): UpdateConfigSpec {
  if (!isObject(value)) return DEFAULT_UPDATE_CONFIG;
  const order = str(value["order"]) ?? DEFAULT_UPDATE_CONFIG.order;
  const failureAction = str(value["failure_action"]) ?? DEFAULT_UPDATE_CONFIG.failureAction;
  if (order !== "stop-first" && order !== "start-first")
    ctx.error([...path, "order"], `unknown order "${order}": expected stop-first or start-first`);
  if (failureAction !== "pause" && failureAction !== "continue" && failureAction !== "rollback")
    ctx.error(
      [...path, "failure_action"],
      `unknown failure_action "${failureAction}": expected pause, continue or rollback`,
    );
  const ratio = value["max_failure_ratio"];
  return {
    parallelism: int(value["parallelism"]) ?? DEFAULT_UPDATE_CONFIG.parallelism,
    delayMs: durationOf(ctx, value["delay"], [...path, "delay"]) ?? DEFAULT_UPDATE_CONFIG.delayMs,
    order: order === "start-first" ? "start-first" : "stop-first",
    failureAction:
      failureAction === "continue" || failureAction === "rollback" ? failureAction : "pause",
    monitorMs:
      durationOf(ctx, value["monitor"], [...path, "monitor"]) ?? DEFAULT_UPDATE_CONFIG.monitorMs,
    maxFailureRatio:
      typeof ratio === "number"
        ? ratio
        : typeof ratio === "string" && ratio.trim() !== "" && Number.isFinite(Number(ratio))
          ? Number(ratio)
          : 0,
  };
}

function placement(value: unknown): PlacementSpec {
  const p = objectOrEmpty(value);
  const preferences = listOf(p["preferences"])
    .filter(isObject)
    .map((pref) => ({ spread: str(pref["spread"]) ?? "" }))
    .filter((pref) => pref.spread !== "");
  return {
    constraints: stringList(p["constraints"]),
    preferences,
    ...opt("maxReplicasPerNode", int(p["max_replicas_per_node"])),
  };
}

function deploySpec(ctx: NormaliseContext, service: JsonObject, path: DocPath): DeploySpec {
  const deploy = objectOrEmpty(service["deploy"]);
  const dPath = [...path, "deploy"];
  const modeText = str(deploy["mode"]) ?? "replicated";
  const MODES: readonly string[] = ["replicated", "global", "replicated-job", "global-job"];
  if (!MODES.includes(modeText)) {
    ctx.error(
      [...dPath, "mode"],
      `deploy mode "${modeText}" is not supported: expected replicated, global, replicated-job or global-job`,
    );
  }
  const mode: DeployMode = MODES.includes(modeText) ? (modeText as DeployMode) : "replicated";
  const replicasGiven = int(deploy["replicas"]);
  const scale = int(service["scale"]);
  if (replicasGiven !== undefined && scale !== undefined && replicasGiven !== scale)
    ctx.error(
      [...path, "scale"],
      `scale (${scale}) and deploy.replicas (${replicasGiven}) disagree; set only one`,
    );
  // Global means one replica per node; the single-engine docker driver has one node.
  const global = mode === "global" || mode === "global-job";
  const replicas = global ? 1 : (replicasGiven ?? scale ?? 1);
  const endpointMode = str(deploy["endpoint_mode"]);
  if (endpointMode !== undefined && endpointMode !== "vip" && endpointMode !== "dnsrr") {
    ctx.error(
      [...dPath, "endpoint_mode"],
      `unknown endpoint_mode "${endpointMode}": expected vip or dnsrr`,
    );
  }
  const resources = objectOrEmpty(deploy["resources"]);
  const rPath = [...dPath, "resources"];
  return {
    mode,
    replicas,
    ...(endpointMode === "vip" || endpointMode === "dnsrr" ? { endpointMode } : {}),
    labels: stringRecord(deploy["labels"], [...dPath, "labels"], ctx),
    resources: {
      // Legacy service-level keys (mem_limit, cpus, pids_limit, mem_reservation) fill in
      // whatever deploy.resources leaves unset, as compose does.
      limits: resourceSet(ctx, objectOrEmpty(resources["limits"]), [...rPath, "limits"], {
        cpus: service["cpus"],
        memory: service["mem_limit"],
        pids: service["pids_limit"],
        at: service["mem_limit"] !== undefined ? [...path, "mem_limit"] : path,
      }),
      reservations: resourceSet(
        ctx,
        objectOrEmpty(resources["reservations"]),
        [...rPath, "reservations"],
        {
          memory: service["mem_reservation"],
          at: [...path, "mem_reservation"],
        },
      ),
    },
    restartPolicy: normaliseRestartPolicy(service, path, ctx),
    updateConfig: updateConfig(ctx, deploy["update_config"], [...dPath, "update_config"]),
    rollbackConfig: updateConfig(ctx, deploy["rollback_config"], [...dPath, "rollback_config"]),
    placement: placement(deploy["placement"]),
  };
}

/**
 * IGNORED_SERVICE_KEYS grouped by their first segment (`ports[].name` -> `ports`), so each
 * service is matched only against patterns for keys it has: the same answer as
 * ignoredServiceKeys(), without walking ~90 patterns per service (a 1,000-service file
 * spent half its normalisation time there).
 */
const IGNORED_BY_FIRST_KEY: ReadonlyMap<string, readonly string[]> = (() => {
  const map = new Map<string, string[]>();
  for (const pattern of IGNORED_SERVICE_KEYS) {
    const first = (pattern.split(".")[0] ?? "").replace(/\[\]$/, "");
    map.set(first, [...(map.get(first) ?? []), pattern]);
  }
  return map;
})();

function ignoredKeysOf(service: JsonObject): string[] {
  const patterns = Object.keys(service).flatMap((k) => IGNORED_BY_FIRST_KEY.get(k) ?? []);
  if (patterns.length === 0) return [];
  const keys = new Set(findIgnoredKeys(service, patterns).map((hit) => hit.key));
  return [...keys].filter((k) => !LEGACY_KEYS_ACTED_ON.has(k)).sort();
}

function buildSpec(ctx: NormaliseContext, value: unknown, path: DocPath): BuildSpec | undefined {
  if (typeof value === "string") {
    return {
      context: resolve(ctx.doc.workingDir, value),
      dockerfile: "Dockerfile",
      args: {},
      labels: {},
    };
  }
  if (!isObject(value)) return undefined;
  // A bare build arg takes its value from the environment and is left out when unset.
  const args = listOrDict(value["args"], [...path, "args"], ctx, "null").flatMap(([k, v]) => {
    const resolved = v ?? ctx.lookupEnv(k);
    return resolved === undefined ? [] : [[k, resolved] as const];
  });
  return {
    context: resolve(ctx.doc.workingDir, str(value["context"]) ?? "."),
    dockerfile: str(value["dockerfile"]) ?? "Dockerfile",
    args: sortedRecord(args),
    ...opt("target", str(value["target"])),
    labels: stringRecord(value["labels"], [...path, "labels"], ctx),
    ...opt("dockerfileInline", str(value["dockerfile_inline"])),
    ...opt(
      "additionalContexts",
      value["additional_contexts"] === undefined
        ? undefined
        : sortedRecord(
            listOrDict(
              value["additional_contexts"],
              [...path, "additional_contexts"],
              ctx,
              "drop",
            ).map(([k, v]) => [k, resolveContext(ctx.doc.workingDir, v ?? "")] as const),
          ),
    ),
    ...opt("cacheFrom", optionalList(value["cache_from"])),
    ...opt("cacheTo", optionalList(value["cache_to"])),
    ...opt("network", str(value["network"])),
    ...opt(
      "secrets",
      value["secrets"] === undefined
        ? undefined
        : listOf(value["secrets"]).flatMap((x) =>
            typeof x === "string"
              ? [x]
              : isObject(x) && typeof x["source"] === "string"
                ? [x["source"]]
                : [],
          ),
    ),
    ...opt(
      "ssh",
      value["ssh"] === undefined
        ? undefined
        : listOrDict(value["ssh"], [...path, "ssh"], ctx, "empty").map(([k, v]) =>
            v === "" || v === null ? k : `${k}=${v}`,
          ),
    ),
    ...opt("tags", optionalList(value["tags"])),
    ...opt("platforms", optionalList(value["platforms"])),
    ...opt("noCache", bool(value["no_cache"])),
    ...opt("pull", bool(value["pull"])),
    ...opt(
      "extraHosts",
      value["extra_hosts"] === undefined ? undefined : extraHosts(value["extra_hosts"]),
    ),
    ...opt("shmSize", bytesOf(ctx, value["shm_size"], [...path, "shm_size"])),
  };
}

/**
 * An additional build context: a reference with a scheme (`docker-image://alpine`,
 * `https://...`, compose's `service:NAME`) is kept, a path is made absolute.
 */
function resolveContext(dir: string, value: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(value) && !/^[a-zA-Z]:[\\/]/.test(value)
    ? value
    : resolve(dir, value);
}

/** A string list that stays undefined when the key is absent. */
function optionalList(value: unknown): string[] | undefined {
  return value === undefined || value === null ? undefined : stringList(value);
}

function fileReferences(
  ctx: NormaliseContext,
  value: unknown,
  path: DocPath,
  kind: "secrets" | "configs",
): FileReferenceSpec[] {
  if (!Array.isArray(value)) return [];
  // Swarm's defaults: secrets under /run/secrets/<name>, configs at /<name>.
  const defaultTarget = (name: string): string =>
    kind === "secrets" ? `/run/secrets/${name}` : `/${name}`;
  const out: FileReferenceSpec[] = [];
  value.forEach((item, i) => {
    const at = [...path, i];
    if (typeof item === "string") {
      out.push(ctx.at({ source: item, target: defaultTarget(item) }, at));
      return;
    }
    if (!isObject(item) || typeof item["source"] !== "string") {
      ctx.error(at, `expected a ${kind.slice(0, -1)} name or {source, target}`);
      return;
    }
    const source = item["source"];
    const rawTarget = str(item["target"]);
    const target =
      rawTarget === undefined
        ? defaultTarget(source)
        : rawTarget.startsWith("/")
          ? rawTarget
          : defaultTarget(rawTarget);
    const mode = item["mode"] === undefined ? undefined : fileMode(item["mode"]);
    if (item["mode"] !== undefined && mode === undefined)
      ctx.error([...at, "mode"], "mode must be an octal number such as 0440");
    out.push(
      ctx.at(
        {
          source,
          target,
          ...opt("uid", scalarToString(item["uid"])),
          ...opt("gid", scalarToString(item["gid"])),
          ...opt("mode", mode),
        },
        at,
      ),
    );
  });
  return out;
}

function logging(ctx: NormaliseContext, value: unknown, path: DocPath): LoggingSpec | undefined {
  if (!isObject(value)) return undefined;
  return {
    ...opt("driver", str(value["driver"])),
    options: stringRecord(value["options"], [...path, "options"], ctx),
  };
}

function extraHosts(value: unknown): string[] {
  // compose accepts `host=ip` as well as Docker's `host:ip` (the engine wants the latter),
  // and several addresses for one host separated by commas: one entry each.
  const entries = (host: string, ips: string): string[] =>
    ips.split(",").map((ip) => `${host}:${ip.trim()}`);
  if (Array.isArray(value)) {
    return value.flatMap((v) => {
      const s = String(v);
      const eq = s.indexOf("=");
      return eq > 0 ? entries(s.slice(0, eq), s.slice(eq + 1)) : [s];
    });
  }
  if (isObject(value)) {
    return Object.entries(value).flatMap(([host, ip]) =>
      listOf(ip).flatMap((one) => entries(host, String(one))),
    );
  }
  return [];
}

function devices(ctx: NormaliseContext, value: unknown, path: DocPath): DeviceSpec[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: DeviceSpec[] = [];
  value.forEach((item, i) => {
    if (typeof item === "string") {
      // `/dev/x`, `/dev/x:/dev/y`, `/dev/x:/dev/y:rw`; a CDI name (`vendor.com/class=name`) too.
      const [source = "", target, permissions] = item.split(":");
      out.push({ source, target: target ?? source, permissions: permissions ?? "rwm" });
    } else if (isObject(item) && typeof item["source"] === "string") {
      const source = item["source"];
      out.push({
        source,
        target: str(item["target"]) ?? source,
        permissions: str(item["permissions"]) ?? "rwm",
      });
    } else ctx.error([...path, i], "expected a device path or {source, target, permissions}");
  });
  return out;
}

/** `gpus: all` or a list of device requests, each for the `gpu` capability. */
function gpus(
  ctx: NormaliseContext,
  value: unknown,
  path: DocPath,
): DeviceRequestSpec[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === "all") return [{ capabilities: ["gpu"], count: -1 }];
  const withGpu = Array.isArray(value)
    ? value.map((v) =>
        isObject(v) && v["capabilities"] === undefined ? { ...v, capabilities: ["gpu"] } : v,
      )
    : value;
  return deviceRequests(ctx, withGpu, path);
}

function hooks(ctx: NormaliseContext, value: unknown, path: DocPath): HookSpec[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: HookSpec[] = [];
  value.forEach((raw, i) => {
    if (!isObject(raw)) return;
    const at = [...path, i];
    const command = normaliseCommand(raw["command"], [...at, "command"], ctx);
    if (command === undefined || command.length === 0) {
      ctx.error([...at, "command"], "a hook needs a command");
      return;
    }
    out.push({
      command,
      ...opt("user", scalarToString(raw["user"])),
      ...opt("privileged", bool(raw["privileged"])),
      ...opt("workingDir", str(raw["working_dir"])),
      ...opt("image", str(raw["image"])),
      environment: sortedRecord(
        listOrDict(raw["environment"], [...at, "environment"], ctx, "null").map(
          ([k, v]) => [k, v ?? ctx.lookupEnv(k) ?? null] as const,
        ),
      ),
    });
  });
  return out;
}

function ulimits(
  ctx: NormaliseContext,
  value: unknown,
  path: DocPath,
): Record<string, { soft: number; hard: number }> {
  const entries: [string, { soft: number; hard: number }][] = [];
  for (const [name, raw] of Object.entries(objectOrEmpty(value))) {
    const single = int(raw);
    if (single !== undefined) entries.push([name, { soft: single, hard: single }]);
    else if (isObject(raw) && int(raw["soft"]) !== undefined && int(raw["hard"]) !== undefined) {
      entries.push([name, { soft: int(raw["soft"]) ?? 0, hard: int(raw["hard"]) ?? 0 }]);
    } else ctx.error([...path, name], "expected a number or {soft, hard}");
  }
  return sortedRecord(entries);
}

interface ServiceDraft {
  readonly name: string;
  readonly path: DocPath;
  readonly raw: JsonObject;
  readonly networks: Map<string, ServiceNetworkDraft>;
  readonly links: LinkDraft[];
  readonly dependsOn: Map<string, DependencySpec>;
}

function serviceSpec(
  ctx: NormaliseContext,
  stack: string,
  draft: ServiceDraft,
  networks: Record<string, ServiceNetworkSpec>,
): ServiceSpec {
  const { raw: s, path, name } = draft;
  const build = buildSpec(ctx, s["build"], [...path, "build"]);
  let image = str(s["image"]);
  if (image === undefined) {
    if (build) image = builtImageName(stack, name);
    else {
      ctx.error(path, `service "${name}" needs an image or a build section`, true);
      image = "";
    }
  }
  const healthcheck = normaliseHealthcheck(s["healthcheck"], [...path, "healthcheck"], ctx);
  const command = normaliseCommand(s["command"], [...path, "command"], ctx);
  const entrypoint = normaliseCommand(s["entrypoint"], [...path, "entrypoint"], ctx);
  const pull = pullPolicyOf(ctx, s["pull_policy"], [...path, "pull_policy"], build !== undefined);
  const spec: ServiceSpec = {
    name,
    image,
    ...opt("build", build),
    ...opt("pullPolicy", pull?.policy),
    ...opt("pullRefreshMs", pull?.everyMs),
    ...opt("command", command),
    ...opt("entrypoint", entrypoint),
    environment: normaliseEnvironment(s, path, ctx),
    ...opt("workingDir", str(s["working_dir"])),
    ...opt("user", scalarToString(s["user"])),
    ...opt("hostname", str(s["hostname"])),
    ...opt("containerName", str(s["container_name"])),
    labels: normaliseLabels(s, path, ctx),
    ...opt("init", bool(s["init"])),
    ...opt(
      "stopGracePeriodMs",
      durationOf(ctx, s["stop_grace_period"], [...path, "stop_grace_period"]),
    ),
    ...opt("stopSignal", str(s["stop_signal"])),
    ports: normalisePorts(s["ports"], [...path, "ports"], ctx),
    networks,
    links: draft.links.map((l) => ctx.at({ service: l.service, alias: l.alias }, l.path)),
    mounts: [
      ...normaliseServiceVolumes(s["volumes"], [...path, "volumes"], ctx),
      ...normaliseTmpfs(s["tmpfs"], [...path, "tmpfs"], ctx),
    ],
    ...opt("healthcheck", healthcheck),
    dependsOn: sortedRecord(draft.dependsOn),
    deploy: deploySpec(ctx, s, path),
    ...opt("logging", logging(ctx, s["logging"], [...path, "logging"])),
    secrets: fileReferences(ctx, s["secrets"], [...path, "secrets"], "secrets"),
    configs: fileReferences(ctx, s["configs"], [...path, "configs"], "configs"),
    ...opt("privileged", bool(s["privileged"])),
    ...opt("networkMode", str(s["network_mode"])),
    ...opt("pid", str(s["pid"])),
    ...opt("readOnly", bool(s["read_only"])),
    ...opt("tty", bool(s["tty"])),
    ...opt("stdinOpen", bool(s["stdin_open"])),
    extraHosts: extraHosts(s["extra_hosts"]),
    dns: stringList(s["dns"]),
    capAdd: stringList(s["cap_add"]),
    capDrop: stringList(s["cap_drop"]),
    ulimits: ulimits(ctx, s["ulimits"], [...path, "ulimits"]),
    sysctls: stringRecord(s["sysctls"], [...path, "sysctls"], ctx),
    ...opt("shmSize", bytesOf(ctx, s["shm_size"], [...path, "shm_size"])),
    expose: listOf(s["expose"]).map((e) => String(e)),
    profiles: stringList(s["profiles"]),
    ignoredKeys: ignoredKeysOf(s),
    ...opt("restart", str(s["restart"])),
    ...opt("devices", devices(ctx, s["devices"], [...path, "devices"])),
    ...opt("deviceCgroupRules", optionalList(s["device_cgroup_rules"])),
    ...opt("gpus", gpus(ctx, s["gpus"], [...path, "gpus"])),
    ...opt("securityOpt", optionalList(s["security_opt"])),
    ...opt("cgroupParent", str(s["cgroup_parent"])),
    ...opt("dnsSearch", optionalList(s["dns_search"])),
    ...opt("dnsOptions", optionalList(s["dns_opt"])),
    ...opt("domainname", str(s["domainname"])),
    ...opt("ipc", str(s["ipc"])),
    ...opt("uts", str(s["uts"])),
    ...opt("macAddress", str(s["mac_address"])),
    ...opt(
      "storageOpt",
      s["storage_opt"] === undefined
        ? undefined
        : stringRecord(s["storage_opt"], [...path, "storage_opt"], ctx),
    ),
    ...opt(
      "annotations",
      s["annotations"] === undefined
        ? undefined
        : stringRecord(s["annotations"], [...path, "annotations"], ctx),
    ),
    ...opt("postStart", hooks(ctx, s["post_start"], [...path, "post_start"])),
    ...opt("preStop", hooks(ctx, s["pre_stop"], [...path, "pre_stop"])),
    ...opt("preStart", hooks(ctx, s["pre_start"], [...path, "pre_start"])),
  };
  return ctx.at(spec, path);
}

/** Engine name of a top-level object: its `name:`, else (external) the key, else `<stack>_<key>`. */
function objectName(stack: string, key: string, value: JsonObject, external: boolean): string {
  const legacyExternal = isObject(value["external"]) ? str(value["external"]["name"]) : undefined;
  const explicit = str(value["name"]) ?? legacyExternal;
  if (explicit !== undefined) return explicit;
  return external ? key : scopedName(stack, key);
}

function isExternal(value: JsonObject): boolean {
  const e = value["external"];
  return e === true || bool(e) === true || isObject(e);
}

/**
 * compose refuses an external object that also says how to create it, and `external.name`
 * beside `name:`; both are located errors here too.
 */
function checkExternal(
  ctx: NormaliseContext,
  value: JsonObject,
  path: DocPath,
  kind: string,
  creating: readonly string[],
): void {
  if (!isExternal(value)) return;
  for (const key of creating) {
    if (value[key] !== undefined)
      ctx.error(
        [...path, key],
        `${kind} is external: ${key} cannot be set (stack does not create external ${kind}s)`,
        true,
      );
  }
  if (
    isObject(value["external"]) &&
    value["external"]["name"] !== undefined &&
    value["name"] !== undefined
  )
    ctx.error(
      [...path, "external", "name"],
      "external.name and name cannot be used together; use only name",
      true,
    );
}

function networkSpec(
  ctx: NormaliseContext,
  stack: string,
  key: string,
  raw: unknown,
  path: DocPath,
): NetworkSpec {
  const n = objectOrEmpty(raw);
  const external = isExternal(n);
  checkExternal(ctx, n, path, "network", [
    "driver",
    "driver_opts",
    "labels",
    "ipam",
    "internal",
    "attachable",
    "enable_ipv6",
  ]);
  const ipamRaw = n["ipam"];
  let ipam: NetworkSpec["ipam"];
  if (isObject(ipamRaw)) {
    ipam = {
      ...opt("driver", str(ipamRaw["driver"])),
      config: listOf(ipamRaw["config"])
        .filter(isObject)
        .map((c) => ({
          ...opt("subnet", str(c["subnet"])),
          ...opt("gateway", str(c["gateway"])),
          ...opt("ipRange", str(c["ip_range"])),
        })),
    };
  }
  const spec: NetworkSpec = {
    key,
    name: objectName(stack, key, n, external),
    external,
    ...opt("driver", str(n["driver"])),
    driverOpts: stringRecord(n["driver_opts"], [...path, "driver_opts"], ctx),
    ...opt("attachable", bool(n["attachable"])),
    ...opt("internal", bool(n["internal"])),
    ...opt("enableIpv6", bool(n["enable_ipv6"])),
    ...opt("ipam", ipam),
    labels: stringRecord(n["labels"], [...path, "labels"], ctx),
  };
  return ctx.at(spec, path);
}

function volumeSpec(
  ctx: NormaliseContext,
  stack: string,
  key: string,
  raw: unknown,
  path: DocPath,
): VolumeSpec {
  const v = objectOrEmpty(raw);
  const external = isExternal(v);
  checkExternal(ctx, v, path, "volume", ["driver", "driver_opts", "labels"]);
  return ctx.at(
    {
      key,
      name: objectName(stack, key, v, external),
      external,
      ...opt("driver", str(v["driver"])),
      driverOpts: stringRecord(v["driver_opts"], [...path, "driver_opts"], ctx),
      labels: stringRecord(v["labels"], [...path, "labels"], ctx),
    },
    path,
  );
}

function fileObjectSpec(
  ctx: NormaliseContext,
  stack: string,
  key: string,
  raw: unknown,
  path: DocPath,
  kind: "secret" | "config",
): FileObjectSpec {
  const o = objectOrEmpty(raw);
  const external = isExternal(o);
  checkExternal(ctx, o, path, kind, []);
  const file = str(o["file"]);
  const environment = str(o["environment"]);
  const content = kind === "config" ? str(o["content"]) : undefined;
  if (!external && file === undefined && environment === undefined && content === undefined) {
    ctx.error(
      path,
      `${kind} "${key}" needs file, environment${kind === "config" ? ", content" : ""} or external: true`,
    );
  }
  return ctx.at(
    {
      key,
      name: objectName(stack, key, o, external),
      external,
      // `~` is the deploying user's home, as for bind mounts.
      ...opt("file", file === undefined ? undefined : resolveHostPath(file, ctx)),
      ...opt("environment", environment),
      ...opt("content", content),
      labels: stringRecord(o["labels"], [...path, "labels"], ctx),
    },
    path,
  );
}

/**
 * Adds the implicit dependencies compose derives: a `links:` target and a
 * `network_mode: service:x` target are started first (condition service_started, restart
 * true, required true), unless `depends_on` already names them.
 */
function addImplicitDependencies(ctx: NormaliseContext, draft: ServiceDraft): void {
  for (const link of draft.links) {
    if (!draft.dependsOn.has(link.service)) {
      draft.dependsOn.set(
        link.service,
        ctx.at({ condition: "service_started", restart: true, required: true }, link.path),
      );
    }
  }
  const mode = str(draft.raw["network_mode"]);
  if (mode?.startsWith("service:")) {
    const target = mode.slice("service:".length);
    if (!draft.dependsOn.has(target)) {
      draft.dependsOn.set(
        target,
        ctx.at({ condition: "service_started", restart: true, required: true }, [
          ...draft.path,
          "network_mode",
        ]),
      );
    }
  }
}

/**
 * Makes `links:` aliases resolvable. Docker's legacy links only exist on the default bridge;
 * on user networks each link alias is a DNS name of the target. We add the alias to the
 * TARGET service's aliases on every network the two services share, so it resolves to every
 * replica of the target (an endpoint `Links` entry would name one container). The cost: on
 * that network the alias is visible to every service, not only the linking one. The service
 * name itself is not added: every driver registers it as a name on each network anyway. A
 * link with no shared network cannot resolve and is a warning.
 */
function foldLinkAliases(ctx: NormaliseContext, drafts: ReadonlyMap<string, ServiceDraft>): void {
  for (const draft of drafts.values()) {
    for (const link of draft.links) {
      const target = drafts.get(link.service);
      if (!target) continue; // unknown service: a semantic check reports it
      const shared = [...draft.networks.keys()].filter((n) => target.networks.has(n));
      if (shared.length === 0) {
        ctx.warn(
          link.path,
          `service "${draft.name}" and linked service "${link.service}" share no network, so "${link.alias}" will not resolve`,
        );
        continue;
      }
      if (link.alias === link.service) continue;
      for (const n of shared) target.networks.get(n)?.aliases.push(link.alias);
    }
  }
}

/** Issues in file order (stable for equal or unknown positions), as a reader scans the file. */
export function byPosition<
  T extends {
    readonly pos?: { readonly file: string; readonly line: number; readonly col: number };
  },
>(issues: readonly T[]): T[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => {
      const pa = a.issue.pos;
      const pb = b.issue.pos;
      if (pa && pb) {
        if (pa.file !== pb.file) return a.index - b.index;
        return pa.line - pb.line || pa.col - pb.col || a.index - b.index;
      }
      return a.index - b.index;
    })
    .map(({ issue }) => issue);
}

/**
 * Normalises a schema-valid compose document into a frozen StackSpec named `stackName`.
 * Collects every problem instead of throwing; `issues` non-empty means the spec must not be
 * used. Services none of whose `profiles:` is active (`doc.profiles`) are left out, as
 * compose leaves them out, and named in an info warning.
 */
export function normalise(doc: LoadedDocument, stackName: string): NormaliseResult {
  const ctx = new NormaliseContext(doc);
  const root = objectOrEmpty(doc.value);
  const rawServices = objectOrEmpty(root["services"]);
  const inactive = new Map<string, readonly string[]>();
  const providers = new Set<string>();
  const drafts = new Map<string, ServiceDraft>();
  for (const [name, raw] of Object.entries(rawServices)) {
    const path: DocPath = ["services", name];
    const s = objectOrEmpty(raw);
    const profiles = stringList(s["profiles"]);
    if (isObject(s["provider"])) {
      // compose hands such a service to a provider plugin; stack has none to hand it to.
      providers.add(name);
      ctx.warn(
        path,
        `service "${name}" is run by a provider (${str(s["provider"]["type"]) ?? "unnamed"}) and is not deployed: stack cannot run provider services`,
        true,
      );
      continue;
    }
    if (!isServiceEnabled(profiles, doc.profiles ?? [])) {
      inactive.set(name, profiles);
      ctx.warn(
        path,
        `service "${name}" is not deployed: none of its profiles [${profiles.join(", ")}] is active (select one with --profile or COMPOSE_PROFILES)`,
        true,
      );
      continue;
    }
    const draft: ServiceDraft = {
      name,
      path,
      raw: s,
      networks: normaliseServiceNetworks(s, path, ctx),
      links: normaliseLinks(s["links"], [...path, "links"], ctx),
      dependsOn: normaliseDependsOn(s["depends_on"], [...path, "depends_on"], ctx),
    };
    addImplicitDependencies(ctx, draft);
    drafts.set(name, draft);
  }
  foldLinkAliases(ctx, drafts);

  const services: [string, ServiceSpec][] = [];
  let usesDefault = false;
  for (const draft of drafts.values()) {
    if (draft.networks.has("default")) usesDefault = true;
    const networks = sortedRecord(
      [...draft.networks].map(([key, n]) => {
        const spec: ServiceNetworkSpec = {
          aliases: [...new Set(n.aliases)].sort(),
          ...opt("ipv4Address", n.ipv4Address),
          ...opt("ipv6Address", n.ipv6Address),
        };
        return [key, ctx.at(spec, n.path)] as const;
      }),
    );
    services.push([draft.name, serviceSpec(ctx, stackName, draft, networks)]);
  }

  const networkEntries: [string, NetworkSpec][] = Object.entries(
    objectOrEmpty(root["networks"]),
  ).map(([key, raw]) => [key, networkSpec(ctx, stackName, key, raw, ["networks", key])]);
  if (usesDefault && !networkEntries.some(([k]) => k === "default")) {
    networkEntries.push(["default", networkSpec(ctx, stackName, "default", {}, ["networks"])]);
  }
  const volumes = Object.entries(objectOrEmpty(root["volumes"])).map(
    ([key, raw]) => [key, volumeSpec(ctx, stackName, key, raw, ["volumes", key])] as const,
  );
  const secrets = Object.entries(objectOrEmpty(root["secrets"])).map(
    ([key, raw]) =>
      [key, fileObjectSpec(ctx, stackName, key, raw, ["secrets", key], "secret")] as const,
  );
  const configs = Object.entries(objectOrEmpty(root["configs"])).map(
    ([key, raw]) =>
      [key, fileObjectSpec(ctx, stackName, key, raw, ["configs", key], "config")] as const,
  );

  const spec: StackSpec = deepFreeze({
    name: stackName,
    files: [...doc.files],
    workingDir: doc.workingDir,
    services: sortedRecord(services),
    networks: sortedRecord(networkEntries),
    volumes: sortedRecord(volumes),
    secrets: sortedRecord(secrets),
    configs: sortedRecord(configs),
  });
  return {
    spec,
    issues: byPosition(ctx.issues),
    warnings: ctx.warnings,
    locate: (obj) => ctx.origins.get(obj),
    inactiveServices: inactive,
    providerServices: providers,
  };
}
