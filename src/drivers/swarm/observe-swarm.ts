/**
 * Swarm API objects -> the engine-neutral swarm observation. PURE, unit-tested without an
 * engine. Only the fields read here are typed.
 */
import { LABELS, SWARM_NAMESPACE_LABEL } from "../docker-api/labels.js";
import type { ContainerState, ObservedContainer, ObservedNetwork } from "../../core/replica.js";
import type { ObservedNode, ObservedService, ServiceUpdateState } from "./observed-state.js";

/** `GET /services` item. */
export interface SwarmServiceItem {
  readonly ID: string;
  readonly Version?: { readonly Index?: number };
  readonly Spec?: {
    readonly Name?: string;
    readonly Labels?: Record<string, string>;
    readonly Mode?: {
      readonly Replicated?: { readonly Replicas?: number };
      readonly Global?: object;
    };
    readonly TaskTemplate?: { readonly ContainerSpec?: { readonly Image?: string } };
  };
  readonly UpdateStatus?: { readonly State?: string; readonly Message?: string };
}

/** `GET /tasks` item. */
export interface SwarmTaskItem {
  readonly ID: string;
  readonly ServiceID: string;
  readonly Slot?: number;
  readonly NodeID?: string;
  readonly CreatedAt?: string;
  readonly UpdatedAt?: string;
  readonly DesiredState?: string;
  readonly Spec?: {
    readonly ContainerSpec?: { readonly Image?: string; readonly Labels?: Record<string, string> };
  };
  readonly Status?: {
    readonly Timestamp?: string;
    readonly State?: string;
    readonly Message?: string;
    readonly Err?: string;
    readonly ContainerStatus?: { readonly ExitCode?: number };
    readonly PortStatus?: {
      readonly Ports?: readonly {
        readonly Protocol?: string;
        readonly TargetPort?: number;
        readonly PublishedPort?: number;
      }[];
    };
  };
}

/** `GET /nodes` item. */
export interface SwarmNodeItem {
  readonly ID: string;
  readonly Description?: { readonly Hostname?: string };
  readonly Spec?: { readonly Role?: string; readonly Availability?: string };
  readonly Status?: { readonly State?: string };
}

/** `GET /networks` item. */
export interface SwarmNetworkItem {
  readonly Id: string;
  readonly Name: string;
  readonly Labels?: Record<string, string> | null;
}

const UPDATE_STATES: readonly string[] = [
  "updating",
  "paused",
  "completed",
  "rollback_started",
  "rollback_paused",
  "rollback_completed",
];

/** The service key of a stack service: the `stack.service` label, else the name minus `<stack>_`. */
function serviceKey(stack: string, name: string, labels: Record<string, string>): string {
  return (
    labels[LABELS.service] ?? (name.startsWith(`${stack}_`) ? name.slice(stack.length + 1) : name)
  );
}

/** Maps a service of `stack`. */
export function toObservedService(stack: string, item: SwarmServiceItem): ObservedService {
  const labels = item.Spec?.Labels ?? {};
  const name = item.Spec?.Name ?? item.ID;
  const replicated = item.Spec?.Mode?.Global === undefined;
  const state = item.UpdateStatus?.State;
  const hash = labels[LABELS.configHash];
  return {
    id: item.ID,
    name,
    service: serviceKey(stack, name, labels),
    version: item.Version?.Index ?? 0,
    ...(hash !== undefined && { configHash: hash }),
    image: item.Spec?.TaskTemplate?.ContainerSpec?.Image ?? "",
    mode: replicated ? "replicated" : "global",
    ...(replicated && { replicas: item.Spec?.Mode?.Replicated?.Replicas ?? 1 }),
    ...(state !== undefined &&
      UPDATE_STATES.includes(state) && { updateState: state as ServiceUpdateState }),
    ...(item.UpdateStatus?.Message !== undefined &&
      item.UpdateStatus.Message !== "" && {
        updateMessage: item.UpdateStatus.Message,
      }),
  };
}

/** Swarm task state -> the container state vocabulary `ps` and the waits use. */
export function taskState(task: SwarmTaskItem): ContainerState {
  switch (task.Status?.State) {
    case "running":
      return "running";
    case "complete":
    case "shutdown":
    case "failed":
      return "exited";
    case "rejected":
    case "orphaned":
      return "dead";
    case "remove":
      return "removing";
    default:
      // new, pending, assigned, accepted, preparing, ready, starting
      return "created";
  }
}

function newest(a: SwarmTaskItem, b: SwarmTaskItem): number {
  return (b.UpdatedAt ?? b.CreatedAt ?? "").localeCompare(a.UpdatedAt ?? a.CreatedAt ?? "");
}

/**
 * The tasks that matter now, as replica rows: per slot (per node for global services) the
 * tasks whose desired state is `running` (or `ready`), else only the newest one. `services`
 * maps service IDs to their observation; tasks of other services are dropped. Names are
 * `<service name>.<slot>` (global: `<service name>.<node id>`), as `docker stack ps` shows;
 * a global task's slot is its node's position among the nodes sorted by hostname.
 */
