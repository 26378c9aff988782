// Builders for planner tests: complete, normalised StackSpec/ServiceSpec values with small
// overrides, and observations that match (or deliberately diverge from) a spec.
import { containerName, scopedName } from "../../../../../src/model/naming.js";
import type { ObservedContainer, ObservedNetwork } from "../../../../../src/core/replica.js";
import type {
  DockerObservedState,
  ObservedVolume,
} from "../../../../../src/drivers/docker/observed-state.js";
import { networkConfigHash, serviceConfigHash } from "../../../../../src/model/config-hash.js";
import type {
  DependencyCondition,
  DependencySpec,
  DeploySpec,
  NetworkSpec,
  RestartCondition,
  ServiceSpec,
  StackSpec,
  UpdateConfigSpec,
  VolumeSpec,
} from "../../../../../src/model/types.js";

/** Stack name the builders use unless told otherwise. */
export const STACK = "demo";

const DEFAULT_UPDATE: UpdateConfigSpec = {
  parallelism: 1,
  delayMs: 0,
  order: "stop-first",
  failureAction: "pause",
  monitorMs: 5000,
  maxFailureRatio: 0,
};

/** Shorthands on top of a partial ServiceSpec. */
export type ServiceOverrides = Omit<Partial<ServiceSpec>, "deploy" | "dependsOn"> & {
  readonly replicas?: number;
  readonly update?: Partial<UpdateConfigSpec>;
  readonly restart?: RestartCondition;
  /** `{ db: "service_healthy" }` */
  readonly dependsOn?: Readonly<Record<string, DependencyCondition | DependencySpec>>;
  readonly deploy?: Partial<DeploySpec>;
};

/** A complete normalised service; image defaults to `<name>:1`, one replica, restart any. */
export function serviceSpec(name: string, overrides: ServiceOverrides = {}): ServiceSpec {
  const { replicas, update, restart, dependsOn, deploy, ...rest } = overrides;
  const baseDeploy: DeploySpec = {
    mode: "replicated",
    replicas: 1,
    labels: {},
    resources: { limits: {}, reservations: {} },
    restartPolicy: { condition: "any" },
    updateConfig: DEFAULT_UPDATE,
    rollbackConfig: DEFAULT_UPDATE,
    placement: { constraints: [], preferences: [] },
  };
  return {
    name,
    image: `${name}:1`,
    environment: {},
    labels: {},
    ports: [],
    networks: {},
    links: [],
    mounts: [],
    dependsOn: Object.fromEntries(
      Object.entries(dependsOn ?? {}).map(([k, v]) => [
        k,
        typeof v === "string" ? { condition: v, restart: false, required: true } : v,
      ]),
    ),
    secrets: [],
    configs: [],
    extraHosts: [],
    dns: [],
    capAdd: [],
    capDrop: [],
    ulimits: {},
    sysctls: {},
    expose: [],
    profiles: [],
    ignoredKeys: [],
    ...rest,
    deploy: {
      ...baseDeploy,
      ...deploy,
      ...(replicas !== undefined && { replicas }),
      ...(restart !== undefined && { restartPolicy: { condition: restart } }),
      updateConfig: { ...DEFAULT_UPDATE, ...deploy?.updateConfig, ...update },
    },
  };
}

/** `{ webnet: {} }` style network map for a service. */
export function attach(...keys: string[]): ServiceSpec["networks"] {
  return Object.fromEntries(keys.map((k) => [k, { aliases: [] }]));
}

/** A named-volume mount of `key` at `target`. */
export function volumeMount(key: string, target = `/data/${key}`): ServiceSpec["mounts"][number] {
  return { type: "volume", source: key, target, readOnly: false };
}

export interface StackOverrides {
  readonly name?: string;
  readonly services: readonly ServiceSpec[];
  readonly networks?: Readonly<Record<string, Partial<NetworkSpec>>>;
  readonly volumes?: Readonly<Record<string, Partial<VolumeSpec>>>;
}

/** A complete StackSpec; network/volume names default to `<stack>_<key>` (`<key>` when external). */
export function stackSpec(o: StackOverrides): StackSpec {
  const name = o.name ?? STACK;
  return {
    name,
    files: ["stack.yml"],
    workingDir: "/srv",
    services: Object.fromEntries(o.services.map((s) => [s.name, s])),
    networks: Object.fromEntries(
      Object.entries(o.networks ?? {}).map(([key, n]) => [
        key,
        {
          key,
          name: n.external ? key : scopedName(name, key),
          external: false,
          driverOpts: {},
          labels: {},
          ...n,
        },
      ]),
    ),
    volumes: Object.fromEntries(
      Object.entries(o.volumes ?? {}).map(([key, v]) => [
        key,
        {
          key,
          name: v.external ? key : scopedName(name, key),
          external: false,
          driverOpts: {},
          labels: {},
          ...v,
        },
      ]),
    ),
    secrets: {},
    configs: {},
  };
}

