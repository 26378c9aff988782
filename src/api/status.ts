import type { Driver, StackSummary } from "../core/driver.js";
import { replicaRows, type ReplicaRow, type ServiceRow } from "../core/views.js";
import { compareNames } from "../model/naming.js";

/** The replica rows of `stack` (`stack ps`), sorted by service then slot. */
export async function stackReplicas(driver: Driver, stack: string): Promise<ReplicaRow[]> {
  return replicaRows(await driver.replicas(stack));
}

/** The service rows of `stack` (`stack services`), sorted by name. */
export async function stackServices(driver: Driver, stack: string): Promise<ServiceRow[]> {
  return [...(await driver.services(stack))];
}

/** Every stack on the engine, sorted by name. */
export async function listStacks(driver: Driver): Promise<StackSummary[]> {
  return [...(await driver.listStacks())].sort((a, b) => compareNames(a.name, b.name));
}
