/**
 * Engine-neutral observation of one stack: what exists now, read only by labels.
 * Drivers produce it; the planner and the UI read it. Arrays are in no particular order;
 * the planner sorts before iterating.
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
   * its slot 0, so it never counts as a replica); undefined for replicas.
   */
  readonly role?: "ingress";
}

export interface ObservedNetwork {
  readonly id: string;
  readonly name: string;
  /** Key in the stack file's `networks:` from the network label. */
  readonly key: string;
  readonly configHash: string;
}

export interface ObservedVolume {
  readonly name: string;
  readonly key: string;
}

/** Everything the planner needs to know about the engine for one stack. */
export interface ObservedState {
  readonly stack: string;
  readonly containers: readonly ObservedContainer[];
  readonly networks: readonly ObservedNetwork[];
  readonly volumes: readonly ObservedVolume[];
  /** Image references that are present locally (of those the observation was asked about). */
  readonly presentImages: readonly string[];
  /** Build-hash label of present images (of those asked about) that `stack` built. */
  readonly imageBuildHashes?: Readonly<Record<string, string>>;
  /** External network/volume names (of those asked about) that exist on the engine. */
  readonly externalNetworks: readonly string[];
  readonly externalVolumes: readonly string[];
}
