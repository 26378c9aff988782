import type { Driver, ReplicaExit } from "../core/driver.js";
import { replicasOfServices, stackReplicasOf } from "./replicas-of.js";

/**
 * Blocks until every replica of `services` has exited and returns the first that did (its
 * exit code is `stack wait`'s). Throws NotFoundError when the stack or a service has no
 * replicas; aborting `signal` rejects.
 */
export async function waitForExit(
  driver: Driver,
  stack: string,
  services: readonly string[],
  signal: AbortSignal,
): Promise<ReplicaExit> {
  const replicas = replicasOfServices(await stackReplicasOf(driver, stack), stack, services);
  return driver.waitExit(replicas, signal);
}
