import pRetry, { AbortError } from "p-retry";
import { EngineError, InterruptedError, StepFailure } from "./errors.js";
import type { ProgressSink } from "../progress/events.js";

/** Backoff bounds for engine calls; tests shrink them so retries cost milliseconds. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 5. */
  readonly retries?: number;
  /** Delay before the first retry. Default 100 ms. */
  readonly minTimeoutMs?: number;
  /** Longest delay between two retries. Default 2 s. */
  readonly maxTimeoutMs?: number;
  /** Stops retrying: a pending backoff ends at once and the call rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Told about each retryable failure before the backoff that precedes the next attempt. */
  readonly onRetry?: (error: EngineError, attempt: number) => void;
}

/** Defaults used by every engine call of the apply step. */
export const DEFAULT_RETRY = { retries: 5, minTimeoutMs: 100, maxTimeoutMs: 2000 } as const;

/**
 * Runs `fn` and retries it, with randomised exponential backoff, only while it fails with an
 * `EngineError` whose `retryable` is true (engine unreachable, 5xx); any other error rejects
 * at once, unchanged. When the last retry fails, that error is rejected.
 *
 * An abort during a backoff rejects with `InterruptedError`.
 * Once `fn` has resolved its value is returned even when `signal` aborted meanwhile: the call
 * reached the engine and its effect must not be reported as a failure (p-retry itself would
 * throw the abort reason after a successful attempt).
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  let result: { readonly value: T } | undefined;
  try {
    return await pRetry(
      async () => {
        try {
          const value = await fn();
          result = { value };
          return value;
        } catch (error) {
          // Only classified, retryable engine failures are worth another attempt; a 400, a
          // 404 or a bug in our code fails the same way every time.
          if (error instanceof EngineError && error.retryable) throw error;
          throw new AbortError(error instanceof Error ? error : new Error(String(error)));
        }
      },
      {
        retries: opts.retries ?? DEFAULT_RETRY.retries,
        minTimeout: opts.minTimeoutMs ?? DEFAULT_RETRY.minTimeoutMs,
        maxTimeout: opts.maxTimeoutMs ?? DEFAULT_RETRY.maxTimeoutMs,
        factor: 2,
        randomize: true,
        signal: opts.signal,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0 && error instanceof EngineError && !opts.signal?.aborted) {
            opts.onRetry?.(error, attemptNumber);
          }
        },
      },
    );
  } catch (error) {
    if (result !== undefined) return result.value;
    // p-retry rejects with the signal's reason when an abort ends a backoff; callers handle
    // one interruption type.
    if (opts.signal?.aborted && error === opts.signal.reason) throw new InterruptedError();
    throw error;
  }
}

/** Throws `InterruptedError` when `signal` has aborted; called before every engine write. */
export function throwIfInterrupted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted)
    throw new InterruptedError(what === undefined ? "interrupted" : `interrupted before ${what}`);
}

/** Resolves after `ms`, or rejects with `InterruptedError` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new InterruptedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * One engine call of an apply step: refuses to start once `opts.signal` has aborted (so an
 * interrupted step stops between calls, never inside one) and then runs `fn` under
 * `withRetry`. `what` names the call in the interruption message.
 */
export function engineCall<T>(
  what: string,
  fn: () => Promise<T>,
  opts: RetryOptions = {},
): Promise<T> {
  throwIfInterrupted(opts.signal, what);
  return withRetry(fn, opts);
}

/** Re-labels an engine error with what was being done, keeping its kind for the CLI. */
export function inContext(what: string, error: unknown): unknown {
  if (error instanceof InterruptedError || error instanceof StepFailure) return error;
  if (error instanceof EngineError) {
    return new EngineError(error.kind, `${what}: ${error.message}`, {
      cause: error,
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    });
  }
  return error;
}

/** One engine call of an operation, retried and labelled with `what`. */
export type StepCall = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/**
 * The engine calls of operation `opId`, as every runner makes them: each refuses to start
 * after Ctrl-C, is retried while its failure is retryable (each retry said as an `info`
 * event), and a final failure is re-labelled with what was being done.
 */
export function stepCalls(
  opId: string,
  ctx: {
    readonly sink: ProgressSink;
    readonly signal?: AbortSignal | undefined;
    readonly retry?: Pick<RetryOptions, "retries" | "minTimeoutMs" | "maxTimeoutMs">;
  },
): StepCall {
  const retry: RetryOptions = {
    ...ctx.retry,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    onRetry: (error, attempt) =>
      ctx.sink.emit({
        type: "info",
        message: `${opId}: attempt ${attempt} failed (${error.message}), retrying`,
      }),
  };
  return async (what, fn) => {
    try {
      return await engineCall(what, fn, retry);
    } catch (error) {
      throw inContext(what, error);
    }
  };
}
