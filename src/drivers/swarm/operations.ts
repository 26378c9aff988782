/**
 * The swarm driver's operations: service-level steps (swarm schedules, restarts and rolls the
 * tasks itself), each one engine call or one readiness wait.
 */
import type { OperationCatalog } from "../../core/plan-builder.js";
import {
  WAIT_RANKS,
  waitText,
  type Draft,
  type Operation,
  type WaitOperation,
} from "../../core/operation.js";
import {
  NETWORK_RANKS,
  networkOperationText,
  type NetworkOperation,
} from "../docker-api/network-operations.js";

/** Why an operation is in a swarm plan; printed by `deploy --dry-run`. */
export type Cause =
  | "not found"
  | "config hash diverged"
  | "scale"
  | "content changed"
  | "orphaned"
  | "dependency"
  | "removed by rm";

interface Base extends Operation {
  readonly cause: Cause;
}

/** One step of a swarm plan. */
export type SwarmOperation =
  | (WaitOperation & { readonly cause: Cause })
  | (NetworkOperation & { readonly cause: Cause })
  | (Base & {
      /** Create swarm secret `name` (content-hashed) from the top-level secret `secret`. */
      readonly kind: "create-secret";
      readonly secret: string;
      readonly name: string;
    })
  | (Base & { readonly kind: "create-config"; readonly config: string; readonly name: string })
  | (Base & { readonly kind: "remove-secret"; readonly name: string; readonly secretId: string })
  | (Base & { readonly kind: "remove-config"; readonly name: string; readonly configId: string })
  | (Base & {
      /** Create swarm service `name` from the spec of `service`. */
      readonly kind: "create-service";
      readonly service: string;
      readonly name: string;
    })
  | (Base & {
      /** Update swarm service `serviceId` (observed at `version`) to the spec of `service`. */
      readonly kind: "update-service";
      readonly service: string;
      readonly name: string;
      readonly serviceId: string;
      readonly version: number;
    })
  | (Base & { readonly kind: "remove-service"; readonly name: string; readonly serviceId: string });

export type SwarmDraft = Draft<SwarmOperation>;

function describe(op: SwarmDraft): string {
  switch (op.kind) {
    case "create-network":
    case "remove-network":
      return networkOperationText(op);
    case "create-secret":
      return `create secret ${op.name}`;
    case "create-config":
      return `create config ${op.name}`;
    case "remove-secret":
      return `remove secret ${op.name}`;
    case "remove-config":
      return `remove config ${op.name}`;
    case "create-service":
      return `create service ${op.name}`;
    case "update-service":
      return `update service ${op.name}`;
    case "remove-service":
      return `remove service ${op.name}`;
    case "wait-ready":
    case "delay":
      return waitText(op);
  }
}

/**
 * The swarm driver's operation kinds: objects before the services that use them; removals
 * of replaced objects last.
 */
export const SWARM_OPERATIONS: OperationCatalog<SwarmOperation> = {
  rank: {
    ...NETWORK_RANKS,
    ...WAIT_RANKS,
    "create-secret": 1,
    "create-config": 1,
    "remove-service": 4,
    "create-service": 7,
    "update-service": 8,
    "remove-secret": 11,
    "remove-config": 11,
  },
  describe,
};
