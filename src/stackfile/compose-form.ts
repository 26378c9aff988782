/**
 * The normalised model printed in compose's own form, as `docker compose config` prints a
 * project: compose's field names (`mem_limit`, `stop_grace_period`), its value shapes
 * (durations like `1m30s`, byte sizes as strings of bytes, ports and volumes in long
 * syntax, `depends_on` as a mapping, networks by key), and sorted keys, so a user can diff
 * `stack config` with `docker compose config`. Used by `stack config`.
 */
import { stringify as toYaml } from "yaml";
import { canonicalJson } from "../model/config-hash.js";
import { DEFAULT_UPDATE_CONFIG } from "./normalise.js";
import type {
  BuildSpec,
  DeploySpec,
  DeviceRequestSpec,
  FileObjectSpec,
  FileReferenceSpec,
  HookSpec,
  MountSpec,
  NetworkSpec,
  ResourceSet,
  ServiceSpec,
  StackSpec,
  UpdateConfigSpec,
  VolumeSpec,
} from "../model/types.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A duration in Go's `time.Duration` notation, which compose prints: `30s`, `1m30s`,
 * `1h0m0s`, `500ms`, `1.5s`, `0s`.
 */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, "")}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

/** CPUs from nano-CPUs as compose prints them (`0.5`). */
function cpus(nano: number): number {
  return Number((nano / 1e9).toFixed(9));
}

/**
 * An object without undefined members, empty lists and empty mappings (compose omits them),
 * keys sorted (compose's field order is nearly alphabetical) unless `sort` is false (ports
 * and mounts follow compose's struct order, which the caller writes them in).
 */
function compact(value: Record<string, Json | undefined>, sort = true): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  const keys = Object.keys(value);
  for (const key of sort ? keys.sort() : keys) {
    const v = value[key];
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0)
      continue;
    out[key] = v;
  }
  return out;
}

function record<T extends Json>(
  r: Readonly<Record<string, T>> | undefined,
): { [key: string]: Json } | undefined {
  if (r === undefined) return undefined;
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(r).sort()) out[key] = r[key]!;
  return out;
}

function list(l: readonly string[] | undefined): Json[] | undefined {
  return l === undefined ? undefined : [...l];
}

function build(b: BuildSpec): Json {
  // compose's struct order, as its config output prints it.
  return compact(
    {
      context: b.context,
      dockerfile: b.dockerfileInline === undefined ? b.dockerfile : undefined,
      dockerfile_inline: b.dockerfileInline,
      args: record(b.args),
      ssh: list(b.ssh),
      labels: record(b.labels),
      cache_from: list(b.cacheFrom),
      cache_to: list(b.cacheTo),
      no_cache: b.noCache,
      additional_contexts: record(b.additionalContexts),
      network: b.network,
      pull: b.pull,
      target: b.target,
      shm_size: b.shmSize === undefined ? undefined : String(b.shmSize),
      extra_hosts: b.extraHosts?.map(hostEntry),
      secrets: b.secrets?.map((source) => ({ source })),
      tags: list(b.tags),
      platforms: list(b.platforms),
    },
    false,
  );
}

/** `pull_policy` as written: a refresh period as `daily`, `weekly` or `every_<duration>`. */
function pullPolicy(policy: string | undefined, everyMs: number | undefined): string | undefined {
  if (policy !== "refresh" || everyMs === undefined) return policy;
  if (everyMs === 86_400_000) return "daily";
  if (everyMs === 7 * 86_400_000) return "weekly";
  // `12h0m0s` -> `12h`: the zero units a file would not write are dropped.
  return `every_${goDuration(everyMs)
    .replace(/([hm])0s$/, "$1")
    .replace(/h0m$/, "h")}`;
}

/** `host:ip` (the model's form) as compose prints it, `host=ip`. */
function hostEntry(entry: string): string {
  const colon = entry.indexOf(":");
  return colon > 0 ? `${entry.slice(0, colon)}=${entry.slice(colon + 1)}` : entry;
}

