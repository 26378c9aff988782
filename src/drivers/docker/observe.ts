/**
 * Engine API responses -> engine-neutral observations. PURE: the driver fetches, these
 * functions only map, so the mapping is unit-tested with literal API responses.
 */
import { LABELS } from "../docker-api/labels.js";
import type {
  ContainerState,
  HealthState,
  ObservedContainer,
  ObservedNetwork,
  ObservedPort,
} from "../../core/replica.js";
import type { ObservedVolume } from "./observed-state.js";
import type { StackSummary } from "../../core/driver.js";

/** The fields of `GET /containers/json` this driver reads. */
export interface ContainerListItem {
  readonly Id: string;
  readonly Names?: readonly string[];
  readonly Image?: string;
  /** The image ID the container was created from. */
  readonly ImageID?: string;
  readonly Created?: number;
  readonly State?: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly Ports?: readonly {
    readonly IP?: string;
    readonly PrivatePort: number;
    readonly PublicPort?: number;
    readonly Type: string;
  }[];
}

/** The fields of `GET /containers/{id}/json` this driver reads. */
export interface ContainerInspectItem {
  readonly Id: string;
  readonly Name?: string;
  readonly Created?: string;
  /** The image ID the container was created from (not the reference in `Config.Image`). */
  readonly Image?: string;
  readonly RestartCount?: number;
  readonly Config?: {
    readonly Image?: string;
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly Tty?: boolean;
  };
  readonly State?: {
    readonly Status?: string;
    readonly ExitCode?: number;
    readonly Error?: string;
    readonly OOMKilled?: boolean;
    readonly StartedAt?: string;
    readonly FinishedAt?: string;
    readonly Health?: { readonly Status?: string } | null;
  };
  readonly NetworkSettings?: {
    readonly Ports?: Readonly<
      Record<string, readonly { readonly HostIp?: string; readonly HostPort?: string }[] | null>
    > | null;
  };
}

const CONTAINER_STATES: ReadonlySet<string> = new Set<ContainerState>([
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
]);

const HEALTH_STATES: ReadonlySet<string> = new Set<HealthState>([
  "starting",
  "healthy",
  "unhealthy",
]);

/**
 * An image ID in one form, `sha256:<64 lowercase hex>`, or undefined for anything else (an
 * empty or missing value). dockerd 20.10 and Podman 4.3's Docker API both answer in that
 * form for a container's `.Image`, its list entry's `ImageID` and an image's `Id` (checked);
 * a bare 64-hex ID still gets the prefix, so a difference in form never reads as a moved
 * image.
 */
export function normaliseImageId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:sha256:)?([0-9a-f]{64})$/i.exec(value.trim());
  return match === null ? undefined : `sha256:${(match[1] as string).toLowerCase()}`;
}

/**
 * Podman's own container states as the Docker states they correspond to (checked on podman
 * 4.3.1, whose inspect passes them through): "stopping" lasts the whole stop grace period,
 * during which dockerd still reports "running"; "stopped" follows a crash until the engine's
 * restart policy restarts the container or leaves it "exited"; "initialized" is the moment
 * between init and start (during a restart), and "configured" a container never
 * initialised, both "created" on dockerd. Other states pass unchanged.
 */
function engineState(status: string): string {
  switch (status) {
    case "stopping":
      return "running";
    case "stopped":
      return "exited";
    case "initialized":
    case "configured":
      return "created";
    default:
      return status;
  }
}

/** The engine reports "never" as Go's zero time. */
function timestamp(value: string | undefined): string | undefined {
  if (value === undefined || value === "" || value.startsWith("0001-01-01")) return undefined;
  return value;
}

function protocol(value: string): ObservedPort["protocol"] {
  return value === "udp" || value === "sctp" ? value : "tcp";
}

function portsFromList(item: ContainerListItem): ObservedPort[] {
  return (item.Ports ?? []).map((p) => {
    const port: {
      target: number;
      published?: number;
      hostIp?: string;
      protocol: ObservedPort["protocol"];
    } = {
      target: p.PrivatePort,
      protocol: protocol(p.Type),
    };
    if (p.PublicPort !== undefined && p.PublicPort !== 0) port.published = p.PublicPort;
    if (p.IP !== undefined && p.IP !== "") port.hostIp = p.IP;
    return port;
  });
}

function portsFromInspect(inspect: ContainerInspectItem): ObservedPort[] | undefined {
  const map = inspect.NetworkSettings?.Ports;
  if (map === undefined || map === null) return undefined;
  const out: ObservedPort[] = [];
  for (const [key, bindings] of Object.entries(map)) {
    const [target = "", proto = "tcp"] = key.split("/");
    const base = { target: Number(target), protocol: protocol(proto) };
    if (bindings === null || bindings.length === 0) {
      out.push(base);
      continue;
    }
    for (const b of bindings) {
      const port: {
        target: number;
        published?: number;
        hostIp?: string;
        protocol: ObservedPort["protocol"];
      } = { ...base };
      if (b.HostPort !== undefined && b.HostPort !== "") port.published = Number(b.HostPort);
      if (b.HostIp !== undefined && b.HostIp !== "") port.hostIp = b.HostIp;
      out.push(port);
    }
  }
  return out;
}

