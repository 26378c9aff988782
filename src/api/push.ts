import type { Driver, RetryBounds } from "../core/driver.js";
import type { StackSpec } from "../model/types.js";
import type { ProgressSink } from "../progress/events.js";
import { imageProgressEvent } from "../progress/image-progress.js";
import { SpecError } from "../stackfile/errors.js";
import { builtImageName } from "../model/naming.js";
import { transferImages, type TransferFailure } from "./transfer-images.js";

/** What `stack push` asks for. */
export interface PushImagesOptions {
  readonly driver: Driver;
  readonly spec: StackSpec;
  /** Only the images of these services (default: every service that builds a named image). */
  readonly services: readonly string[];
  readonly sink: ProgressSink;
  /** A failed push is reported as a warning and the others go on. */
  readonly ignoreFailures?: boolean;
  /** Backoff of transient failures (tests shrink it). */
  readonly retry?: RetryBounds;
}

/** What `stack push` did: each image pushed with the digest the registry stored. */
export interface PushResult {
  readonly pushed: readonly { readonly image: string; readonly digest?: string }[];
  readonly failed: readonly TransferFailure[];
}

/** Images pushed at once (the engine itself moves a few layers of each at a time). */
const PUSH_CONCURRENCY = 2;

/**
 * The images `stack push` pushes: those of services with `build:` whose `image:` the file
 * names (an image named after the stack, `<stack>-<service>`, is local only, as in compose).
 * A named service that builds no named image is a SpecError, before anything is pushed.
 */
export function imagesToPush(spec: StackSpec, services: readonly string[]): string[] {
  const named = services.length > 0;
  const names = named ? services : Object.keys(spec.services).sort();
  const issues: { path: string; message: string }[] = [];
  const images: string[] = [];
  for (const name of names) {
    const service = spec.services[name];
    if (service === undefined) continue;
    const pushable =
      service.build !== undefined && service.image !== builtImageName(spec.name, name);
    if (!pushable) {
      if (named)
        issues.push({
          path: `services.${name}`,
          message: `service "${name}" has nothing to push: it needs both build: and an image: naming the registry repository`,
        });
      continue;
    }
    if (!images.includes(service.image)) images.push(service.image);
  }
  if (issues.length > 0) throw new SpecError(issues);
  return images;
}

/**
 * Pushes the images of the stack's services that build a named image (see
 * {@link imagesToPush}) from the driver's engine into their registries, with per-layer
 * progress on `sink` and the user's registry credentials; transient failures are retried.
 * Failures are reported (errors, or warnings with `ignoreFailures`) and returned.
 */
export async function pushImages(options: PushImagesOptions): Promise<PushResult> {
  const { driver, spec, sink } = options;
  const images = imagesToPush(spec, options.services);
  if (images.length === 0)
    sink.emit({ type: "info", message: "no service builds a named image: nothing to push" });
  const { done, failed } = await transferImages({
    images,
    concurrency: PUSH_CONCURRENCY,
    transfer: (image) =>
      driver.push(image, (p) => sink.emit(imageProgressEvent("push-progress", p))),
    done: (image, digest) => `pushed ${image}${digest === undefined ? "" : ` (${digest})`}`,
    sink,
    ...(options.ignoreFailures !== undefined && { ignoreFailures: options.ignoreFailures }),
    ...(options.retry !== undefined && { retry: options.retry }),
  });
  return {
    pushed: done.map(({ image, result }) => ({
      image,
      ...(result !== undefined && { digest: result }),
    })),
    failed,
  };
}