function resources(r: ResourceSet): Json {
  return compact({
    cpus: r.nanoCpus === undefined ? undefined : cpus(r.nanoCpus),
    memory: r.memoryBytes === undefined ? undefined : String(r.memoryBytes),
    pids: r.pids,
    devices: r.devices?.map(deviceRequest),
  });
}

function deviceRequest(d: DeviceRequestSpec): Json {
  return compact({
    capabilities: [...d.capabilities],
    driver: d.driver,
    count: d.count === undefined ? undefined : d.count === -1 ? "all" : d.count,
    device_ids: list(d.deviceIds),
    options: record(d.options),
  });
}

function updateConfig(u: UpdateConfigSpec): Json | undefined {
  // The model fills swarm's defaults in; compose prints only what the file sets.
  if (canonicalJson(u) === canonicalJson(DEFAULT_UPDATE_CONFIG)) return undefined;
  return compact({
    parallelism: u.parallelism,
    delay: goDuration(u.delayMs),
    failure_action: u.failureAction,
    monitor: goDuration(u.monitorMs),
    max_failure_ratio: u.maxFailureRatio,
    order: u.order,
  });
}

/** Whether the policy is what `restart:` alone gives (then the file had no restart_policy). */
function fromRestart(restart: string | undefined, d: DeploySpec): boolean {
  if (restart === undefined) return false;
  const rp = d.restartPolicy;
  if (rp.delayMs !== undefined || rp.windowMs !== undefined) return false;
  const m = /^on-failure(?::(\d+))?$/.exec(restart);
  if (m)
    return (
      rp.condition === "on-failure" &&
      rp.maxAttempts === (m[1] === undefined ? undefined : Number(m[1]))
    );
  const condition = restart === "no" ? "none" : "any";
  return rp.condition === condition && rp.maxAttempts === undefined;
}

function deploy(d: DeploySpec, restart: string | undefined): Json {
  const rp = d.restartPolicy;
  return compact({
    // replicated is compose's default and printed by it only when written.
    mode: d.mode === "replicated" ? undefined : d.mode,
    // One replica is the default too; compose prints it only when written.
    replicas:
      d.mode === "global" || d.mode === "global-job" || d.replicas === 1 ? undefined : d.replicas,
    endpoint_mode: d.endpointMode,
    labels: record(d.labels),
    resources: compact({
      limits: resources(d.resources.limits),
      reservations: resources(d.resources.reservations),
    }),
    // A defaulted policy, or one `restart:` gave, is not in the file: compose prints none.
    restart_policy:
      rp.defaulted === true || fromRestart(restart, d)
        ? undefined
        : compact({
            condition: rp.condition,
            delay: rp.delayMs === undefined ? undefined : goDuration(rp.delayMs),
            max_attempts: rp.maxAttempts,
            window: rp.windowMs === undefined ? undefined : goDuration(rp.windowMs),
          }),
    update_config: updateConfig(d.updateConfig),
    rollback_config: updateConfig(d.rollbackConfig),
    placement: compact({
      constraints: list(d.placement.constraints),
      preferences: d.placement.preferences.map((p) => ({ spread: p.spread })),
      max_replicas_per_node: d.placement.maxReplicasPerNode,
    }),
  });
}

function mount(m: MountSpec): Json {
  const readOnly = m.readOnly || undefined;
  switch (m.type) {
    case "volume":
      return {
        ...compact(
          { type: "volume", source: m.source, target: m.target, read_only: readOnly },
          false,
        ),
        volume: m.noCopy === true ? { nocopy: true } : {},
      };
    case "bind":
      return {
        ...compact(
          { type: "bind", source: m.source, target: m.target, read_only: readOnly },
          false,
        ),
        bind: m.createHostPath === true ? { create_host_path: true } : {},
      };
    case "tmpfs":
      return compact(
        {
          type: "tmpfs",
          target: m.target,
          read_only: readOnly,
          tmpfs: compact({
            size: m.tmpfsSize === undefined ? undefined : String(m.tmpfsSize),
            mode: m.tmpfsMode,
          }),
        },
        false,
      );
  }
}

