import type { Driver, ExecOptions } from "../core/driver.js";
import { NotFoundError } from "../core/errors.js";
import { replicaAt, stackReplicasOf } from "./replicas-of.js";

/** What `stack exec` asks for. */
export interface ExecInServiceOptions extends ExecOptions {
  readonly driver: Driver;
  readonly stack: string;
  readonly service: string;
  /** Replica slot, 1-based. */
  readonly index: number;
}

/**
 * Runs a command in replica `index` of `service` (which must be running) and returns the
 * command's exit code. Throws NotFoundError for a stack, service or replica that is not
 * there or not running, before anything runs.
 */
export async function execInService(options: ExecInServiceOptions): Promise<number> {
  const { driver, stack, service, index, ...exec } = options;
  const replica = replicaAt(await stackReplicasOf(driver, stack), stack, service, index);
  if (replica.state !== "running")
    throw new NotFoundError(
      `replica ${replica.name} is not running (${replica.state}${replica.exitCode !== undefined ? ` with code ${replica.exitCode}` : ""}); exec needs a running replica`,
    );
  return driver.exec(replica, exec);
}
