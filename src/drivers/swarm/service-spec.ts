/**
 * ServiceSpec -> Docker Swarm service spec (the body of `POST /services/create` and
 * `/services/{id}/update`). PURE: no I/O, no clock; the same input gives the same body, and
 * the body's hash (a label on the service) is how the planner tells an unchanged service
 * from a changed one without comparing engine-defaulted fields.
 *
 * Swarm facts this mapping follows (as `docker stack deploy` does, checked on dockerd 20.10):
 * - `ContainerSpec.Command` replaces the image ENTRYPOINT and `Args` its CMD, so compose
 *   `entrypoint` -> Command and `command` -> Args.
 * - Durations are nanoseconds. `RollbackConfig.FailureAction` accepts only pause/continue.
 * - Secrets and configs are referenced by ID and name; the ID is only known on the engine,
 *   so the body carries an empty `SecretID`/`ConfigID` that the driver fills in, and the
 *   hash is taken before that (a content change renames the object, which changes the hash).
 * - A secret's `File.Name` is relative to `/run/secrets/`; configs take absolute paths.
 */
import { canonicalJson } from "../../model/config-hash.js";
import { createHash } from "node:crypto";
import { LABELS, SWARM_NAMESPACE_LABEL } from "../docker-api/labels.js";
import { scopedName } from "../../model/naming.js";
import { EngineError } from "../../core/errors.js";
import type {
  FileReferenceSpec,
  MountSpec,
  ServiceSpec,
  StackSpec,
  UpdateConfigSpec,
} from "../../model/types.js";

/** Version prefix of the swarm spec hash; bumped only when the mapping's meaning changes. */
export const SWARM_HASH_VERSION = "s1";

const NS_PER_MS = 1_000_000;

/** `Mounts[]` entry of a swarm ContainerSpec. */
export interface SwarmMount {
  Type: "volume" | "bind" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** A secret or config reference in a ContainerSpec; the ID is filled in by the driver. */
export interface SwarmFileReference {
  File: { Name: string; UID: string; GID: string; Mode: number };
  SecretID?: string;
  SecretName?: string;
  ConfigID?: string;
  ConfigName?: string;
}

/** `UpdateConfig` / `RollbackConfig`. */
export interface SwarmUpdateConfig {
  Parallelism: number;
  Delay: number;
  FailureAction: "pause" | "continue" | "rollback";
  Monitor: number;
  MaxFailureRatio: number;
  Order: "stop-first" | "start-first";
}

/** The swarm `ServiceSpec` fields this driver sets. */
export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Labels: Record<string, string>;
      Command?: string[];
      Args?: string[];
      Env?: string[];
      Dir?: string;
      User?: string;
      Hostname?: string;
      Init?: boolean;
      TTY?: boolean;
      OpenStdin?: boolean;
      ReadOnly?: boolean;
      StopGracePeriod?: number;
      StopSignal?: string;
      Mounts?: SwarmMount[];
      Healthcheck?: {
        Test: string[];
        Interval?: number;
        Timeout?: number;
        Retries?: number;
        StartPeriod?: number;
      };
      Hosts?: string[];
      DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
      Secrets?: SwarmFileReference[];
      Configs?: SwarmFileReference[];
      CapabilityAdd?: string[];
      CapabilityDrop?: string[];
      Ulimits?: { Name: string; Soft: number; Hard: number }[];
      Sysctls?: Record<string, string>;
    };
    Resources: {
      Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
      Reservations?: { NanoCPUs?: number; MemoryBytes?: number };
    };
    RestartPolicy: {
      Condition: "none" | "on-failure" | "any";
      Delay?: number;
      MaxAttempts?: number;
      Window?: number;
    };
    Placement: {
      Constraints?: string[];
      Preferences?: { Spread: { SpreadDescriptor: string } }[];
      MaxReplicas?: number;
    };
    Networks?: { Target: string; Aliases: string[] }[];
    LogDriver?: { Name: string; Options: Record<string, string> };
  };
  Mode:
    | { Replicated: { Replicas: number } }
    | { Global: Record<string, never> }
    | { ReplicatedJob: { MaxConcurrent: number; TotalCompletions: number } }
    | { GlobalJob: Record<string, never> };
  UpdateConfig: SwarmUpdateConfig;
  RollbackConfig: SwarmUpdateConfig;
  EndpointSpec: {
    Mode: "vip" | "dnsrr";
    Ports?: {
      Protocol: "tcp" | "udp" | "sctp";
      TargetPort: number;
      PublishedPort?: number;
      PublishMode: "ingress" | "host";
    }[];
  };
}

