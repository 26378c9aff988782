/**
 * Finding what a command names among a stack's replicas, with one clear message when it is
 * not there: the stack (nothing on the engine), a service (no replicas), a replica index.
 */
import type { Driver } from "../core/driver.js";
import { NotFoundError } from "../core/errors.js";
import type { ObservedContainer } from "../core/replica.js";

/**
 * The replicas of `stack` (not the ingress, not one-offs), sorted by service then slot;
 * throws NotFoundError when the stack has none on the engine.
 */
export async function stackReplicasOf(driver: Driver, stack: string): Promise<ObservedContainer[]> {
  const all = (await driver.replicas(stack)).filter((c) => c.role === undefined);
  if (all.length === 0)
    throw new NotFoundError(
      `stack ${stack} has no replicas on the engine at ${driver.address} (not deployed? stack ls lists the stacks)`,
    );
  return all.sort(
    (a, b) => a.service.localeCompare(b.service) || a.slot - b.slot || a.name.localeCompare(b.name),
  );
}

/**
 * The replicas of `services` (every replica when empty); throws NotFoundError naming the
 * first service without replicas and the services that have some.
 */
export function replicasOfServices(
  all: readonly ObservedContainer[],
  stack: string,
  services: readonly string[],
): ObservedContainer[] {
  if (services.length === 0) return [...all];
  const have = [...new Set(all.map((c) => c.service))].sort();
  for (const s of services)
    if (!have.includes(s))
      throw new NotFoundError(
        `stack ${stack} has no replicas of service "${s}" on the engine (it has ${have.join(", ")})`,
      );
  return all.filter((c) => services.includes(c.service));
}

/**
 * Replica `index` (its slot, 1-based) of `service`; during a rolling update the running one
 * of the slot. Throws NotFoundError naming the slots there are.
 */
export function replicaAt(
  all: readonly ObservedContainer[],
  stack: string,
  service: string,
  index: number,
): ObservedContainer {
  const mine = replicasOfServices(all, stack, [service]);
  const slot = mine.filter((c) => c.slot === index);
  if (slot.length === 0)
    throw new NotFoundError(
      `service "${service}" of stack ${stack} has no replica ${index} (it has ${[...new Set(mine.map((c) => c.slot))].sort((a, b) => a - b).join(", ")})`,
    );
  return slot.find((c) => c.state === "running") ?? (slot[0] as ObservedContainer);
}
