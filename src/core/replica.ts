/**
 * What every driver reports about the replicas of a stack, whatever they are on the engine
 * (containers on one engine, tasks on a swarm): the read views (`ps`, `services`, `logs`,
 * the live UI) and the waits read these rows. Arrays are in no particular order; readers sort.
 */

export type ContainerState =
  "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export type HealthState = "starting" | "healthy" | "unhealthy";

export interface ObservedPort {
  readonly target: number;
  readonly published?: number;
  readonly hostIp?: string;
  readonly protocol: "tcp" | "udp" | "sctp";
}

/** One container (docker driver) or task (swarm driver) belonging to the stack. */
export interface ObservedContainer {
  readonly id: string;
  /** Engine name without the leading slash, e.g. `getstartedlab_web.3`. */
  readonly name: string;
  readonly service: string;
  /** 1-based replica slot from the slot label. */
  readonly slot: number;
  /** Config hash label the container was created with. */
  readonly configHash: string;
  readonly image: string;
  /**
   * The image the container was created from, as `sha256:<64 hex>` (docker driver; the
   * engine's `.Image`); undefined when the engine did not say.
   */
  readonly imageId?: string;
  readonly state: ContainerState;
  readonly health?: HealthState;
  readonly exitCode?: number;
  /** ISO timestamps as the engine reports them. */
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly restartCount: number;
  readonly ports: readonly ObservedPort[];
  /** Engine-reported error (e.g. OOM, failed start), if any. */
  readonly error?: string;
  /** Swarm: the node the task runs on. */
  readonly node?: string;
  /**
   * `ingress` for the stack's ingress proxy (docker driver; its service reads `ingress` and
   * its slot 0, so it never counts as a replica); `run` for a one-off container of `stack
   * run` (slot 0; the planner never sees it); undefined for replicas.
   */
  readonly role?: "ingress" | "run";
}

/** A network of the stack, found by label (both drivers create networks). */
export interface ObservedNetwork {
  readonly id: string;
  readonly name: string;
  /** Key in the stack file's `networks:` from the network label. */
  readonly key: string;
  readonly configHash: string;
}
