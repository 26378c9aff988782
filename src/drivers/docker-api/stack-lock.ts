/**
 * The deploy lock of a stack, over any engine object that the engine refuses to create twice
 * (`LockStore`): a volume on a plain engine, a config on a swarm. Taking it is one create;
 * whoever's create made the object holds it. The holder renews a lease while it runs; a
 * waiter breaks the lock of a holder that died (on this machine: its pid is gone; anywhere:
 * its lease expired by the engine's clock, so clocks of different machines never matter).
 */
import { randomBytes } from "node:crypto";
import type { LockHolder, LockOptions, LockOwner, StackLock } from "../../core/driver.js";
import { EngineError, InterruptedError } from "../../core/errors.js";
import { deadHolderReason, describeHolder } from "../../core/lock-owner.js";
import { sleep } from "../../core/retry-policy.js";

/** A holder's lease: renewed every third of it; broken by a waiter once it is older. */
export const LEASE_MS = 30_000;
/** Default pause between two looks at a lock someone else holds. */
export const DEFAULT_LOCK_POLL_MS = 1_000;

/** The lock of one stack as the engine holds it. */
export interface LockRecord {
  /** Random per taking of the lock: a removal names it, so it never removes a newer holder's lock. */
  readonly token: string;
  readonly holder: LockHolder;
  /** Last sign of life by the engine's clock (epoch ms): the taking, or the last renewal. */
  readonly renewedAtMs: number;
}

/** Engine objects that make a lock; every method throws `EngineError`. */
export interface LockStore {
  /**
   * Creates the lock object of `stack` for `owner` under `token` unless one exists, in one
   * call the engine performs atomically; returns the record now on the engine (`token`'s
   * when this call created it).
   */
  claim(stack: string, token: string, owner: LockOwner): Promise<LockRecord>;
  /** The record of `stack`'s lock, or undefined when nobody holds it. */
  read(stack: string): Promise<LockRecord | undefined>;
  /** Records a sign of life of holder `token`. */
  renew(stack: string, token: string): Promise<void>;
  /**
   * Removes `stack`'s lock when it is still `token`'s; never someone else's (a lock taken
   * again meanwhile stays).
   */
  remove(stack: string, token: string): Promise<void>;
  /** The engine's clock, epoch ms. */
  now(): Promise<number>;
}

/** A new random lock token. */
export function newLockToken(): string {
  return randomBytes(12).toString("hex");
}

/**
 * Takes `stack`'s lock in `store` for `owner` (see `Driver.lock`): waits while a live holder
 * has it, telling `onWait` each new holder; breaks the lock of a dead one (`onBreak`); gives
 * up with an `EngineError` of kind `timeout` naming the holder after `timeoutMs`, or with
 * `InterruptedError` when `signal` aborts. The lock held is renewed every third of
 * {@link LEASE_MS} until released.
 */
export async function acquireStackLock(
  store: LockStore,
  stack: string,
  owner: LockOwner,
  options: LockOptions = {},
): Promise<StackLock> {
  const token = newLockToken();
  const poll = options.pollIntervalMs ?? DEFAULT_LOCK_POLL_MS;
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  let told: string | undefined;
  for (;;) {
    if (options.signal?.aborted)
      throw new InterruptedError("interrupted while waiting for the stack lock");
    const record = await store.claim(stack, token, owner);
    if (record.token === token) return held(store, stack, record);
    const dead = deadHolderReason(record.holder) ?? (await expired(store, record));
    if (dead !== undefined) {
      options.onBreak?.(record.holder, dead);
      await store.remove(stack, record.token);
      continue;
    }
    if (told !== record.token) {
      told = record.token;
      options.onWait?.(record.holder);
    }
    if (deadline !== undefined && Date.now() >= deadline) {
      throw new EngineError(
        "timeout",
        `stack ${stack} is locked by ${describeHolder(record.holder)}; gave up waiting after ${Math.round((options.timeoutMs ?? 0) / 1000)}s`,
      );
    }
    const pause =
      deadline === undefined ? poll : Math.max(0, Math.min(poll, deadline - Date.now()));
    try {
      await sleep(pause, options.signal);
    } catch (error) {
      if (error instanceof InterruptedError)
        throw new InterruptedError("interrupted while waiting for the stack lock");
      throw error;
    }
  }
}

/** Why `record`'s lease has run out by the engine's clock, or undefined while it runs. */
async function expired(store: LockStore, record: LockRecord): Promise<string | undefined> {
  const age = (await store.now()) - record.renewedAtMs;
  if (age <= LEASE_MS) return undefined;
  return `its lease expired (last renewed ${Math.round(age / 1000)}s ago by the engine's clock)`;
}

/** The lock `record` taken: renewed in the background until released. */
function held(store: LockStore, stack: string, record: LockRecord): StackLock {
  let released = false;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    // A failed renewal is tried again at the next tick; a lease that ran out meanwhile can
    // be broken by a waiter, which is the price of an engine this process cannot reach.
    renewing = store.renew(stack, record.token).catch(() => undefined);
  }, LEASE_MS / 3);
  // The lock never keeps the process alive by itself.
  timer.unref();
  return {
    holder: record.holder,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      await renewing;
      await store.remove(stack, record.token).catch(() => undefined);
    },
  };
}