/** Engine names of the stack's secrets and configs, by key (content-hashed, or external names). */
export interface FileObjectNames {
  readonly secrets: Readonly<Record<string, string>>;
  readonly configs: Readonly<Record<string, string>>;
}

/** What the mapping needs besides the service. */
export interface SwarmServiceInput {
  readonly spec: StackSpec;
  readonly service: ServiceSpec;
  readonly objects: FileObjectNames;
  /** Version of `stack` for the `stack.version` label (not part of the hash). */
  readonly stackVersion: string;
}

/** A mapped service: its body (IDs of secrets/configs empty) and the hash labelled on it. */
export interface SwarmServicePlan {
  readonly name: string;
  readonly body: SwarmServiceSpec;
  readonly configHash: string;
}

function sortedEntries<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function invalid(service: string, message: string): EngineError {
  return new EngineError("invalid", `service ${service}: ${message}`);
}

/**
 * `<stack>_<key>-<first 8 hex of sha256(content)>`: the engine name of a secret or config,
 * so changed content gives a new object (swarm objects are immutable) and rolls the services
 * that use it.
 */
export function fileObjectName(stack: string, key: string, content: Uint8Array | string): string {
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 8);
  return `${scopedName(stack, key)}-${hash}`;
}

function updateConfig(c: UpdateConfigSpec, rollback: boolean): SwarmUpdateConfig {
  return {
    Parallelism: c.parallelism,
    Delay: c.delayMs * NS_PER_MS,
    // A rollback cannot itself roll back: swarm rejects it, pause is the safe reading.
    FailureAction: rollback && c.failureAction === "rollback" ? "pause" : c.failureAction,
    Monitor: c.monitorMs * NS_PER_MS,
    MaxFailureRatio: c.maxFailureRatio,
    Order: c.order,
  };
}

function mount(spec: StackSpec, service: ServiceSpec, m: MountSpec): SwarmMount {
  switch (m.type) {
    case "volume": {
      const out: SwarmMount = { Type: "volume", Target: m.target, ReadOnly: m.readOnly };
      if (m.source === undefined) return out;
      const volume = spec.volumes[m.source];
      if (volume === undefined)
        throw invalid(service.name, `volume "${m.source}" is not declared in volumes:`);
      out.Source = volume.name;
      // Swarm creates volumes on each node as tasks land; the labels and driver go with it.
      const options: NonNullable<SwarmMount["VolumeOptions"]> = {};
      if (m.noCopy === true) options.NoCopy = true;
      if (!volume.external) {
        options.Labels = { ...volume.labels, [SWARM_NAMESPACE_LABEL]: spec.name };
        if (volume.driver !== undefined || Object.keys(volume.driverOpts).length > 0) {
          options.DriverConfig = {
            ...(volume.driver !== undefined && { Name: volume.driver }),
            ...(Object.keys(volume.driverOpts).length > 0 && { Options: { ...volume.driverOpts } }),
          };
        }
      }
      if (Object.keys(options).length > 0) out.VolumeOptions = options;
      return out;
    }
    case "bind":
      if (m.source === undefined)
        throw invalid(service.name, `bind mount to ${m.target} has no source`);
      return { Type: "bind", Source: m.source, Target: m.target, ReadOnly: m.readOnly };
    case "tmpfs": {
      const tmpfs: { SizeBytes?: number; Mode?: number } = {};
      if (m.tmpfsSize !== undefined) tmpfs.SizeBytes = m.tmpfsSize;
      if (m.tmpfsMode !== undefined) tmpfs.Mode = m.tmpfsMode;
      return {
        Type: "tmpfs",
        Target: m.target,
        ReadOnly: m.readOnly,
        ...(Object.keys(tmpfs).length > 0 && { TmpfsOptions: tmpfs }),
      };
    }
  }
}

