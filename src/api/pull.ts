import type { Driver, RetryBounds } from "../core/driver.js";
import { imageProgressEvent } from "../progress/image-progress.js";
import type { StackSpec } from "../model/types.js";
import type { ProgressSink } from "../progress/events.js";
import { transferImages, type TransferFailure } from "./transfer-images.js";

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
  readonly failed: readonly TransferFailure[];
}

/** Images pulled at once. */
const PULL_CONCURRENCY = 4;

/**
 * Pulls the images of the stack's services (each image once) onto the driver's engine, with
 * progress on `sink`; services that build their image are skipped (`stack build` makes
 * them, and so are `pull_policy: never` ones). A failed image is reported (an error, or a
 * warning with `ignoreFailures`) and returned while the others go on; see
 * {@link transferImages}.
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
  const { done, failed } = await transferImages({
    images,
    concurrency: PULL_CONCURRENCY,
    transfer: (image) =>
      driver.pull(image, (p) => sink.emit(imageProgressEvent("pull-progress", p))),
    done: (image) => `pulled ${image}`,
    sink,
    ...(options.ignoreFailures !== undefined && { ignoreFailures: options.ignoreFailures }),
    ...(options.retry !== undefined && { retry: options.retry }),
  });
  return { pulled: done.map((d) => d.image), failed };
}
