/**
 * The docker driver's operations: what its planner (`reconcile.ts`, `plan-remove.ts`) emits
 * and its runner (`run-operation.ts`) performs, one engine call or one small fixed
 * sequence of calls each.
 */
import type { OperationCatalog } from "../../core/plan-builder.js";
import {
  WAIT_RANKS,
  waitText,
  type Draft,
  type Operation,
  type WaitOperation,
} from "../../core/operation.js";
import type { ObservedContainer } from "../../core/replica.js";
import type { UpdateOrder } from "../../model/types.js";
import {
  NETWORK_RANKS,
  networkOperationText,
  type NetworkOperation,
} from "../docker-api/network-operations.js";

/** Why an operation is in a docker plan; printed by `deploy --dry-run`. */
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
  | "content changed"
  | "build requested"
  /** The tag moved: `image changed: 1234abcd5678 -> 5678ef901234` (see imageChangedCause). */
  | "stale task"
  | "engine restart"
  | `image changed: ${string}`
  /** A pull or build a service's `pull_policy` asks for: `pull_policy always`, ... */
  | `pull_policy ${string}`;

/** An image ID as `docker images` prints it: the first 12 hex digits, without `sha256:`. */
export function shortImageId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

/**
 * The cause of a replacement because the service's image moved from image ID `from` to
 * `to`, or (`to` undefined) to the image this plan builds: `image changed: 1234abcd5678 ->
 * 5678ef901234`, `image changed: 1234abcd5678 -> new build`.
 */
export function imageChangedCause(from: string, to: string | undefined): Cause {
  return `image changed: ${shortImageId(from)} -> ${to === undefined ? "new build" : shortImageId(to)}`;
}

interface Base extends Operation {
  readonly cause: Cause;
}

/** One step of a docker plan. */
export type DockerOperation =
  | (WaitOperation & { readonly cause: Cause })
  | (Base & { readonly kind: "pull-image"; readonly image: string })
  | (Base & {
      /**
       * Build the image of `service` from its `build:` settings and tag it `image`, with the
       * build-hash label that tells later deploys whether it is current.
       */
      readonly kind: "build-image";
      readonly service: string;
      readonly image: string;
    })
  | (NetworkOperation & { readonly cause: Cause })
  | (Base & { readonly kind: "create-volume"; readonly volume: string; readonly name: string })
  | (Base & { readonly kind: "remove-volume"; readonly name: string })
  | (Base & {
      /** Create and start replica `slot` of `service` under `name`. */
      readonly kind: "create-container";
      readonly service: string;
      readonly slot: number;
      readonly name: string;
    })
  | (Base & {
      readonly kind: "start-container";
      readonly service: string;
      readonly slot: number;
      readonly name: string;
      readonly containerId: string;
    })
  | (Base & {
      /** Stop (when running) and remove. */
      readonly kind: "remove-container";
      readonly name: string;
      readonly containerId: string;
      readonly slot?: number;
    })
  | (Base & {
      readonly kind: "rename-container";
      readonly containerId: string;
      readonly from: string;
      readonly to: string;
    })
  | (Base & {
      /**
       * Rolling-update step: replace the running replica `containerId` of `slot` with one
       * built from the current spec, in `order`; the runner applies the service's
       * update_config failure_action and monitor when the new replica does not come up.
       */
      readonly kind: "replace-container";
      readonly service: string;
      readonly slot: number;
      readonly name: string;
      readonly containerId: string;
      readonly order: UpdateOrder;
    })
  | (Base & {
      /**
       * Create and start the stack's ingress proxy container `name` (image `image`), serving
       * the spec's ingress routes.
       */
      readonly kind: "create-ingress";
      readonly name: string;
      readonly image: string;
    });

export type DockerOperationKind = DockerOperation["kind"];

/** A docker operation as the planner builds it, before its text. */
export type DockerDraft = Draft<DockerOperation>;

function describe(op: DockerDraft): string {
  switch (op.kind) {
    case "pull-image":
      return `pull image ${op.image}`;
    case "build-image":
      return `build image ${op.image}`;
    case "create-network":
    case "remove-network":
      return networkOperationText(op);
    case "create-volume":
      return `create volume ${op.name}`;
    case "remove-volume":
      return `remove volume ${op.name}`;
    case "create-container":
      return `create container ${op.name}`;
    case "start-container":
      return `start container ${op.name}`;
    case "remove-container":
      return `remove container ${op.name}`;
    case "rename-container":
      return `rename container ${op.from} to ${op.to}`;
    case "replace-container":
      return `replace container ${op.name} ${op.order}`;
    case "create-ingress":
      return `create ingress ${op.name}`;
    case "wait-ready":
    case "delay":
      return waitText(op);
  }
}

/**
 * The docker driver's operation kinds: ranks break ties between operations ready at once,
 * infrastructure first, then removals (they free names and ports), then container work,
 * gates last.
 */
export const DOCKER_OPERATIONS: OperationCatalog<DockerOperation> = {
  rank: {
    ...NETWORK_RANKS,
    ...WAIT_RANKS,
    "create-volume": 2,
    "pull-image": 3,
    "build-image": 3,
    "remove-container": 4,
    "rename-container": 5,
    "start-container": 6,
    "create-container": 7,
    "replace-container": 8,
    "create-ingress": 9,
    "remove-volume": 11,
  },
  describe,
};

/** Stop and remove container `c`, for `cause`. */
export function removeContainerDraft(
  c: ObservedContainer,
  cause: Cause,
  after: readonly string[] = [],
): DockerDraft {
  return {
    id: `container:${c.name}:remove`,
    kind: "remove-container",
    name: c.name,
    containerId: c.id,
    service: c.service,
    ...(Number.isInteger(c.slot) && { slot: c.slot }),
    cause,
    after,
  };
}
