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
import { followImageStream, ImageStreamTracker, streamErrorMessage } from "./image-stream.js";
import { registryAuthHeader } from "./registry-header.js";

/**
 * Pulls `image` onto the engine `docker` talks to, reporting progress per layer, with the
 * credentials the user's docker config holds for the image's registry (`X-Registry-Auth`,
 * never logged); throws `EngineError` naming the image and the registry's answer (see
 * {@link pullError}). `fail` classifies engine errors. After a pull the image is tagged with
 * its own name: that sets the engine's `LastTagTime` of the image to now (a fresh pull leaves
 * it unset on dockerd 20.10), which is what compose's refresh policies (`daily`, `weekly`,
 * `every_<duration>`) compare with, so the time of the last pull lives with the image, on the
 * engine, where compose finds it too.
 */
export async function pullImage(
  docker: Dockerode,
  image: string,
  onProgress: ((p: PullProgress) => void) | undefined,
  fail: (err: unknown, context: string) => EngineError,
  options: { readonly signal?: AbortSignal; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const { signal } = options;
  const interrupted = () => new InterruptedError(`interrupted pulling ${image}`);
  const context = `pull image ${image}`;
  const tracker = new ImageStreamTracker(image, "pull");
  const authconfig = await registryAuthHeader(image, options.env);
  try {
    const stream = await docker.pull(image, {
      ...(authconfig !== undefined && { authconfig }),
      ...(signal !== undefined && { abortSignal: signal }),
    });
    await followImageStream(docker, stream, tracker, onProgress);
  } catch (err) {
    if (signal?.aborted === true) throw interrupted();
    throw pullError(image, engineMessage(err) ?? streamErrorMessage(err), fail(err, context));
  }
  // An aborted request ends the stream as if the pull had finished.
  if (signal?.aborted === true) throw interrupted();
  if (tracker.failure !== undefined) throw pullError(image, tracker.failure, undefined);
  const { repo, tag } = splitTag(image);
  if (tag !== undefined) {
    try {
      await docker.getImage(image).tag({ repo, tag });
    } catch (err) {
      throw fail(err, `tag image ${image} after its pull`);
    }
  }
}

/**
 * Splits `name:tag` into its repository and tag; a digest reference (`name@sha256:...`) has
 * no tag to set, and a name without one is `latest`.
 */
export function splitTag(image: string): { readonly repo: string; readonly tag?: string } {
  if (image.includes("@")) return { repo: image };
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash
    ? { repo: image.slice(0, colon), tag: image.slice(colon + 1) }
    : { repo: image, tag: "latest" };
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
    /no basic auth credentials|unauthorized|authentication required|pull access denied|denied:/i.test(
      detail,
    )
  ) {
    // dockerd 20.10 answers a pull without (valid) credentials with 500, which would be
    // retried as a server error: no retry gets past a refusal.
    return new EngineError(
      "failed",
      `cannot pull image ${image}: the registry refused access (${detail}); log in with docker login or check DOCKER_CONFIG`,
      { ...options, retryable: false },
    );
  }
  if (/manifest unknown|not found|repository does not exist|name unknown/i.test(detail)) {
    return new EngineError(
      "not-found",
      `cannot pull image ${image}: the registry has no such image (${detail}); check the image name and tag`,
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
