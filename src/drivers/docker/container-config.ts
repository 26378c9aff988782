/**
 * ServiceSpec -> Docker Engine API container-create body. PURE: no I/O, no clock; the same
 * input always gives the same body, so it is unit-tested without an engine.
 *
 * Engine facts this mapping relies on (checked against dockerd 20.10, API 1.41):
 * - `POST /containers/create` accepts only ONE entry in NetworkingConfig.EndpointsConfig
 *   before API 1.44 ("Container cannot be connected to network endpoints: a, b"): the first
 *   network is given at create, the rest are connected after create and before start.
 * - Healthcheck durations are nanoseconds; `StartInterval` exists only from API 1.44.
 * - A `Mounts` bind whose source is missing fails ("bind source path does not exist"), while
 *   a legacy `Binds` entry creates the directory: `createHostPath` binds therefore go to Binds.
 * - Secrets and configs are not mounts: the driver writes them into the created container
 *   (see `secret-files.ts` for why); only their objects are checked here.
 * - Podman 4.3's compatible create splits every argument of a `CMD` healthcheck on
 *   whitespace (`["CMD", "python3", "-c", "import x; ..."]` is stored as `python3 -c import
 *   x; ...`), so such a check fails, or passes when it should not; `CMD-SHELL` strings are
 *   kept whole. On Podman such a test is sent as `CMD-SHELL` with each argument quoted.
 */
import { LABELS } from "../docker-api/labels.js";
import { containerName as slotContainerName } from "../../model/naming.js";
import { EngineError } from "../../core/errors.js";
import { ingressPorts } from "../../model/ingress.js";
import { fileSources, readOnlyFileDirs } from "./secret-files.js";
import type { MountSpec, ServiceSpec, StackSpec } from "../../model/types.js";
import type { EngineKind } from "../../core/driver.js";

/** Per-network endpoint settings (`EndpointSettings` of the Engine API, the fields we set). */
export interface EndpointConfig {
  readonly Aliases: readonly string[];
  /** From API 1.44 the MAC address is set per endpoint. */
  readonly MacAddress?: string;
  readonly IPAMConfig?: { readonly IPv4Address?: string; readonly IPv6Address?: string };
}

/** One `HostConfig.Mounts` entry. */
export interface MountConfig {
  readonly Type: "volume" | "bind" | "tmpfs";
  readonly Source: string;
  readonly Target: string;
  readonly ReadOnly: boolean;
  readonly VolumeOptions?: { readonly NoCopy: boolean };
  readonly TmpfsOptions?: { readonly SizeBytes?: number; readonly Mode?: number };
}

/** The `HostConfig` members this driver sets. */
export interface HostConfigBody {
  NetworkMode?: string;
  PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
  Mounts?: MountConfig[];
  Binds?: string[];
  NanoCpus?: number;
  Memory?: number;
  MemoryReservation?: number;
  PidsLimit?: number;
  RestartPolicy?: {
    Name: "no" | "always" | "unless-stopped" | "on-failure";
    MaximumRetryCount?: number;
  };
  LogConfig?: { Type: string; Config: Record<string, string> };
  Init?: boolean;
  Privileged?: boolean;
  PidMode?: string;
  ReadonlyRootfs?: boolean;
  ExtraHosts?: string[];
  Dns?: string[];
  CapAdd?: string[];
  CapDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  Sysctls?: Record<string, string>;
  ShmSize?: number;
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  DeviceCgroupRules?: string[];
  DeviceRequests?: {
    Driver: string;
    Count: number;
    DeviceIDs: string[];
    Capabilities: string[][];
    Options: Record<string, string>;
  }[];
  SecurityOpt?: string[];
  CgroupParent?: string;
  DnsSearch?: string[];
  DnsOptions?: string[];
  IpcMode?: string;
  UTSMode?: string;
  StorageOpt?: Record<string, string>;
  /** API 1.43+. */
  Annotations?: Record<string, string>;
}

/** The `POST /containers/create` body this driver sends (the container name goes in the query). */
export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Domainname?: string;
  /** Before API 1.44; later versions take it per endpoint. */
  MacAddress?: string;
  Labels: Record<string, string>;
  StopTimeout?: number;
  StopSignal?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Healthcheck?: {
    Test: string[];
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    StartInterval?: number;
    Retries?: number;
  };
  Tty?: boolean;
  OpenStdin?: boolean;
  /** One-offs (`stack run`): stdin closes when the attached client's does. */
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  HostConfig: HostConfigBody;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointConfig> };
}

