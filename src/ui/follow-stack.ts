/**
 * The live `stack ps` controller, free of Ink so it is testable with a scripted driver: it
 * observes the stack, follows the engine's event stream for it (each burst of events
 * triggers one fresh observation, level-triggered as everywhere else), reconnects with a
 * bounded backoff when the stream breaks or the engine restarts, catching up with an
 * observation on every reconnect, and samples stats with `--stats`. Everything it learns
 * goes out as {@link PsAction}s.
 */
import type { Driver } from "../core/driver.js";
import type { PsAction, PsState } from "./ps-view-model.js";

/** Options of {@link followStack}. */
export interface FollowStackOptions {
  /** The driver calls the live view makes: read replicas, follow events, sample stats. */
  readonly driver: Pick<Driver, "replicas" | "events" | "stats">;
  readonly stack: string;
  /** Sample CPU and memory of running replicas. */
  readonly stats: boolean;
  /** Ends following; the returned promise then resolves. */
  readonly signal: AbortSignal;
  /**
   * Quiet time after an event before observing, so a burst costs one observation. Short by
   * default: a kill is followed by its die within milliseconds, and a replica restarted by
   * its restart policy spends only ~100 ms in "restarting" (dockerd 20.10's first backoff
   * step), which the screen should be able to show.
   */
  readonly debounceMs?: number;
  /** Reconnect delays: first retry after `initialMs`, doubling up to `maxMs`. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Time between stats rounds. */
  readonly statsIntervalMs?: number;
}

const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 10_000 } as const;
/** How long a stream must stay open to count as a working connection. */
const STABLE_MS = 5000;

/** The delay before reconnect attempt `attempt` (1-based): doubling, capped at `maxMs`. */
export function backoffDelay(
  attempt: number,
  backoff: { readonly initialMs: number; readonly maxMs: number },
): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Follows `stack` until `signal` aborts, sending what it learns to `dispatch`; `current`
 * reads the latest state (which replicas to sample). Never rejects: engine failures become
 * actions and are retried.
 */
export async function followStack(
  options: FollowStackOptions,
  dispatch: (action: PsAction) => void,
  current: () => PsState,
): Promise<void> {
  const { driver, stack, signal } = options;
  const debounceMs = options.debounceMs ?? 40;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;

  // Observation: at most one in flight; events during it ask for one more afterwards.
  let streamOpen = false;
  let attempt = 0;
  let observing = false;
  let again = false;
  let pending: NodeJS.Timeout | undefined;
  const observeNow = async (): Promise<boolean> => {
    if (observing) {
      again = true;
      return false;
    }
    observing = true;
    try {
      const replicas = await driver.replicas(stack);
      if (signal.aborted) return false;
      dispatch({ type: "observed", replicas, at: Date.now() });
      if (streamOpen) dispatch({ type: "stream-connected" });
      return true;
    } catch (err) {
      if (!signal.aborted) dispatch({ type: "observe-failed", error: message(err) });
      return false;
    } finally {
      observing = false;
      if (again && !signal.aborted) {
        again = false;
        requestObserve();
      }
    }
  };
  const requestObserve = () => {
    if (observing) {
      again = true;
      return;
    }
    if (pending !== undefined || signal.aborted) return;
    pending = setTimeout(() => {
      pending = undefined;
      void observeNow();
    }, debounceMs);
  };

  const follow = async () => {
    while (!signal.aborted) {
      let failure: unknown = new Error("the event stream ended");
      const openedAt = Date.now();
      try {
        const events = driver.events(stack, signal)[Symbol.asyncIterator]();
        streamOpen = true;
        // Catch up on whatever happened while not following (first start or an outage);
        // the stream is opened by the first next() below, concurrently.
        const catchUp = observeNow();
        for (;;) {
          const next = await events.next();
          if (next.done) break;
          requestObserve();
        }
        await catchUp;
      } catch (err) {
        failure = err;
      }
      streamOpen = false;
      if (signal.aborted) break;
      // A stream that held for a while was a success: start the delays over. One that
      // breaks at once (an engine still restarting) keeps backing off.
      if (Date.now() - openedAt >= STABLE_MS) attempt = 0;
      attempt += 1;
      const delay = backoffDelay(attempt, backoff);
      dispatch({
        type: "stream-broken",
        error: message(failure),
        attempt,
        retryAt: Date.now() + delay,
      });
      await sleep(delay, signal);
    }
  };

  const sampleStats = async () => {
    const read = driver.stats?.bind(driver);
    if (read === undefined) return;
    const interval = options.statsIntervalMs ?? 2000;
    while (!signal.aborted) {
      const running = (current().replicas ?? []).filter((c) => c.state === "running");
      // One at a time per container but all containers together: each sample takes about
      // a second on the engine side regardless of how many run at once.
      await Promise.all(
        running.map(async (c) => {
          try {
            const stats = await read(c.id, { signal });
            if (!signal.aborted) dispatch({ type: "stats", id: c.id, stats });
          } catch {
            // gone or stopped meanwhile: the next observation shows why
          }
        }),
      );
      await sleep(running.length === 0 ? 250 : interval, signal);
    }
  };

  await Promise.all([follow(), options.stats ? sampleStats() : Promise.resolve()]);
  if (pending !== undefined) clearTimeout(pending);
}
