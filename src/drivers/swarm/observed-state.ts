/**
 * Engine-neutral observation of one stack on a Docker Swarm cluster, at the service level:
 * the swarm driver produces it (objects carrying `com.docker.stack.namespace=<stack>`), the
 * swarm planner and `--wait` read it. Arrays are in no particular order.
 */
import type { ObservedContainer, ObservedNetwork } from "../../core/replica.js";

/** Swarm's rolling-update state of a service (`UpdateStatus.State`), absent before any update. */
export type ServiceUpdateState =
  | "updating"
  | "paused"
  | "completed"
  | "rollback_started"
  | "rollback_paused"
  | "rollback_completed";

/** One swarm service of the stack. */
export interface ObservedService {
  readonly id: string;
  /** Engine name, `<stack>_<service>`. */
  readonly name: string;
  /** The service key in the stack file (the name without the `<stack>_` prefix). */
  readonly service: string;
  /** Swarm's object version; an update must send the current one. */
  readonly version: number;
  /** The `stack.config-hash` label; absent on services `stack` did not create. */
  readonly configHash?: string;
  readonly image: string;
  readonly mode: "replicated" | "global";
  /** Desired replicas (replicated mode). */
  readonly replicas?: number;
  readonly updateState?: ServiceUpdateState;
  readonly updateMessage?: string;
  /** The newest error of any of its tasks (failed healthcheck, non-zero exit, no node fits). */
  readonly taskError?: string;
}

/** A swarm secret or config of the stack. */
export interface ObservedSwarmObject {
  readonly id: string;
  readonly name: string;
}

/** One node of the cluster. */
export interface ObservedNode {
  readonly id: string;
  readonly hostname: string;
  readonly role: "manager" | "worker";
  /** `ready`, `down`, `unknown`, `disconnected`. */
  readonly state: string;
  /** `active`, `pause`, `drain`. */
  readonly availability: string;
}

/** Everything the swarm planner and waits need to know about one stack. */
export interface SwarmObservedState {
  readonly stack: string;
  readonly services: readonly ObservedService[];
  /**
   * The tasks that matter now, as replica rows: per slot (per node for global services) the
   * tasks whose desired state is running, else the newest one. `node` is the node's hostname.
   */
  readonly tasks: readonly ObservedContainer[];
  /** Job services of `stack run` (label `stack.role=run`): removed with the stack, never planned. */
  readonly oneOffServices?: readonly ObservedService[];
  /** Their tasks, as rows with role `run`. */
  readonly oneOffTasks?: readonly ObservedContainer[];
  readonly networks: readonly ObservedNetwork[];
  readonly secrets: readonly ObservedSwarmObject[];
  readonly configs: readonly ObservedSwarmObject[];
  readonly nodes: readonly ObservedNode[];
  /** External network / secret / config names (of those asked about) that exist. */
  readonly externalNetworks: readonly string[];
  readonly externalSecrets: readonly string[];
  readonly externalConfigs: readonly string[];
}

/**
 * What a deploy wants of the swarm, by key, computed from the spec and the content of its
 * secrets and configs: the planner compares it with a `SwarmObservedState`.
 */
export interface SwarmDesiredState {
  readonly services: Readonly<
    Record<
      string,
      { readonly name: string; readonly configHash: string; readonly replicas?: number }
    >
  >;
  /** Engine names: `<stack>_<key>-<hash8>` of the content, or the name of an external object. */
  readonly secrets: Readonly<Record<string, { readonly name: string; readonly external: boolean }>>;
  readonly configs: Readonly<Record<string, { readonly name: string; readonly external: boolean }>>;
}
