// An in-memory LockStore for tests: the same contract as the engine-backed stores, with a
// clock the test moves and a count of calls.
import type { LockOwner } from "../../../../../src/core/driver.js";
import type { LockRecord, LockStore } from "../../../../../src/drivers/docker-api/stack-lock.js";

export class MemoryLockStore implements LockStore {
  /** The engine's clock, epoch ms; tests move it. */
  clock = Date.parse("2024-01-01T00:00:00Z");
  renewals = 0;
  private readonly locks = new Map<string, LockRecord>();

  async claim(stack: string, token: string, owner: LockOwner): Promise<LockRecord> {
    const existing = this.locks.get(stack);
    if (existing !== undefined) return existing;
    const record: LockRecord = {
      token,
      renewedAtMs: this.clock,
      holder: { ...owner, since: new Date(this.clock).toISOString() },
    };
    this.locks.set(stack, record);
    return record;
  }

  async read(stack: string): Promise<LockRecord | undefined> {
    return this.locks.get(stack);
  }

  async renew(stack: string, token: string): Promise<void> {
    const record = this.locks.get(stack);
    if (record?.token !== token) return;
    this.renewals += 1;
    this.locks.set(stack, { ...record, renewedAtMs: this.clock });
  }

  async remove(stack: string, token: string): Promise<void> {
    if (this.locks.get(stack)?.token === token) this.locks.delete(stack);
  }

  async now(): Promise<number> {
    return this.clock;
  }

  /** Puts a lock in place as another process would have. */
  seed(stack: string, record: LockRecord): void {
    this.locks.set(stack, record);
  }
}