export function toTaskRows(
  services: readonly ObservedService[],
  tasks: readonly SwarmTaskItem[],
  nodes: readonly ObservedNode[],
): ObservedContainer[] {
  const byId = new Map(services.map((s) => [s.id, s]));
  const hostnames = new Map(nodes.map((n) => [n.id, n.hostname]));
  // Global tasks have no slot: number them by node (hostname order) so each node's task is
  // its own replica row and `services` counts one per node.
  const nodeSlots = new Map(
    [...nodes]
      .sort((a, b) => a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id))
      .map((n, i) => [n.id, i + 1]),
  );
  const groups = new Map<string, SwarmTaskItem[]>();
  for (const task of tasks) {
    if (!byId.has(task.ServiceID)) continue;
    const key = `${task.ServiceID}/${task.Slot ?? task.NodeID ?? task.ID}`;
    const list = groups.get(key) ?? [];
    list.push(task);
    groups.set(key, list);
  }
  const rows: ObservedContainer[] = [];
  for (const list of groups.values()) {
    list.sort(newest);
    const wanted = list.filter((t) => t.DesiredState === "running" || t.DesiredState === "ready");
    for (const task of wanted.length > 0 ? wanted : list.slice(0, 1)) {
      const service = byId.get(task.ServiceID) as ObservedService;
      const state = taskState(task);
      const exit = task.Status?.ContainerStatus?.ExitCode;
      const node =
        task.NodeID === undefined ? undefined : (hostnames.get(task.NodeID) ?? task.NodeID);
      const err = task.Status?.Err;
      const labels = task.Spec?.ContainerSpec?.Labels ?? {};
      rows.push({
        id: task.ID,
        name: `${service.name}.${task.Slot !== undefined && task.Slot > 0 ? task.Slot : (task.NodeID ?? task.ID)}`,
        service: service.service,
        slot:
          task.Slot !== undefined && task.Slot > 0
            ? task.Slot
            : (nodeSlots.get(task.NodeID ?? "") ?? 1),
        configHash: labels[LABELS.configHash] ?? "",
        image: task.Spec?.ContainerSpec?.Image ?? service.image,
        state,
        ...(state === "exited" && exit !== undefined && { exitCode: exit }),
        createdAt: task.CreatedAt ?? "",
        ...(state === "running" &&
          task.Status?.Timestamp !== undefined && { startedAt: task.Status.Timestamp }),
        ...(state !== "running" &&
          state !== "created" &&
          task.Status?.Timestamp !== undefined && {
            finishedAt: task.Status.Timestamp,
          }),
        restartCount: 0,
        ports: (task.Status?.PortStatus?.Ports ?? []).flatMap((p) =>
          p.TargetPort === undefined
            ? []
            : [
                {
                  target: p.TargetPort,
                  ...(p.PublishedPort !== undefined && { published: p.PublishedPort }),
                  protocol: (p.Protocol ?? "tcp") as "tcp" | "udp" | "sctp",
                },
              ],
        ),
        ...(err !== undefined && err !== "" && { error: err }),
        ...(node !== undefined && { node }),
      });
    }
  }
  return rows;
}

/**
 * The newest task error of each service (by service ID), e.g. a failed healthcheck or a
 * task that exited; `--wait` names it when an update pauses or rolls back.
 */
export function latestTaskErrors(tasks: readonly SwarmTaskItem[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const task of [...tasks].sort(newest)) {
    const err = task.Status?.Err;
    if (err !== undefined && err !== "" && !out.has(task.ServiceID)) out.set(task.ServiceID, err);
  }
  return out;
}

/** Maps a node. */
export function toObservedNode(item: SwarmNodeItem): ObservedNode {
  return {
    id: item.ID,
    hostname: item.Description?.Hostname ?? item.ID,
    role: item.Spec?.Role === "manager" ? "manager" : "worker",
    state: item.Status?.State ?? "unknown",
    availability: item.Spec?.Availability ?? "active",
  };
}

/** Maps a network of the stack; its key is the `stack.network` label, else the name minus `<stack>_`. */
export function toObservedSwarmNetwork(stack: string, item: SwarmNetworkItem): ObservedNetwork {
  const labels = item.Labels ?? {};
  const key =
    labels[LABELS.network] ??
    (item.Name.startsWith(`${stack}_`) ? item.Name.slice(stack.length + 1) : item.Name);
  return { id: item.Id, name: item.Name, key, configHash: labels[LABELS.configHash] ?? "" };
}

/** True when `labels` put the object in `stack` (swarm's own namespace label). */
export function inStack(labels: Record<string, string> | null | undefined, stack: string): boolean {
  return labels?.[SWARM_NAMESPACE_LABEL] === stack;
}
