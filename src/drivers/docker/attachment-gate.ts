/**
 * Orders network attachment changes made through one engine connection: any number of
 * joins (create-connect, start) at once, but a leave (stop, remove) only alone.
 *
 * Why: dockerd 20.10 (Debian's docker.io, checked here with a goroutine dump) deadlocks its
 * whole API when an endpoint is deleted while another container joins or leaves the same
 * user-defined network: libnetwork's watch loop takes the controller lock and then the
 * network lock, while `getSvcRecords` (run on join and leave) takes them the other way round.
 * Every later `inspect`, `info` and network call then hangs until dockerd is restarted. Parallel
 * removals (scale down, `rm`) triggered it within minutes of testing. Joins alone never delete
 * an endpoint, so creating a stack from empty keeps its full concurrency; leaves are serialised
 * against everything. Not verified whether newer engines still need this, so it is always on.
 */
export class AttachmentGate {
  private joins = 0;
  private leaving = false;
  /** Leaves waiting for their turn; joins wait behind them so leaves cannot starve. */
  private pendingLeaves = 0;
  private waiters: (() => void)[] = [];

  /** Runs `fn` as a join: concurrently with other joins, never during a leave. */
  async join<T>(fn: () => Promise<T>): Promise<T> {
    while (this.leaving || this.pendingLeaves > 0) await this.wait();
    this.joins += 1;
    try {
      return await fn();
    } finally {
      this.joins -= 1;
      this.wake();
    }
  }

  /** Runs `fn` as a leave: alone, once running joins and leaves have finished. */
  async leave<T>(fn: () => Promise<T>): Promise<T> {
    this.pendingLeaves += 1;
    while (this.leaving || this.joins > 0) await this.wait();
    this.pendingLeaves -= 1;
    this.leaving = true;
    try {
      return await fn();
    } finally {
      this.leaving = false;
      this.wake();
    }
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
