import type { Driver, ProcessList } from "../core/driver.js";
import { UnsupportedError } from "../core/errors.js";
import type { ObservedContainer } from "../core/replica.js";
import { replicasOfServices, stackReplicasOf } from "./replicas-of.js";

/** The processes of one replica, or why they could not be read. */
export interface ReplicaProcesses extends ProcessList {
  readonly replica: string;
  /** Set when the driver cannot reach this replica (a swarm task on another node). */
  readonly unreachable?: string;
}

/**
 * The processes of every running replica of `services` (all when empty), sorted by replica;
 * throws NotFoundError when the stack or a service has no replicas.
 */
export async function stackProcesses(
  driver: Driver,
  stack: string,
  services: readonly string[],
): Promise<ReplicaProcesses[]> {
  const replicas = replicasOfServices(await stackReplicasOf(driver, stack), stack, services);
  const running = replicas.filter((c: ObservedContainer) => c.state === "running");
  return Promise.all(
    running.map(async (c): Promise<ReplicaProcesses> => {
      try {
        return { replica: c.name, ...(await driver.top(c)) };
      } catch (err) {
        // A swarm task on another node: say where it is, and show the others.
        if (!(err instanceof UnsupportedError)) throw err;
        return { replica: c.name, titles: [], processes: [], unreachable: err.message };
      }
    }),
  );
}
