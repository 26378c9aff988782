/**
 * Detecting the 20.10 leave deadlock (moby/moby#42545, see `leave-rule.ts`) from the client.
 * Once it happens libnetwork's controller lock is held for good: every call that needs it
 * (network inspect, list, create, remove; container start, stop, remove, connect,
 * disconnect) hangs, while `/_ping`, `/version` and container list/inspect still answer.
 * Only restarting dockerd clears it (checked with the forced interleaving of
 * scripts/deadlock-interleave.sh). A client can therefore tell it apart from a merely slow
 * engine: a leave that takes longer than its grace period plus a margin, while the engine
 * answers a ping but not an inspect of the leave's network, several times in a row.
 */
import { EngineError, InterruptedError } from "../../core/errors.js";
import { sleep } from "../../core/retry-policy.js";

/** What one probe of the engine found. */
export type ProbeResult = "stuck" | "answering";

/** How a leave is watched; the defaults suit real engines, tests shrink them. */
export interface LeaveWatch {
  /** How long the leave may take before the engine is probed: its grace period plus a margin. */
  readonly deadlineMs: number;
  /** Pause between two probes. */
  readonly probeIntervalMs: number;
  /** Consecutive probes that must find the engine stuck before the leave is given up. */
  readonly probes: number;
  /**
   * `stuck` when the engine answers a ping but an inspect of the leave's network times
   * out; `answering` for anything else (an engine that answers nothing at all is down, not
   * deadlocked, and the leave's own call reports that).
   */
  probe(): Promise<ProbeResult>;
}

/** Margin over a leave's grace period before the engine is probed. */
export const DEFAULT_LEAVE_MARGIN_MS = 30_000;
/** Limit of each probe call (ping, network inspect). */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
/** Pause between probes. */
export const DEFAULT_PROBE_INTERVAL_MS = 10_000;
/** Probes in a row that must find the engine stuck. */
export const DEFAULT_PROBES = 2;

/**
 * The engine is deadlocked in its network code: not retryable (no retry can get through),
 * and nothing is restarted automatically: the message says what to do.
 */
export class EngineStuckError extends EngineError {
  constructor(what: string, address: string, network: string, engineVersion: string) {
    super(
      "server",
      `${what} did not return and the engine at ${address} (dockerd ${engineVersion}) answers pings but no longer answers an inspect of network ${network}: it is deadlocked in its network code (moby/moby#42545, fixed in dockerd 20.10.27 and 23.0). Nothing more can be done through it: restart dockerd (e.g. systemctl restart docker), then deploy again; upgrading the engine avoids this.`,
      { retryable: false },
    );
    this.name = "EngineStuckError";
  }
}

/**
 * Resolves or rejects as `leave` does; when it is still pending after `watch.deadlineMs` and
 * then `watch.probes` probes in a row find the engine stuck, rejects with `stuck()` instead
 * (the leave itself is left hanging: nothing can end it but a restart of the engine).
 */
export async function watchLeave<T>(
  leave: Promise<T>,
  watch: LeaveWatch,
  stuck: () => EngineStuckError,
): Promise<T> {
  const stop = new AbortController();
  const never = new Promise<never>(() => undefined);
  const verdict = async (): Promise<never> => {
    try {
      await sleep(watch.deadlineMs, stop.signal);
      for (let found = 0; ;) {
        const result = await watch.probe().catch((): ProbeResult => "answering");
        if (stop.signal.aborted) return never;
        found = result === "stuck" ? found + 1 : 0;
        if (found >= watch.probes) throw stuck();
        await sleep(watch.probeIntervalMs, stop.signal);
      }
    } catch (error) {
      // The leave settled (the watch was stopped): its own outcome wins.
      if (error instanceof InterruptedError) return never;
      throw error;
    }
  };
  try {
    return await Promise.race([leave, verdict()]);
  } finally {
    stop.abort();
  }
}
