/**
 * Keeps network leaves apart on an engine with the 20.10 leave deadlock (see
 * `leave-rule.ts`): a leave runs only while no other leave of this process is under way on
 * any of its networks. Leaves on disjoint networks run at once; joins never wait (they are
 * not part of the deadlock), so there is no join side at all.
 *
 * Waiters are served first come, first served: a leave whose networks are free still waits
 * when an earlier waiter needs one of them, so a container on two busy networks is not
 * starved by a stream of single-network leaves.
 */
export class NetworkGate {
  private readonly busy = new Set<string>();
  private readonly queue: { readonly networks: readonly string[]; readonly go: () => void }[] = [];

  /** Runs `fn` once no other leave on any of `networks` is running; none: at once. */
  async leave<T>(networks: readonly string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(networks)];
    if (unique.length === 0) return fn();
    await new Promise<void>((go) => {
      this.queue.push({ networks: unique, go });
      this.serve();
    });
    try {
      return await fn();
    } finally {
      for (const n of unique) this.busy.delete(n);
      this.serve();
    }
  }

  /** Leaves waiting for their networks, for tests and diagnostics. */
  get pending(): number {
    return this.queue.length;
  }

  private serve(): void {
    const claimed = new Set<string>();
    for (let i = 0; i < this.queue.length;) {
      const entry = this.queue[i]!;
      if (entry.networks.every((n) => !this.busy.has(n) && !claimed.has(n))) {
        for (const n of entry.networks) this.busy.add(n);
        this.queue.splice(i, 1);
        entry.go();
        continue;
      }
      for (const n of entry.networks) claimed.add(n);
      i++;
    }
  }
}