/** A running replica of `service` in `slot`, built from the current spec (hash matches). */
export function replica(
  spec: StackSpec,
  service: string,
  slot: number,
  overrides: Partial<ObservedContainer> = {},
): ObservedContainer {
  const s = spec.services[service];
  return {
    id: `id-${service}-${slot}`,
    name: containerName(spec.name, service, slot),
    service,
    slot,
    configHash: s ? serviceConfigHash(s) : "v1:0000000000000000",
    image: s?.image ?? `${service}:1`,
    state: "running",
    createdAt: "2024-05-01T10:00:00.000000000Z",
    restartCount: 0,
    ports: [],
    ...overrides,
  };
}

/** Every replica of every service of `spec`, running with the current hash. */
export function replicasOf(spec: StackSpec): ObservedContainer[] {
  return Object.values(spec.services).flatMap((s) =>
    Array.from({ length: s.deploy.replicas }, (_, i) => replica(spec, s.name, i + 1)),
  );
}

/** The observed form of the stack's own network `key` as the spec defines it now. */
export function observedNetwork(
  spec: StackSpec,
  key: string,
  overrides: Partial<ObservedNetwork> = {},
): ObservedNetwork {
  const n = spec.networks[key];
  if (!n) throw new Error(`no network ${key}`);
  return { id: `net-${key}`, name: n.name, key, configHash: networkConfigHash(n), ...overrides };
}

export interface ObservationOverrides {
  readonly containers?: readonly ObservedContainer[];
  readonly networks?: readonly ObservedNetwork[];
  readonly volumes?: readonly ObservedVolume[];
  readonly presentImages?: readonly string[];
  readonly imageIds?: Readonly<Record<string, string>>;
  readonly imageBuildHashes?: Readonly<Record<string, string>>;
  readonly externalNetworks?: readonly string[];
  readonly externalVolumes?: readonly string[];
}

/** An observation of `spec.name` with nothing in it unless given. */
export function observation(spec: StackSpec, o: ObservationOverrides = {}): DockerObservedState {
  return {
    stack: spec.name,
    containers: o.containers ?? [],
    networks: o.networks ?? [],
    volumes: o.volumes ?? [],
    presentImages: o.presentImages ?? [],
    ...(o.imageIds !== undefined && { imageIds: o.imageIds }),
    ...(o.imageBuildHashes !== undefined && { imageBuildHashes: o.imageBuildHashes }),
    externalNetworks: o.externalNetworks ?? [],
    externalVolumes: o.externalVolumes ?? [],
  };
}

/** A full image ID made of one repeated hex digit, e.g. `imageId("a")` = `sha256:aaaa...`. */
export function imageId(digit: string): string {
  return `sha256:${digit.repeat(64)}`;
}

/** What the engine looks like right after a successful deploy of `spec`. */
export function converged(spec: StackSpec, o: ObservationOverrides = {}): DockerObservedState {
  const own = Object.values(spec.networks).filter((n) => !n.external);
  const ownVolumes = Object.values(spec.volumes).filter((v) => !v.external);
  return observation(spec, {
    containers: replicasOf(spec),
    networks: own.map((n) => observedNetwork(spec, n.key)),
    volumes: ownVolumes.map((v) => ({ name: v.name, key: v.key })),
    presentImages: [...new Set(Object.values(spec.services).map((s) => s.image))],
    externalNetworks: Object.values(spec.networks)
      .filter((n) => n.external)
      .map((n) => n.name),
    externalVolumes: Object.values(spec.volumes)
      .filter((v) => v.external)
      .map((v) => v.name),
    ...o,
  });
}

/** A hash that no spec produces: marks a container built from an older spec. */
export const OLD_HASH = "v1:0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0";

/** `id <- dep1, dep2` per operation, in plan order: a compact literal form of the DAG. */
export function edges(plan: {
  readonly operations: readonly { readonly id: string; readonly after: readonly string[] }[];
}): string[] {
  return plan.operations.map((op) =>
    op.after.length === 0 ? op.id : `${op.id} <- ${op.after.join(", ")}`,
  );
}

/** Operation ids in plan order. */
export function opIds(plan: { readonly operations: readonly { readonly id: string }[] }): string[] {
  return plan.operations.map((op) => op.id);
}
