import pLimit from "p-limit";
import type { Driver, RetryBounds } from "../core/driver.js";
import { withRetry } from "../core/retry-policy.js";
import { imageProgressEvent } from "../progress/image-progress.js";
import { EngineError } from "../core/errors.js";
import type { StackSpec } from "../model/types.js";
import type { ProgressSink } from "../progress/events.js";

/** What `stack pull` asks for. */
export interface PullImagesOptions {
  readonly driver: Driver;
  readonly spec: StackSpec;
  /** Only the images of these services (default: every service of the spec). */
  readonly services: readonly string[];
  readonly sink: ProgressSink;
  /** A failed pull is reported and the others go on; the result still counts it. */
  readonly ignoreFailures?: boolean;
  /** Backoff of transient failures (tests shrink it); default DEFAULT_RETRY. */
  readonly retry?: RetryBounds;
}

/** What `stack pull` did. */
export interface PullResult {
  readonly pulled: readonly string[];
  readonly failed: readonly { readonly image: string; readonly message: string }[];
}

/** Images pulled at once. */
const PULL_CONCURRENCY = 4;

/**
 * Pulls the images of the stack's services (each image once) onto the driver's engine, with
 * progress on `sink`; services that build their image are skipped (`stack build` makes
 * them). Without `ignoreFailures` the first failure is thrown once the pulls running with it
 * ended; with it, failures are reported and returned.
 */
export async function pullImages(options: PullImagesOptions): Promise<PullResult> {
  const { driver, spec, sink } = options;
  const names = options.services.length > 0 ? options.services : Object.keys(spec.services).sort();
  const images: string[] = [];
  for (const name of names) {
    const service = spec.services[name];
    if (service === undefined) continue;
    if (service.build !== undefined) {
      sink.emit({
        type: "info",
        message: `service ${name} builds its image ${service.image}: skipped (stack build makes it)`,
      });
      continue;
    }
    if (service.pullPolicy === "never") {
      sink.emit({
        type: "info",
        message: `service ${name} has pull_policy never: ${service.image} skipped`,
      });
      continue;
    }
    if (!images.includes(service.image)) images.push(service.image);
  }
  const limit = pLimit(PULL_CONCURRENCY);
  const pulled: string[] = [];
  const failed: { image: string; message: string }[] = [];
  await Promise.all(
    images.map((image) =>
      limit(async () => {
        try {
          // Transient failures (registry or engine unreachable, 5xx) are retried with backoff;
          // a refusal or a missing tag fails at once (the pull classifies them).
          await withRetry(
            () => driver.pull(image, (p) => sink.emit(imageProgressEvent("pull-progress", p))),
            {
              ...options.retry,
              onRetry: (error, attempt) =>
                sink.emit({
                  type: "warning",
                  message: `${error.message}: retrying (attempt ${attempt + 1})`,
                }),
            },
          );
          pulled.push(image);
          sink.emit({ type: "info", message: `pulled ${image}` });
        } catch (err) {
          // The engine itself unreachable is the command's failure (exit 3), not one image's.
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
  return { pulled: pulled.sort(), failed: failed.sort((a, b) => a.image.localeCompare(b.image)) };
}
