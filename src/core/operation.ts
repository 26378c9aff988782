import type { DependencyCondition, UpdateOrder } from "../model/types.js";

/** Why an operation is in the plan; printed by `deploy --dry-run`. */
export type Cause =
  | "not found"
  | "config hash diverged"
  | "scale up"
  | "scale down"
  | "orphaned"
  | "not running"
  | "duplicate slot"
  | "interrupted update"
  | "image missing"
  | "dependency"
  | "update delay"
  | "removed by rm"
  | "scale"
  | "content changed"
  | "build requested";

interface OpBase {
  /** Unique, stable id, e.g. `container:web.3:create`; used in `after` edges. */
  readonly id: string;
  /** Ids of operations that must succeed before this one starts. */
  readonly after: readonly string[];
  readonly cause: Cause;
  /** The service the operation belongs to, if any (for grouping in UIs and failure scope). */
  readonly service?: string;
}

/**
 * One step of a plan. Each is one engine call or one small fixed sequence of calls the
 * executor performs without deciding anything (replace = create, stop/start, monitor, swap).
 */
export type Operation = OpBase &
  (
    | { readonly kind: "pull-image"; readonly image: string }
    | { readonly kind: "create-network"; readonly network: string; readonly name: string }
    | { readonly kind: "remove-network"; readonly name: string; readonly networkId: string }
    | { readonly kind: "create-volume"; readonly volume: string; readonly name: string }
    | { readonly kind: "remove-volume"; readonly name: string }
    | {
        /** Create and start replica `slot` of `service` under `name`. */
        readonly kind: "create-container";
        readonly service: string;
        readonly slot: number;
        readonly name: string;
      }
    | {
        readonly kind: "start-container";
        readonly service: string;
        readonly slot: number;
        readonly name: string;
        readonly containerId: string;
      }
    | {
        /** Stop (when running) and remove. */
        readonly kind: "remove-container";
        readonly name: string;
        readonly containerId: string;
        readonly slot?: number;
      }
    | {
        readonly kind: "rename-container";
        readonly containerId: string;
        readonly from: string;
        readonly to: string;
      }
    | {
        /**
         * Rolling-update step: replace the running replica `containerId` of `slot` with one
         * built from the current spec, in `order`; the executor applies the service's
         * update_config failure_action and monitor when the new replica does not come up.
         */
        readonly kind: "replace-container";
        readonly service: string;
        readonly slot: number;
        readonly name: string;
        readonly containerId: string;
        readonly order: UpdateOrder;
      }
    | {
        /** Readiness gate: `service` reaches `condition` (a dependency or an update batch). */
        readonly kind: "wait-ready";
        readonly service: string;
        readonly condition: DependencyCondition;
      }
    | { readonly kind: "delay"; readonly ms: number }
    | {
        /**
         * Build the image of `service` from its `build:` settings and tag it `image`, with the
         * build-hash label that tells later deploys whether it is current.
         */
        readonly kind: "build-image";
        readonly service: string;
        readonly image: string;
      }
    | {
        /**
         * Create and start the stack's ingress proxy container `name` (image `image`), serving
         * the spec's ingress routes; the docker driver only.
         */
        readonly kind: "create-ingress";
        readonly name: string;
        readonly image: string;
      }
    // Swarm driver (service level): swarm schedules and rolls the tasks itself.
    | {
        /** Create swarm service `name` from the spec of `service`. */
        readonly kind: "create-service";
        readonly service: string;
        readonly name: string;
      }
    | {
        /** Update swarm service `serviceId` (observed at `version`) to the spec of `service`. */
        readonly kind: "update-service";
        readonly service: string;
        readonly name: string;
        readonly serviceId: string;
        readonly version: number;
      }
    | { readonly kind: "remove-service"; readonly name: string; readonly serviceId: string }
    | {
        /** Create swarm secret `name` (content-hashed) from the top-level secret `secret`. */
        readonly kind: "create-secret";
        readonly secret: string;
        readonly name: string;
      }
    | { readonly kind: "create-config"; readonly config: string; readonly name: string }
    | { readonly kind: "remove-secret"; readonly name: string; readonly secretId: string }
    | { readonly kind: "remove-config"; readonly name: string; readonly configId: string }
  );

export type OperationKind = Operation["kind"];

/** A plan: operations forming a DAG through `after`, plus what deserves a warning. */
export interface Plan {
  readonly stack: string;
  /** Topologically sorted: every op comes after all ops it names in `after`. */
  readonly operations: readonly Operation[];
  /** Notes for the user (orphans kept without --prune, etc.). */
  readonly warnings: readonly string[];
  /**
   * Conditions that make the plan impossible to apply (an external network or volume that
   * does not exist, an unknown service asked for); absent when there are none. The CLI
   * refuses to apply a plan with blockers and reports them as errors; `--dry-run` prints them.
   */
  readonly blockers?: readonly string[];
}