/**
 * One stack container as an observation, from its list entry and (when available) its
 * inspect result, which alone carries health, restart count, exit code, error and start
 * time. Returns undefined for a container without a `stack.service` label (not a replica).
 * With `requireService: false` such a container is returned with an empty service.
 * A missing or malformed slot label reads as slot 0, which no spec slot matches, so the
 * planner treats it as surplus.
 */
export function toObservedContainer(
  item: ContainerListItem,
  inspect?: ContainerInspectItem,
  options?: { readonly requireService: false },
): ObservedContainer | undefined;
export function toObservedContainer(
  item: ContainerListItem,
  inspect: ContainerInspectItem,
  options: { readonly requireService: false },
): ObservedContainer;
export function toObservedContainer(
  item: ContainerListItem,
  inspect?: ContainerInspectItem,
  options?: { readonly requireService: false },
): ObservedContainer | undefined {
  const labels = inspect?.Config?.Labels ?? item.Labels ?? {};
  // The stack's ingress proxy has no service label: it shows as service `ingress`, slot 0.
  const ingress = labels[LABELS.role] === "ingress";
  const service = ingress ? "ingress" : (labels[LABELS.service] ?? "");
  if (service === "" && options?.requireService !== false) return undefined;
  const slotValue = Number(labels[LABELS.slot]);
  const slot = !ingress && Number.isInteger(slotValue) && slotValue > 0 ? slotValue : 0;
  const rawState = engineState(inspect?.State?.Status ?? item.State ?? "created");
  const state: ContainerState = CONTAINER_STATES.has(rawState)
    ? (rawState as ContainerState)
    : "dead";
  const name = (inspect?.Name ?? item.Names?.[0] ?? item.Id).replace(/^\//, "");
  const createdAt =
    inspect?.Created ??
    (item.Created !== undefined
      ? new Date(item.Created * 1000).toISOString()
      : new Date(0).toISOString());
  const out: {
    -readonly [K in keyof ObservedContainer]: ObservedContainer[K];
  } = {
    id: item.Id,
    name,
    service,
    slot,
    configHash: labels[LABELS.configHash] ?? "",
    image: inspect?.Config?.Image ?? item.Image ?? "",
    state,
    createdAt,
    restartCount: inspect?.RestartCount ?? 0,
    ports: (inspect !== undefined ? portsFromInspect(inspect) : undefined) ?? portsFromList(item),
  };
  const imageId = normaliseImageId(inspect?.Image ?? item.ImageID);
  if (imageId !== undefined) out.imageId = imageId;
  if (ingress) out.role = "ingress";
  if (labels[LABELS.role] === "run") out.role = "run";
  const st = inspect?.State;
  if (st !== undefined) {
    const health = st.Health?.Status;
    if (health !== undefined && HEALTH_STATES.has(health)) out.health = health as HealthState;
    if ((state === "exited" || state === "dead") && st.ExitCode !== undefined)
      out.exitCode = st.ExitCode;
    const startedAt = timestamp(st.StartedAt);
    if (startedAt !== undefined) out.startedAt = startedAt;
    const finishedAt = timestamp(st.FinishedAt);
    if (finishedAt !== undefined) out.finishedAt = finishedAt;
    const error =
      st.Error !== undefined && st.Error !== ""
        ? st.Error
        : st.OOMKilled === true
          ? "OOM killed"
          : undefined;
    if (error !== undefined) out.error = error;
  }
  return out;
}

/** The fields of `GET /networks` this driver reads. */
export interface NetworkListItem {
  readonly Id: string;
  readonly Name: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** A stack network as an observation; the key and hash come from its labels. */
export function toObservedNetwork(item: NetworkListItem): ObservedNetwork {
  const labels = item.Labels ?? {};
  return {
    id: item.Id,
    name: item.Name,
    key: labels[LABELS.network] ?? "",
    configHash: labels[LABELS.configHash] ?? "",
  };
}

/** The fields of `GET /volumes` entries this driver reads. */
export interface VolumeListItem {
  readonly Name: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** A stack volume as an observation; the key comes from its label. */
export function toObservedVolume(item: VolumeListItem): ObservedVolume {
  return { name: item.Name, key: (item.Labels ?? {})[LABELS.volume] ?? "" };
}

/**
 * Groups every labelled object by stack for `stack ls`, sorted by name. A stack with only
 * networks or volumes left (after a crash mid-removal) is listed with zero containers.
 */
export function summariseStacks(
  containers: readonly ContainerListItem[],
  networks: readonly NetworkListItem[],
  volumes: readonly VolumeListItem[],
): StackSummary[] {
  const stacks = new Map<string, { services: Set<string>; containers: number; running: number }>();
  const entry = (name: string) => {
    let s = stacks.get(name);
    if (s === undefined) {
      s = { services: new Set(), containers: 0, running: 0 };
      stacks.set(name, s);
    }
    return s;
  };
  for (const c of containers) {
    const name = c.Labels?.[LABELS.stack];
    if (name === undefined) continue;
    const s = entry(name);
    s.containers++;
    if (c.State === "running") s.running++;
    const service = c.Labels?.[LABELS.service];
    if (service !== undefined) s.services.add(service);
  }
  for (const o of [...networks, ...volumes]) {
    const name = o.Labels?.[LABELS.stack];
    if (name !== undefined) entry(name);
  }
  return [...stacks.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, s]) => ({
      name,
      services: s.services.size,
      containers: s.containers,
      running: s.running,
    }));
}