/** A create call plus the network connects that must follow it before the container starts. */
export interface ContainerCreatePlan {
  /** Engine name to create the container under. */
  readonly name: string;
  readonly body: ContainerCreateBody;
  /** Networks beyond the first, to connect after create and before start (API < 1.44). */
  readonly connectAfterCreate: readonly {
    readonly network: string;
    readonly endpoint: EndpointConfig;
  }[];
}

/** What the mapping needs besides the spec. */
export interface ContainerConfigInput {
  readonly spec: StackSpec;
  readonly service: ServiceSpec;
  readonly slot: number;
  readonly name: string;
  readonly configHash: string;
  /** Version of `stack` for the `stack.version` label. */
  readonly stackVersion: string;
  /** Engine API version, e.g. `1.41`; enables `StartInterval` from 1.44. Default 1.41. */
  readonly apiVersion?: string;
  /** The engine that will run it; Podman needs healthcheck commands in another form. Default docker. */
  readonly engine?: EngineKind;
}

const NS_PER_MS = 1_000_000;

/** `arg` quoted for a POSIX shell: single quotes, a single quote inside as `'\''`. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A healthcheck `test` in the form `engine` runs as written: on Podman a `CMD` test with an
 * argument containing whitespace becomes `CMD-SHELL` with every argument shell-quoted (it
 * would be split otherwise); anything else is returned as it is.
 */
export function healthcheckTest(test: readonly string[], engine: EngineKind): string[] {
  const [kind, ...args] = test;
  if (engine !== "podman" || kind !== "CMD" || !args.some((a) => /\s/.test(a))) return [...test];
  return ["CMD-SHELL", args.map(shellQuote).join(" ")];
}

/** Compares dotted API versions (`1.41` < `1.44`). */
export function apiVersionAtLeast(version: string, wanted: string): boolean {
  const a = version.split(".").map(Number);
  const b = wanted.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

function sortedEntries<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function invalid(service: string, message: string): EngineError {
  return new EngineError("invalid", `service ${service}: ${message}`);
}

/**
 * `expose:` entries (`"3000"`, `"3000/udp"`, `"3000-3002"`) as ExposedPorts keys; they are
 * documentation on a user-defined network (every port is reachable there) but `docker
 * inspect` shows them, as Compose does.
 */
export function exposeKeys(expose: readonly string[]): string[] {
  const keys: string[] = [];
  for (const entry of expose) {
    const [range = "", proto = "tcp"] = entry.split("/");
    const [from = "", to = from] = range.split("-");
    const start = Number(from);
    const end = Number(to);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start <= 0 || end < start) continue;
    for (let p = start; p <= end; p++) keys.push(`${p}/${proto}`);
  }
  return keys;
}

function mountConfig(
  spec: StackSpec,
  service: ServiceSpec,
  mount: MountSpec,
  binds: string[],
): MountConfig | undefined {
  switch (mount.type) {
    case "volume": {
      let source = "";
      if (mount.source !== undefined) {
        const volume = spec.volumes[mount.source];
        if (volume === undefined)
          throw invalid(service.name, `volume "${mount.source}" is not declared in volumes:`);
        source = volume.name;
      }
      return {
        Type: "volume",
        Source: source,
        Target: mount.target,
        ReadOnly: mount.readOnly,
        ...(mount.noCopy === true ? { VolumeOptions: { NoCopy: true } } : {}),
      };
    }
    case "bind": {
      if (mount.source === undefined)
        throw invalid(service.name, `bind mount to ${mount.target} has no source`);
      if (mount.createHostPath !== false) {
        // Legacy Binds create a missing host directory, like `docker run -v` and Compose.
        binds.push(`${mount.source}:${mount.target}${mount.readOnly ? ":ro" : ""}`);
        return undefined;
      }
      return { Type: "bind", Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly };
    }
    case "tmpfs": {
      const tmpfs: { SizeBytes?: number; Mode?: number } = {};
      if (mount.tmpfsSize !== undefined) tmpfs.SizeBytes = mount.tmpfsSize;
      if (mount.tmpfsMode !== undefined) tmpfs.Mode = mount.tmpfsMode;
      return {
        Type: "tmpfs",
        Source: "",
        Target: mount.target,
        ReadOnly: mount.readOnly,
        ...(Object.keys(tmpfs).length > 0 ? { TmpfsOptions: tmpfs } : {}),
      };
    }
  }
}

