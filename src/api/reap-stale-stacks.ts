/**
 * Stacks `up()` names itself carry a marker, and every `up()` holds an owner lock for the
 * life of its handle (a lock object beside the stack's deploy lock, recording host, pid and
 * process start, renewed in the background). A stack with the marker whose owner lock can be
 * taken was left behind by a test run that died before `down()`: the next `up()` on the same
 * engine removes it, as testcontainers' reaper does, without a helper container.
 */
import type { Driver, LockHolder, StackLock } from "../core/driver.js";
import { InterruptedError } from "../core/errors.js";
import { currentLockOwner, describeHolder } from "../core/lock-owner.js";
import { removeStack } from "./remove.js";
import { quietSink } from "./quiet-sink.js";

/** The marker of names `up()` chooses: `<name>-up-<8 hex>`. */
export const UP_NAME_PATTERN = /-up-[0-9a-f]{8}$/;

/**
 * The owner lock's name: a stack name cannot hold a dot, so it never is another stack's
 * deploy lock.
 */
export function ownerLockName(stack: string): string {
  return `${stack}.owner`;
}

/**
 * Takes the owner lock of `stack` for this process without waiting: undefined when a live
 * process holds it. A holder that died (its pid gone on this host, or its lease expired) is
 * broken, which is the point.
 */
export async function tryOwnerLock(driver: Driver, stack: string): Promise<StackLock | undefined> {
  const busy = new AbortController();
  try {
    return await driver.lock(ownerLockName(stack), currentLockOwner("up()"), {
      // Told only when the holder is alive (a dead one is broken first): do not wait for it.
      onWait: () => busy.abort(),
      signal: busy.signal,
    });
  } catch (error) {
    if (error instanceof InterruptedError) return undefined;
    throw error;
  }
}

/**
 * Takes the owner lock of the stack `up()` is about to deploy; throws (without waiting) when
 * a live process owns it already: another `up()` uses that name.
 */
export async function takeOwnerLock(driver: Driver, stack: string): Promise<StackLock> {
  const busy = new AbortController();
  let owner: LockHolder | undefined;
  try {
    return await driver.lock(ownerLockName(stack), currentLockOwner("up()"), {
      onWait: (holder) => {
        owner = holder;
        busy.abort();
      },
      signal: busy.signal,
    });
  } catch (error) {
    if (error instanceof InterruptedError && owner !== undefined)
      throw new Error(
        `stack ${stack} is in use by another up(): ${describeHolder(owner)}; give this one another name, or leave stack unset for a unique one`,
      );
    throw error;
  }
}

/**
 * Removes every stack on `driver`'s engine that `up()` named and whose owner is gone (named
 * volumes included; containers are killed, not stopped); returns their names. Stacks other
 * processes still own are left alone, and so are stacks `up()` did not name.
 */
export async function reapStaleStacks(driver: Driver): Promise<string[]> {
  const candidates = (await driver.listStacks())
    .map((s) => s.name)
    .filter((n) => UP_NAME_PATTERN.test(n));
  const reaped: string[] = [];
  for (const stack of candidates) {
    const lock = await tryOwnerLock(driver, stack);
    if (lock === undefined) continue;
    try {
      const result = await removeStack({
        driver,
        stack,
        volumes: true,
        sink: quietSink(),
        timeoutSeconds: 0,
        command: "up() removing a stack left by a test run that ended",
      });
      if (result.ok) reaped.push(stack);
    } finally {
      await lock.release();
    }
  }
  return reaped;
}