function fileReferences(
  service: ServiceSpec,
  kind: "secret" | "config",
  refs: readonly FileReferenceSpec[],
  names: Readonly<Record<string, string>>,
): SwarmFileReference[] {
  return refs.map((ref) => {
    const name = names[ref.source];
    if (name === undefined) throw invalid(service.name, `${kind} "${ref.source}" is not declared`);
    const target = kind === "secret" ? ref.target.replace(/^\/run\/secrets\//, "") : ref.target;
    const file = {
      Name: target,
      UID: ref.uid ?? "0",
      GID: ref.gid ?? "0",
      Mode: ref.mode ?? 0o444,
    };
    return kind === "secret"
      ? { File: file, SecretID: "", SecretName: name }
      : { File: file, ConfigID: "", ConfigName: name };
  });
}

/**
 * True when another service waits for `name` with `service_completed_successfully`: a job
 * that must run once, which swarm's `any` would start again after it exits 0.
 */
function isOneShot(spec: StackSpec, name: string): boolean {
  return Object.values(spec.services).some(
    (s) => s.dependsOn[name]?.condition === "service_completed_successfully",
  );
}

/**
 * Maps one service of `spec` to its swarm service spec and hash. Choices made here:
 * - Name `<stack>_<service>`; service and container labels carry
 *   `com.docker.stack.namespace` (so `docker stack ps/services/rm` see it) and the service
 *   carries `stack.name`, `stack.service`, `stack.config-hash`, `stack.version`.
 * - Every network gets the aliases `[service, ...aliases]`; driver-neutral ports keep their
 *   mode (ingress or host); `endpoint_mode` defaults to vip.
 * - With no restart policy in the file the condition is swarm's default `any`, as with
 *   `docker stack deploy` (tasks restart and move off a failed node), except for one-shot
 *   jobs (a `service_completed_successfully` dependency), which keep `none`.
 * - The hash covers the whole body except `stack.version` and the replica count (compared
 *   on its own: scaling is an update that swarm applies without restarting tasks). It is
 *   also put on the containers, so each task tells which spec it runs.
 */
export function swarmServiceSpec(input: SwarmServiceInput): SwarmServicePlan {
  const { spec, service, objects } = input;
  const name = scopedName(spec.name, service.name);
  const container: SwarmServiceSpec["TaskTemplate"]["ContainerSpec"] = {
    Image: service.image,
    Labels: { ...service.labels, [SWARM_NAMESPACE_LABEL]: spec.name },
  };
  if (service.entrypoint !== undefined) container.Command = [...service.entrypoint];
  if (service.command !== undefined) container.Args = [...service.command];
  const env = sortedEntries(service.environment)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`);
  if (env.length > 0) container.Env = env;
  if (service.workingDir !== undefined) container.Dir = service.workingDir;
  if (service.user !== undefined) container.User = service.user;
  if (service.hostname !== undefined) container.Hostname = service.hostname;
  if (service.init !== undefined) container.Init = service.init;
  if (service.tty !== undefined) container.TTY = service.tty;
  if (service.stdinOpen !== undefined) container.OpenStdin = service.stdinOpen;
  if (service.readOnly !== undefined) container.ReadOnly = service.readOnly;
  if (service.stopGracePeriodMs !== undefined)
    container.StopGracePeriod = service.stopGracePeriodMs * NS_PER_MS;
  if (service.stopSignal !== undefined) container.StopSignal = service.stopSignal;
  const mounts = service.mounts.map((m) => mount(spec, service, m));
  if (mounts.length > 0) container.Mounts = mounts;
  if (service.healthcheck !== undefined) {
    if ("disable" in service.healthcheck) container.Healthcheck = { Test: ["NONE"] };
    else {
      const hc = service.healthcheck;
      container.Healthcheck = {
        Test: [...hc.test],
        ...(hc.intervalMs !== undefined && { Interval: hc.intervalMs * NS_PER_MS }),
        ...(hc.timeoutMs !== undefined && { Timeout: hc.timeoutMs * NS_PER_MS }),
        ...(hc.retries !== undefined && { Retries: hc.retries }),
        ...(hc.startPeriodMs !== undefined && { StartPeriod: hc.startPeriodMs * NS_PER_MS }),
      };
    }
  }
  // Swarm's hosts entries are "IP HOST" (the /etc/hosts order); compose writes host:ip.
  if (service.extraHosts.length > 0) {
    container.Hosts = service.extraHosts.map((h) => {
      const m = /^([^:=]+)[:=](.+)$/.exec(h);
      return m ? `${m[2]} ${m[1]}` : h;
    });
  }
  const dnsSearch = service.dnsSearch ?? [];
  const dnsOptions = service.dnsOptions ?? [];
  if (service.dns.length + dnsSearch.length + dnsOptions.length > 0)
    container.DNSConfig = {
      ...(service.dns.length > 0 && { Nameservers: [...service.dns] }),
      ...(dnsSearch.length > 0 && { Search: [...dnsSearch] }),
      ...(dnsOptions.length > 0 && { Options: [...dnsOptions] }),
    };
  const secrets = fileReferences(service, "secret", service.secrets, objects.secrets);
  if (secrets.length > 0) container.Secrets = secrets;
  const configs = fileReferences(service, "config", service.configs, objects.configs);
  if (configs.length > 0) container.Configs = configs;
  if (service.capAdd.length > 0) container.CapabilityAdd = [...service.capAdd];
  if (service.capDrop.length > 0) container.CapabilityDrop = [...service.capDrop];
  const ulimits = sortedEntries(service.ulimits);
  if (ulimits.length > 0)
    container.Ulimits = ulimits.map(([n, l]) => ({ Name: n, Soft: l.soft, Hard: l.hard }));
  if (Object.keys(service.sysctls).length > 0) container.Sysctls = { ...service.sysctls };

  const { deploy } = service;
  const { limits, reservations } = deploy.resources;
  const resources: SwarmServiceSpec["TaskTemplate"]["Resources"] = {};
  const lim = {
    ...(limits.nanoCpus !== undefined && { NanoCPUs: limits.nanoCpus }),
    ...(limits.memoryBytes !== undefined && { MemoryBytes: limits.memoryBytes }),
    ...(limits.pids !== undefined && { Pids: limits.pids }),
  };
  if (Object.keys(lim).length > 0) resources.Limits = lim;
  const res = {
    ...(reservations.nanoCpus !== undefined && { NanoCPUs: reservations.nanoCpus }),
    ...(reservations.memoryBytes !== undefined && { MemoryBytes: reservations.memoryBytes }),
  };
  if (Object.keys(res).length > 0) resources.Reservations = res;

  const rp = deploy.restartPolicy;
  const restart: SwarmServiceSpec["TaskTemplate"]["RestartPolicy"] = {
    Condition: rp.defaulted === true && !isOneShot(spec, service.name) ? "any" : rp.condition,
  };
  if (rp.delayMs !== undefined) restart.Delay = rp.delayMs * NS_PER_MS;
  if (rp.maxAttempts !== undefined) restart.MaxAttempts = rp.maxAttempts;
  if (rp.windowMs !== undefined) restart.Window = rp.windowMs * NS_PER_MS;

  const placement: SwarmServiceSpec["TaskTemplate"]["Placement"] = {};
  if (deploy.placement.constraints.length > 0)
    placement.Constraints = [...deploy.placement.constraints];
  if (deploy.placement.preferences.length > 0)
    placement.Preferences = deploy.placement.preferences.map((p) => ({
      Spread: { SpreadDescriptor: p.spread },
    }));
  if (deploy.placement.maxReplicasPerNode !== undefined)
    placement.MaxReplicas = deploy.placement.maxReplicasPerNode;

  const networks = sortedEntries(service.networks).map(([key, net]) => {
    const network = spec.networks[key];
    if (network === undefined)
      throw invalid(service.name, `network "${key}" is not declared in networks:`);
    return {
      Target: network.name,
      Aliases: [service.name, ...net.aliases.filter((a) => a !== service.name)],
    };
  });

  const template: SwarmServiceSpec["TaskTemplate"] = {
    ContainerSpec: container,
    Resources: resources,
    RestartPolicy: restart,
    Placement: placement,
  };
  if (networks.length > 0) template.Networks = networks;
  if (service.logging !== undefined && service.logging.driver !== undefined) {
    template.LogDriver = { Name: service.logging.driver, Options: { ...service.logging.options } };
  }

  const range = service.ports.find((p) => p.publishedEnd !== undefined);
  if (range !== undefined)
    throw invalid(
      service.name,
      `swarm cannot publish a host port range (${range.published}-${range.publishedEnd}) to one container port; publish one port`,
    );
  const ports = service.ports.map((p) => ({
    Protocol: p.protocol,
    TargetPort: p.target,
    ...(p.published !== undefined && { PublishedPort: p.published }),
    PublishMode: p.mode,
  }));

  const labels: Record<string, string> = {
    ...deploy.labels,
    [SWARM_NAMESPACE_LABEL]: spec.name,
    [LABELS.stack]: spec.name,
    [LABELS.service]: service.name,
  };
  const body: SwarmServiceSpec = {
    Name: name,
    Labels: labels,
    TaskTemplate: template,
    Mode: swarmMode(deploy.mode, deploy.replicas),
    UpdateConfig: updateConfig(deploy.updateConfig, false),
    RollbackConfig: updateConfig(deploy.rollbackConfig, true),
    EndpointSpec: { Mode: deploy.endpointMode ?? "vip", ...(ports.length > 0 && { Ports: ports }) },
  };
  // Replicas stay out of the hash: scaling is compared on its own and never touches tasks.
  const hashed = { ...body, Mode: "Replicated" in body.Mode ? { Replicated: {} } : body.Mode };
  const configHash = `${SWARM_HASH_VERSION}:${createHash("sha256").update(canonicalJson(hashed)).digest("hex")}`;
  body.Labels[LABELS.configHash] = configHash;
  body.Labels[LABELS.version] = input.stackVersion;
  // On the containers too, so each task tells which spec it runs (`--wait` counts those).
  container.Labels[LABELS.configHash] = configHash;
  return { name, body, configHash };
}

function swarmMode(
  mode: ServiceSpec["deploy"]["mode"],
  replicas: number,
): SwarmServiceSpec["Mode"] {
  switch (mode) {
    case "global":
      return { Global: {} };
    case "global-job":
      return { GlobalJob: {} };
    case "replicated-job":
      // As `docker stack deploy`: `replicas` tasks must complete, that many run at once.
      return { ReplicatedJob: { MaxConcurrent: replicas, TotalCompletions: replicas } };
    default:
      return { Replicated: { Replicas: replicas } };
  }
}

/**
 * Settings of `service` that swarm services cannot carry, each as a warning naming swarm
 * (the service is deployed without them): devices, device cgroup rules, GPUs and device
 * reservations, security_opt, cgroup_parent, domainname, ipc, uts, mac_address,
 * storage_opt, annotations, and `restart: unless-stopped` (swarm restarts such tasks as
 * `any`). Hooks are listed too until the swarm driver runs them.
 */
export function swarmUnsupportedSettings(service: ServiceSpec): string[] {
  const out: string[] = [];
  const set = (v: unknown): boolean =>
    v !== undefined &&
    !(Array.isArray(v) && v.length === 0) &&
    !(typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  const keys: [string, unknown][] = [
    ["devices", service.devices],
    ["device_cgroup_rules", service.deviceCgroupRules],
    ["gpus", service.gpus],
    ["deploy.resources.reservations.devices", service.deploy.resources.reservations.devices],
    ["security_opt", service.securityOpt],
    ["cgroup_parent", service.cgroupParent],
    ["domainname", service.domainname],
    ["ipc", service.ipc],
    ["uts", service.uts],
    ["mac_address", service.macAddress],
    ["storage_opt", service.storageOpt],
    ["annotations", service.annotations],
  ];
  for (const [key, value] of keys)
    if (set(value)) out.push(`${key} is not supported by swarm services and is ignored on swarm`);
  if (service.deploy.restartPolicy.unlessStopped === true)
    out.push("restart: unless-stopped has no swarm equivalent; swarm restarts the tasks as any");
  for (const [key, value] of [
    ["post_start", service.postStart],
    ["pre_stop", service.preStop],
    ["pre_start", service.preStart],
  ] as const)
    if (set(value)) out.push(`${key} hooks are not run on swarm yet`);
  return out;
}

/**
 * Copy of `body` with the secret and config IDs filled in from `ids` (engine name -> ID);
 * throws a `not-found` EngineError naming a reference whose object does not exist.
 */
export function withObjectIds(
  body: SwarmServiceSpec,
  ids: {
    readonly secrets: ReadonlyMap<string, string>;
    readonly configs: ReadonlyMap<string, string>;
  },
): SwarmServiceSpec {
  const c = body.TaskTemplate.ContainerSpec;
  const fill = (refs: SwarmFileReference[] | undefined, kind: "secret" | "config") =>
    refs?.map((r) => {
      const name = (kind === "secret" ? r.SecretName : r.ConfigName) ?? "";
      const id = (kind === "secret" ? ids.secrets : ids.configs).get(name);
      if (id === undefined)
        throw new EngineError(
          "not-found",
          `${body.Name}: ${kind} ${name} does not exist on the swarm`,
        );
      return kind === "secret" ? { ...r, SecretID: id } : { ...r, ConfigID: id };
    });
  const secrets = fill(c.Secrets, "secret");
  const configs = fill(c.Configs, "config");
  return {
    ...body,
    TaskTemplate: {
      ...body.TaskTemplate,
      ContainerSpec: {
        ...c,
        ...(secrets !== undefined && { Secrets: secrets }),
        ...(configs !== undefined && { Configs: configs }),
      },
    },
  };
}
