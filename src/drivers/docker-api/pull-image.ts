/**
 * `POST /images/create` with progress, shared by both Docker-API drivers: the docker driver
 * pulls before it creates replicas, `stack pull` pulls ahead of a deploy on either driver.
 * Engine behaviour relied on (dockerd 20.10): a failed pull still answers 200 and reports the
 * failure in-stream as an `error` message.
 */
import type Dockerode from "dockerode";
import type { PullProgress } from "../../core/driver.js";
import { EngineError, InterruptedError } from "../../core/errors.js";
import { engineMessage } from "./classify-error.js";

interface PullMessage {
  readonly id?: string;
  readonly status?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

/**
 * Pulls `image` onto the engine `docker` talks to, reporting progress aggregated over layers;
 * throws `EngineError` naming the image (see {@link pullError}). `fail` classifies engine errors.
 */
export async function pullImage(
  docker: Dockerode,
  image: string,
  onProgress: ((p: PullProgress) => void) | undefined,
  fail: (err: unknown, context: string) => EngineError,
  options: { readonly signal?: AbortSignal } = {},
): Promise<void> {
  const { signal } = options;
  const interrupted = () => new InterruptedError(`interrupted pulling ${image}`);
  const context = `pull image ${image}`;
  const layers = new Map<string, { current: number; total: number }>();
  const report = (message: PullMessage): void => {
    if (onProgress === undefined || message.status === undefined) return;
    const detail = message.progressDetail;
    if (message.id !== undefined && detail?.total !== undefined && detail.total > 0) {
      layers.set(message.id, { current: detail.current ?? 0, total: detail.total });
    }
    let current = 0;
    let total = 0;
    for (const l of layers.values()) {
      current += l.current;
      total += l.total;
    }
    onProgress(
      total > 0
        ? { image, status: message.status, currentBytes: current, totalBytes: total }
        : { image, status: message.status },
    );
  };
  let failure: string | undefined;
  try {
    const stream = await docker.pull(image, signal === undefined ? {} : { abortSignal: signal });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (message: PullMessage) => {
          // A failed pull still answers 200; the failure arrives as an `error` message.
          if (message.error !== undefined)
            failure ??= message.errorDetail?.message ?? message.error;
          else report(message);
        },
      );
    });
  } catch (err) {
    if (signal?.aborted === true) throw interrupted();
    throw pullError(
      image,
      engineMessage(err) ?? (err instanceof Error ? err.message : String(err)),
      fail(err, context),
    );
  }
  // An aborted request ends the stream as if the pull had finished.
  if (signal?.aborted === true) throw interrupted();
  if (failure !== undefined) throw pullError(image, failure, undefined);
}

/**
 * A pull failure naming the image: registry refusals (denied, unknown repository or tag) are
 * `not-found` and not retried; anything else (registry unreachable, engine error) keeps the
 * classification of `classified`, or `server` (retryable) when the failure came in-stream.
 */
export function pullError(
  image: string,
  detail: string,
  classified: EngineError | undefined,
): EngineError {
  if (classified?.kind === "unavailable") return classified;
  const options =
    classified?.statusCode !== undefined
      ? { statusCode: classified.statusCode, cause: classified }
      : {};
  if (
    /pull access denied|manifest unknown|not found|repository does not exist|unauthorized|denied/i.test(
      detail,
    )
  ) {
    return new EngineError(
      "not-found",
      `cannot pull image ${image}: ${detail} (check the image name and tag, and log in with docker login if the registry is private)`,
      options,
    );
  }
  if (
    /dial tcp|no such host|i\/o timeout|TLS handshake|connection refused|network is unreachable/i.test(
      detail,
    )
  ) {
    return new EngineError(
      "server",
      `cannot pull image ${image}: the registry cannot be reached (${detail})`,
      options,
    );
  }
  return new EngineError(
    classified?.kind ?? "server",
    `cannot pull image ${image}: ${detail}`,
    options,
  );
}
