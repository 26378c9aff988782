import pLimit from "p-limit";
import type { RetryBounds } from "../core/driver.js";
import { EngineError } from "../core/errors.js";
import { withRetry } from "../core/retry-policy.js";
import type { ProgressSink } from "../progress/events.js";

/** One image that could not be moved, with the reason the engine or registry gave. */
export interface TransferFailure {
  readonly image: string;
  readonly message: string;
}

/** How `stack pull` and `stack push` move their images. */
export interface TransferOptions<T> {
  readonly images: readonly string[];
  /** Images moved at once. */
  readonly concurrency: number;
  /** Moves one image (the driver's pull or push, reporting its own progress). */
  readonly transfer: (image: string) => Promise<T>;
  /** The info line once `image` was moved. */
  readonly done: (image: string, result: T) => string;
  readonly sink: ProgressSink;
  /** Failures are warnings instead of errors (they are returned either way). */
  readonly ignoreFailures?: boolean;
  readonly retry?: RetryBounds;
}

/**
 * Moves every image with `transfer`, `concurrency` at a time. Transient failures (registry or
 * engine unreachable, 5xx) are retried with backoff, saying so; a refusal or a missing image
 * fails at once (the driver classifies them). A failed image is reported and returned while
 * the others go on; the engine itself unreachable is thrown (the command's failure, exit 3).
 * Results and failures come back sorted by image.
 */
export async function transferImages<T>(
  options: TransferOptions<T>,
): Promise<{ done: { image: string; result: T }[]; failed: TransferFailure[] }> {
  const { sink } = options;
  const limit = pLimit(options.concurrency);
  const done: { image: string; result: T }[] = [];
  const failed: TransferFailure[] = [];
  await Promise.all(
    options.images.map((image) =>
      limit(async () => {
        try {
          const result = await withRetry(() => options.transfer(image), {
            ...options.retry,
            onRetry: (error, attempt) =>
              sink.emit({
                type: "warning",
                message: `${error.message}: retrying (attempt ${attempt + 1})`,
              }),
          });
          done.push({ image, result });
          sink.emit({ type: "info", message: options.done(image, result) });
        } catch (err) {
          if (!(err instanceof EngineError) || err.kind === "unavailable") throw err;
          failed.push({ image, message: err.message });
          sink.emit({
            type: options.ignoreFailures === true ? "warning" : "error",
            message: err.message,
          });
        }
      }),
    ),
  );
  const byImage = (a: { image: string }, b: { image: string }) =>
    a.image < b.image ? -1 : a.image > b.image ? 1 : 0;
  return { done: done.sort(byImage), failed: failed.sort(byImage) };
}
