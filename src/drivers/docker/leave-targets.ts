/**
 * What stopping or removing one container means for its networks, read from its inspect
 * result. PURE: the engine client fetches, this only maps (unit-tested with literal
 * responses).
 */
import type { ContainerInspectItem } from "./observe.js";

/** The inspect fields a leave needs beyond those observation reads. */
export interface LeaveInspectItem extends ContainerInspectItem {
  readonly Config?: ContainerInspectItem["Config"] & { readonly StopTimeout?: number | null };
  readonly HostConfig?: { readonly NetworkMode?: string };
  readonly State?: ContainerInspectItem["State"] & {
    readonly Running?: boolean;
    readonly Restarting?: boolean;
    readonly Paused?: boolean;
  };
  readonly NetworkSettings?: ContainerInspectItem["NetworkSettings"] & {
    readonly Networks?: Readonly<
      Record<string, { readonly NetworkID?: string } | null | undefined>
    > | null;
  };
}

/** One network a container is attached to. */
export interface AttachedNetwork {
  /** Engine id (the name when the engine gave none): what leaves are kept apart by. */
  readonly id: string;
  readonly name: string;
}

/** What a stop or forced removal of the container leaves. */
export interface LeaveTargets {
  /** Engine name without the leading slash. */
  readonly name: string;
  /** True when the container has a process (running, restarting or paused): ending it leaves its networks. */
  readonly up: boolean;
  /** Its networks, sorted by name. */
  readonly networks: readonly AttachedNetwork[];
  /**
   * True when its networks can be disconnected before it stops (not `host`, `none` or
   * another container's namespace, which the engine refuses to disconnect).
   */
  readonly detachable: boolean;
  /** Its own grace period: `StopTimeout` from create (stop_grace_period), else dockerd's 10 s. */
  readonly graceMs: number;
}

/** dockerd's grace period for a container created without StopTimeout. */
export const ENGINE_DEFAULT_GRACE_MS = 10_000;

/** The leave facts of the container `inspect` describes. */
export function leaveTargets(inspect: LeaveInspectItem): LeaveTargets {
  const state = inspect.State;
  const up =
    state?.Running === true ||
    state?.Restarting === true ||
    state?.Paused === true ||
    state?.Status === "running" ||
    state?.Status === "restarting" ||
    state?.Status === "paused";
  const networks = Object.entries(inspect.NetworkSettings?.Networks ?? {})
    .map(([name, n]) => ({
      id: n?.NetworkID !== undefined && n.NetworkID !== "" ? n.NetworkID : name,
      name,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const mode = inspect.HostConfig?.NetworkMode ?? "";
  const detachable = mode !== "host" && mode !== "none" && !mode.startsWith("container:");
  const timeout = inspect.Config?.StopTimeout;
  return {
    name: (inspect.Name ?? inspect.Id).replace(/^\//, ""),
    up,
    networks,
    detachable,
    graceMs: typeof timeout === "number" && timeout >= 0 ? timeout * 1000 : ENGINE_DEFAULT_GRACE_MS,
  };
}