/** A secret or config reference; compose prints the mode in octal, as a string (`"0400"`). */
function fileReference(r: FileReferenceSpec): Json {
  return compact(
    {
      source: r.source,
      target: r.target,
      uid: r.uid,
      gid: r.gid,
      mode: r.mode === undefined ? undefined : `0${r.mode.toString(8).padStart(3, "0")}`,
    },
    false,
  );
}

function hooks(h: readonly HookSpec[] | undefined): Json[] | undefined {
  return h?.map((hook) =>
    compact({
      command: [...hook.command],
      image: hook.image,
      user: hook.user,
      privileged: hook.privileged,
      working_dir: hook.workingDir,
      environment: record(hook.environment),
    }),
  );
}

/** compose prints `profiles` first and the hooks last; everything else alphabetically. */
function serviceOrder(body: { [key: string]: Json }): { [key: string]: Json } {
  const first = ["profiles"];
  const last = ["post_start", "pre_stop", "pre_start"];
  const keys = Object.keys(body).filter((k) => !first.includes(k) && !last.includes(k));
  const out: { [key: string]: Json } = {};
  for (const key of [...first, ...keys, ...last]) if (body[key] !== undefined) out[key] = body[key];
  return out;
}

function service(s: ServiceSpec): Json {
  const hc = s.healthcheck;
  return serviceOrder(
    compact({
      image: s.image,
      build: s.build === undefined ? undefined : build(s.build),
      pull_policy: pullPolicy(s.pullPolicy, s.pullRefreshMs),
      command: list(s.command),
      entrypoint: list(s.entrypoint),
      environment: record(s.environment),
      working_dir: s.workingDir,
      user: s.user,
      hostname: s.hostname,
      domainname: s.domainname,
      container_name: s.containerName,
      labels: record(s.labels),
      annotations: record(s.annotations),
      init: s.init,
      stop_grace_period:
        s.stopGracePeriodMs === undefined ? undefined : goDuration(s.stopGracePeriodMs),
      stop_signal: s.stopSignal,
      ports: s.ports.map((p) =>
        compact(
          {
            mode: p.mode,
            host_ip: p.hostIp,
            target: p.target,
            published:
              p.published === undefined
                ? undefined
                : p.publishedEnd === undefined
                  ? String(p.published)
                  : `${p.published}-${p.publishedEnd}`,
            protocol: p.protocol,
          },
          false,
        ),
      ),
      expose: list(s.expose),
      networks:
        s.networkMode !== undefined
          ? undefined
          : Object.fromEntries(
              Object.keys(s.networks)
                .sort()
                .map((key) => {
                  const n = s.networks[key]!;
                  const body = compact({
                    aliases: list(n.aliases),
                    ipv4_address: n.ipv4Address,
                    ipv6_address: n.ipv6Address,
                  });
                  return [key, Object.keys(body).length === 0 ? null : body];
                }),
            ),
      network_mode: s.networkMode,
      links: s.links.map((l) => (l.alias === l.service ? l.service : `${l.service}:${l.alias}`)),
      volumes: s.mounts.map(mount),
      healthcheck:
        hc === undefined
          ? undefined
          : "disable" in hc
            ? { disable: true }
            : compact(
                {
                  test: [...hc.test],
                  timeout: hc.timeoutMs === undefined ? undefined : goDuration(hc.timeoutMs),
                  interval: hc.intervalMs === undefined ? undefined : goDuration(hc.intervalMs),
                  retries: hc.retries,
                  start_period:
                    hc.startPeriodMs === undefined ? undefined : goDuration(hc.startPeriodMs),
                  start_interval:
                    hc.startIntervalMs === undefined ? undefined : goDuration(hc.startIntervalMs),
                },
                false,
              ),
      depends_on: Object.fromEntries(
        Object.keys(s.dependsOn)
          .sort()
          .map((name) => {
            const d = s.dependsOn[name]!;
            return [
              name,
              compact({
                condition: d.condition,
                required: d.required,
                restart: d.restart || undefined,
              }),
            ];
          }),
      ),
      deploy: deploy(s.deploy, s.restart),
      restart: s.restart,
      logging:
        s.logging === undefined
          ? undefined
          : compact({ driver: s.logging.driver, options: record(s.logging.options) }),
      secrets: s.secrets.map(fileReference),
      configs: s.configs.map(fileReference),
      privileged: s.privileged,
      pid: s.pid,
      ipc: s.ipc,
      uts: s.uts,
      read_only: s.readOnly,
      tty: s.tty,
      stdin_open: s.stdinOpen,
      extra_hosts: s.extraHosts.map(hostEntry),
      dns: list(s.dns),
      dns_search: list(s.dnsSearch),
      dns_opt: list(s.dnsOptions),
      cap_add: list(s.capAdd),
      cap_drop: list(s.capDrop),
      security_opt: list(s.securityOpt),
      cgroup_parent: s.cgroupParent,
      devices: s.devices?.map((d) =>
        compact({ source: d.source, target: d.target, permissions: d.permissions }),
      ),
      device_cgroup_rules: list(s.deviceCgroupRules),
      gpus: s.gpus?.map(deviceRequest),
      mac_address: s.macAddress,
      storage_opt: record(s.storageOpt),
      ulimits: Object.fromEntries(
        Object.keys(s.ulimits)
          .sort()
          .map((name) => {
            const u = s.ulimits[name]!;
            return [name, u.soft === u.hard ? u.soft : { soft: u.soft, hard: u.hard }];
          }),
      ),
      sysctls: record(s.sysctls),
      shm_size: s.shmSize === undefined ? undefined : String(s.shmSize),
      profiles: list(s.profiles),
      post_start: hooks(s.postStart),
      pre_stop: hooks(s.preStop),
      pre_start: hooks(s.preStart),
    }),
  );
}