/** `network_mode: service:NAME` (and `ipc: service:NAME`) means that service's first replica. */
function networkModeValue(stack: string, mode: string): string {
  if (mode.startsWith("service:"))
    return `container:${slotContainerName(stack, mode.slice("service:".length), 1)}`;
  return mode;
}

/**
 * Maps one replica of `service` to the engine's create body. Choices made here:
 * - Hostname is left unset unless `hostname:` is given, so each replica's hostname is its
 *   container id (replicas differ).
 * - Every network gets the aliases `[service name, ...spec aliases]`, so the service name
 *   resolves to all replicas. `links:` need no endpoint Links: the normaliser folded their
 *   aliases into the target service's network aliases already.
 * - restart condition `any` -> `always` (comes back after an engine restart, like a swarm
 *   task; a hand `docker stop` holds only until then); `none` -> `no`; `on-failure` keeps
 *   max_attempts (0 = unlimited). Swarm's delay and window have no container equivalent.
 * - CPU reservations have no container equivalent and are not mapped; memory reservations
 *   become MemoryReservation.
 * - `container_name:` replaces the slot name (only valid with one replica); a replacement
 *   name (rolling update) is kept as given.
 */
export function containerCreatePlan(input: ContainerConfigInput): ContainerCreatePlan {
  const { spec, service, slot, configHash } = input;
  const apiVersion = input.apiVersion ?? "1.41";
  const name =
    service.containerName !== undefined &&
    input.name === slotContainerName(spec.name, service.name, slot)
      ? service.containerName
      : input.name;

  const env = sortedEntries(service.environment)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([k, v]) => `${k}=${v}`);

  const labels: Record<string, string> = { ...service.labels };
  labels[LABELS.stack] = spec.name;
  labels[LABELS.service] = service.name;
  labels[LABELS.slot] = String(slot);
  labels[LABELS.configHash] = configHash;
  labels[LABELS.version] = input.stackVersion;
  labels[LABELS.role] = "replica";

  const host: HostConfigBody = {};
  const body: ContainerCreateBody = {
    Image: service.image,
    Env: env,
    Labels: labels,
    HostConfig: host,
  };
  if (service.command !== undefined) body.Cmd = [...service.command];
  if (service.entrypoint !== undefined) body.Entrypoint = [...service.entrypoint];
  if (service.workingDir !== undefined) body.WorkingDir = service.workingDir;
  if (service.user !== undefined) body.User = service.user;
  if (service.hostname !== undefined) body.Hostname = service.hostname;
  if (service.init !== undefined) host.Init = service.init;
  // StopTimeout is whole seconds; round up so a 1500 ms grace period is not cut to 1 s.
  if (service.stopGracePeriodMs !== undefined)
    body.StopTimeout = Math.ceil(service.stopGracePeriodMs / 1000);
  if (service.stopSignal !== undefined) body.StopSignal = service.stopSignal;
  if (service.tty !== undefined) body.Tty = service.tty;
  if (service.stdinOpen !== undefined) body.OpenStdin = service.stdinOpen;

  // Ports: one binding per PortSpec; an unset published port binds an ephemeral one ("").
  // Ports the stack's ingress serves bind nothing: the ingress publishes them.
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const viaIngress = new Set(ingressPorts(service));
  for (const port of service.ports) {
    const key = `${port.target}/${port.protocol}`;
    exposed[key] = {};
    if (viaIngress.has(port)) continue;
    // A range (`6005-6015:80`) lets the engine bind one free port of it, as compose does.
    const hostPort =
      port.published === undefined
        ? ""
        : port.publishedEnd === undefined
          ? String(port.published)
          : `${port.published}-${port.publishedEnd}`;
    (bindings[key] ??= []).push({ HostIp: port.hostIp ?? "", HostPort: hostPort });
  }
  for (const key of exposeKeys(service.expose)) exposed[key] = {};
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  if (Object.keys(bindings).length > 0) host.PortBindings = bindings;

  // Networks.
  const connectAfterCreate: { network: string; endpoint: EndpointConfig }[] = [];
  if (service.networkMode !== undefined) {
    host.NetworkMode = networkModeValue(spec.name, service.networkMode);
  } else {
    const endpoints: [string, EndpointConfig][] = sortedEntries(service.networks).map(
      ([key, net]) => {
        const network = spec.networks[key];
        if (network === undefined)
          throw invalid(service.name, `network "${key}" is not declared in networks:`);
        const aliases = [service.name, ...net.aliases.filter((a) => a !== service.name)];
        const ipam: { IPv4Address?: string; IPv6Address?: string } = {};
        if (net.ipv4Address !== undefined) ipam.IPv4Address = net.ipv4Address;
        if (net.ipv6Address !== undefined) ipam.IPv6Address = net.ipv6Address;
        const endpoint: EndpointConfig = {
          Aliases: aliases,
          ...(Object.keys(ipam).length > 0 ? { IPAMConfig: ipam } : {}),
        };
        return [network.name, endpoint];
      },
    );
    const [first, ...rest] = endpoints;
    if (
      first !== undefined &&
      service.macAddress !== undefined &&
      apiVersionAtLeast(apiVersion, "1.44")
    )
      first[1] = { ...first[1], MacAddress: service.macAddress };
    if (first !== undefined) {
      host.NetworkMode = first[0];
      body.NetworkingConfig = { EndpointsConfig: { [first[0]]: first[1] } };
    }
    for (const [network, endpoint] of rest) connectAfterCreate.push({ network, endpoint });
  }

  // Mounts.
  const binds: string[] = [];
  const mounts: MountConfig[] = [];
  for (const mount of service.mounts) {
    const m = mountConfig(spec, service, mount, binds);
    if (m !== undefined) mounts.push(m);
  }
  // Secrets and configs are written into the created container by the driver
  // (secret-files.ts); a read-only root filesystem needs a writable volume to hold them.
  fileSources(spec, service);
  if (service.readOnly === true && service.secrets.length + service.configs.length > 0) {
    for (const dir of readOnlyFileDirs(service))
      mounts.push({ Type: "volume", Source: "", Target: dir, ReadOnly: false });
  }
  if (mounts.length > 0) host.Mounts = mounts;
  if (binds.length > 0) host.Binds = binds;

  // Resources.
  const { limits, reservations } = service.deploy.resources;
  if (limits.nanoCpus !== undefined) host.NanoCpus = limits.nanoCpus;
  if (limits.memoryBytes !== undefined) host.Memory = limits.memoryBytes;
  if (limits.pids !== undefined) host.PidsLimit = limits.pids;
  if (reservations.memoryBytes !== undefined) host.MemoryReservation = reservations.memoryBytes;

  const policy = service.deploy.restartPolicy;
  host.RestartPolicy =
    policy.condition === "none"
      ? { Name: "no" }
      : policy.condition === "on-failure"
        ? { Name: "on-failure", MaximumRetryCount: policy.maxAttempts ?? 0 }
        : { Name: policy.unlessStopped === true ? "unless-stopped" : "always" };

  if (service.healthcheck !== undefined) {
    if ("disable" in service.healthcheck) {
      body.Healthcheck = { Test: ["NONE"] };
    } else {
      const hc = service.healthcheck;
      const out: NonNullable<ContainerCreateBody["Healthcheck"]> = {
        Test: healthcheckTest(hc.test, input.engine ?? "docker"),
      };
      if (hc.intervalMs !== undefined) out.Interval = hc.intervalMs * NS_PER_MS;
      if (hc.timeoutMs !== undefined) out.Timeout = hc.timeoutMs * NS_PER_MS;
      if (hc.startPeriodMs !== undefined) out.StartPeriod = hc.startPeriodMs * NS_PER_MS;
      if (hc.startIntervalMs !== undefined && apiVersionAtLeast(apiVersion, "1.44")) {
        out.StartInterval = hc.startIntervalMs * NS_PER_MS;
      }
      if (hc.retries !== undefined) out.Retries = hc.retries;
      body.Healthcheck = out;
    }
  }

  if (
    service.logging !== undefined &&
    (service.logging.driver !== undefined || Object.keys(service.logging.options).length > 0)
  ) {
    // An empty Type means the engine's default driver.
    host.LogConfig = { Type: service.logging.driver ?? "", Config: { ...service.logging.options } };
  }
  if (service.privileged !== undefined) host.Privileged = service.privileged;
  if (service.pid !== undefined) host.PidMode = service.pid;
  if (service.readOnly !== undefined) host.ReadonlyRootfs = service.readOnly;
  // Compose accepts `host=ip` and `host:ip`; the engine wants `host:ip`.
  if (service.extraHosts.length > 0) {
    host.ExtraHosts = service.extraHosts.map((h) => (/^[^:=]+=/.test(h) ? h.replace("=", ":") : h));
  }
  if (service.dns.length > 0) host.Dns = [...service.dns];
  if (service.capAdd.length > 0) host.CapAdd = [...service.capAdd];
  if (service.capDrop.length > 0) host.CapDrop = [...service.capDrop];
  const ulimits = sortedEntries(service.ulimits);
  if (ulimits.length > 0)
    host.Ulimits = ulimits.map(([n, l]) => ({ Name: n, Soft: l.soft, Hard: l.hard }));
  if (Object.keys(service.sysctls).length > 0) host.Sysctls = { ...service.sysctls };
  if (service.shmSize !== undefined) host.ShmSize = service.shmSize;

  // Settings compose passes to the engine as they are (each undefined unless the file sets it).
  if (service.devices !== undefined && service.devices.length > 0)
    host.Devices = service.devices.map((d) => ({
      PathOnHost: d.source,
      PathInContainer: d.target,
      CgroupPermissions: d.permissions,
    }));
  if (service.deviceCgroupRules !== undefined && service.deviceCgroupRules.length > 0)
    host.DeviceCgroupRules = [...service.deviceCgroupRules];
  const requests = [...(service.gpus ?? []), ...(reservations.devices ?? [])];
  if (requests.length > 0)
    host.DeviceRequests = requests.map((r) => ({
      Driver: r.driver ?? "",
      // compose: neither count nor device_ids means all devices.
      Count: r.count ?? (r.deviceIds === undefined ? -1 : 0),
      DeviceIDs: [...(r.deviceIds ?? [])],
      Capabilities: [[...r.capabilities]],
      Options: { ...r.options },
    }));
  if (service.securityOpt !== undefined && service.securityOpt.length > 0)
    host.SecurityOpt = [...service.securityOpt];
  if (service.cgroupParent !== undefined) host.CgroupParent = service.cgroupParent;
  if (service.dnsSearch !== undefined && service.dnsSearch.length > 0)
    host.DnsSearch = [...service.dnsSearch];
  if (service.dnsOptions !== undefined && service.dnsOptions.length > 0)
    host.DnsOptions = [...service.dnsOptions];
  if (service.domainname !== undefined) body.Domainname = service.domainname;
  if (service.ipc !== undefined) host.IpcMode = networkModeValue(spec.name, service.ipc);
  if (service.uts !== undefined) host.UTSMode = service.uts;
  if (service.macAddress !== undefined && !apiVersionAtLeast(apiVersion, "1.44"))
    body.MacAddress = service.macAddress;
  if (service.storageOpt !== undefined && Object.keys(service.storageOpt).length > 0)
    host.StorageOpt = { ...service.storageOpt };
  if (
    service.annotations !== undefined &&
    Object.keys(service.annotations).length > 0 &&
    apiVersionAtLeast(apiVersion, "1.43")
  )
    host.Annotations = { ...service.annotations };

  return { name, body, connectAfterCreate };
}

/**
 * Settings of `service` this engine API version cannot apply, as warnings to show before a
 * deploy: annotations need API 1.43. (Hooks are run by the driver, not set at create.)
 */
export function dockerUnsupportedSettings(service: ServiceSpec, apiVersion: string): string[] {
  const out: string[] = [];
  if (
    service.annotations !== undefined &&
    Object.keys(service.annotations).length > 0 &&
    !apiVersionAtLeast(apiVersion, "1.43")
  )
    out.push(
      `annotations need engine API 1.43 or later (this engine speaks ${apiVersion}); they are not set`,
    );
  return out;
}
