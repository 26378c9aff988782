/**
 * `POST /images/{name}/push` with progress per layer and the user's credentials, shared by
 * both Docker-API drivers (`stack push`; the swarm driver's build-and-push before a deploy).
 * Verified on dockerd 20.10 (docs/registry.md): without `X-Registry-Auth` the engine answers
 * 400 "missing X-Registry-Auth", so `{}` is sent when the user has no credentials, as the
 * CLI does; every other failure (no or wrong credentials, no such local image) arrives
 * in-stream with HTTP 200; the pushed digest is in the last (`aux`) line.
 */
import type Dockerode from "dockerode";
import type { PullProgress } from "../../core/driver.js";
import { EngineError, InterruptedError } from "../../core/errors.js";
import { engineMessage } from "./classify-error.js";
import { followImageStream, ImageStreamTracker, streamErrorMessage } from "./image-stream.js";
import { registryOfImage } from "./registry-auth.js";
import { NO_CREDENTIALS, registryAuthHeader } from "./registry-header.js";

/**
 * Pushes `image` (a local tag) into its registry and returns the manifest digest the
 * registry stored; throws `EngineError` naming the image and the registry's answer.
 */
export async function pushImage(
  docker: Dockerode,
  image: string,
  onProgress: ((p: PullProgress) => void) | undefined,
  fail: (err: unknown, context: string) => EngineError,
  options: { readonly signal?: AbortSignal; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<string | undefined> {
  const { signal } = options;
  const tracker = new ImageStreamTracker(image, "push");
  const authconfig = (await registryAuthHeader(image, options.env)) ?? NO_CREDENTIALS;
  try {
    const stream = await docker.getImage(image).push({
      authconfig,
      ...(signal !== undefined && { abortSignal: signal }),
    });
    await followImageStream(docker, stream, tracker, onProgress);
  } catch (err) {
    if (signal?.aborted === true) throw new InterruptedError(`interrupted pushing ${image}`);
    throw pushError(
      image,
      engineMessage(err) ?? streamErrorMessage(err),
      fail(err, `push image ${image}`),
    );
  }
  if (signal?.aborted === true) throw new InterruptedError(`interrupted pushing ${image}`);
  if (tracker.failure !== undefined) throw pushError(image, tracker.failure, undefined);
  return tracker.digest;
}

/**
 * A push failure naming the image and the registry: a refusal (no or wrong credentials) and
 * a missing local image are not retried; an unreachable registry is (kind `server`).
 */
export function pushError(
  image: string,
  detail: string,
  classified: EngineError | undefined,
): EngineError {
  if (classified?.kind === "unavailable") return classified;
  const registry = registryOfImage(image);
  const options = classified?.statusCode !== undefined ? { statusCode: classified.statusCode } : {};
  if (/no basic auth credentials|unauthorized|authentication required|denied/i.test(detail)) {
    return new EngineError(
      "failed",
      `cannot push image ${image}: registry ${registry} refused access (${detail}); log in with docker login or check DOCKER_CONFIG`,
      { ...options, retryable: false },
    );
  }
  if (/does not exist locally|No such image/i.test(detail)) {
    return new EngineError(
      "not-found",
      `cannot push image ${image}: it is not on the engine (${detail}); build it first (stack build)`,
      options,
    );
  }
  if (
    /dial tcp|no such host|i\/o timeout|connection refused|network is unreachable/i.test(detail)
  ) {
    return new EngineError(
      "server",
      `cannot push image ${image}: registry ${registry} cannot be reached (${detail})`,
      options,
    );
  }
  return new EngineError(
    classified?.kind ?? "server",
    `cannot push image ${image}: ${detail}`,
    options,
  );
}