function network(n: NetworkSpec): Json {
  return compact(
    {
      name: n.name,
      driver: n.driver,
      driver_opts: record(n.driverOpts),
      ipam:
        n.ipam === undefined
          ? undefined
          : compact(
              {
                driver: n.ipam.driver,
                config: n.ipam.config.map((c) =>
                  compact({ subnet: c.subnet, gateway: c.gateway, ip_range: c.ipRange }, false),
                ),
              },
              false,
            ),
      external: n.external || undefined,
      internal: n.internal,
      attachable: n.attachable,
      enable_ipv6: n.enableIpv6,
      labels: record(n.labels),
    },
    false,
  );
}

function volume(v: VolumeSpec): Json {
  return compact(
    {
      name: v.name,
      driver: v.driver,
      driver_opts: record(v.driverOpts),
      external: v.external || undefined,
      labels: record(v.labels),
    },
    false,
  );
}

function fileObject(o: FileObjectSpec): Json {
  return compact(
    {
      name: o.name,
      file: o.file,
      environment: o.environment,
      content: o.content,
      external: o.external || undefined,
      labels: record(o.labels),
    },
    false,
  );
}

function section<T>(
  r: Readonly<Record<string, T>>,
  f: (v: T) => Json,
): { [key: string]: Json } | undefined {
  const keys = Object.keys(r).sort();
  return keys.length === 0 ? undefined : Object.fromEntries(keys.map((k) => [k, f(r[k]!)]));
}

/** The whole stack in compose's shape (see the module comment). */
export function composeForm(spec: StackSpec): { [key: string]: Json } {
  const out: { [key: string]: Json } = { name: spec.name };
  const services = section(spec.services, service);
  out["services"] = services ?? {};
  for (const [key, value] of [
    ["networks", section(spec.networks, network)],
    ["volumes", section(spec.volumes, volume)],
    ["secrets", section(spec.secrets, fileObject)],
    ["configs", section(spec.configs, fileObject)],
  ] as const)
    if (value !== undefined) out[key] = value;
  return out;
}

/** What `stack config` prints: compose's form (default) or the internal model, as YAML or JSON. */
export function formatConfig(
  spec: StackSpec,
  options: { readonly format: "yaml" | "json"; readonly model?: boolean },
): string {
  const value: unknown = options.model === true ? spec : composeForm(spec);
  return options.format === "json" ? `${JSON.stringify(value, null, 2)}\n` : toYaml(value);
}
