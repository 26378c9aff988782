/**
 * Network operations, the same on both Docker-API drivers: a plan creates a stack network
 * that is missing and removes one that changed or is no longer wanted.
 */
import type { Operation } from "../../core/operation.js";
import type { StepCall } from "../../core/retry-policy.js";
import { StepFailure } from "../../core/errors.js";
import { networkConfigHash } from "../../model/config-hash.js";
import type { NetworkSpec, StackSpec } from "../../model/types.js";

/** Create network `name` from the stack file's `networks.<network>`. */
export interface CreateNetworkOperation extends Operation {
  readonly kind: "create-network";
  readonly network: string;
  readonly name: string;
}

/** Remove network `name` (engine id `networkId`). */
export interface RemoveNetworkOperation extends Operation {
  readonly kind: "remove-network";
  readonly name: string;
  readonly networkId: string;
}

export type NetworkOperation = CreateNetworkOperation | RemoveNetworkOperation;

/** The words `--dry-run` prints for a network operation. */
export function networkOperationText(op: Pick<NetworkOperation, "kind" | "name">): string {
  return `${op.kind === "create-network" ? "create" : "remove"} network ${op.name}`;
}

/** Ranks of the network operations: removals free names and subnets before creations. */
export const NETWORK_RANKS = { "remove-network": 0, "create-network": 1 } as const;

/** The engine calls a network operation needs. */
export interface NetworkEngine {
  createNetwork(stack: string, network: NetworkSpec, configHash: string): Promise<void>;
  removeNetwork(idOrName: string): Promise<void>;
}

/** Performs a network operation of a plan made from `spec`, through `call`. */
export async function runNetworkOperation(
  op: NetworkOperation,
  engine: NetworkEngine,
  spec: StackSpec,
  call: StepCall,
): Promise<void> {
  if (op.kind === "remove-network") {
    await call(`removing network ${op.name}`, () => engine.removeNetwork(op.networkId));
    return;
  }
  const network = spec.networks[op.network];
  if (network === undefined)
    throw new StepFailure(`network "${op.network}" is not in the stack file`);
  await call(`creating network ${op.name}`, () =>
    engine.createNetwork(spec.name, network, networkConfigHash(network)),
  );
}
