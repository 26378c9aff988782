/**
 * `POST /build` of a service's `build:` on the engine `docker` talks to, shared by both
 * Docker-API drivers: the docker driver builds before it creates replicas, the swarm driver
 * builds on the manager and pushes before it deploys. Verified on dockerd 20.10: like a pull,
 * a failed build still answers 200 and reports the failure in-stream.
 */
import type Dockerode from "dockerode";
import type { PullProgress } from "../../core/driver.js";
import { EngineError, InterruptedError } from "../../core/errors.js";
import type { BuildSpec } from "../../model/types.js";
import { buildContextArchive } from "../../stackfile/build-context.js";
import { buildQuery } from "./build-options.js";
import { LABELS } from "./labels.js";

/** One image to build: the service's build settings, the tag, and its build hash. */
export interface BuildRequest {
  readonly image: string;
  readonly build: BuildSpec;
  /** Written into the image's LABELS.buildHash label. */
  readonly buildHash: string;
}

interface BuildMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

/**
 * Builds `request.build` into `request.image`, labelled with its build hash; `onProgress`
 * gets each output line as its `status`. Throws `EngineError` ("invalid" for a failed step,
 * naming the image and the context), `InterruptedError` when `signal` aborts.
 */
export async function buildImage(
  docker: Dockerode,
  request: BuildRequest,
  onProgress: ((p: PullProgress) => void) | undefined,
  fail: (err: unknown, context: string) => EngineError,
  options: { readonly signal?: AbortSignal } = {},
): Promise<void> {
  const { build, image } = request;
  const { signal } = options;
  const context = `build image ${image}`;
  const interrupted = () => new InterruptedError(`interrupted building ${image}`);
  // Our own archive (not dockerode's packing of the directory): it can carry an inline
  // Dockerfile, and it holds exactly the files the context hash covers.
  let archive: Awaited<ReturnType<typeof buildContextArchive>>;
  try {
    archive = await buildContextArchive(build);
  } catch (err) {
    throw fail(err, context);
  }
  let failure: string | undefined;
  try {
    const stream = await docker.buildImage(
      archive.tar,
      // Several tags go as repeated `t=` parameters (docker-modem sends a list that way);
      // dockerode's type allows one.
      {
        ...buildQuery(image, build, { ...build.labels, [LABELS.buildHash]: request.buildHash }),
        dockerfile: archive.dockerfile,
        ...(signal !== undefined && { abortSignal: signal }),
      } as unknown as Dockerode.ImageBuildOptions,
    );
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (message: BuildMessage) => {
          if (message.error !== undefined) {
            failure ??= message.errorDetail?.message ?? message.error;
            return;
          }
          for (const line of (message.stream ?? message.status ?? "").split("\n")) {
            if (line.trim() !== "") onProgress?.({ image, status: line.trimEnd() });
          }
        },
      );
    });
  } catch (err) {
    if (signal?.aborted === true) throw interrupted();
    throw fail(err, context);
  }
  // An aborted request ends the stream as if the build had finished.
  if (signal?.aborted === true) throw interrupted();
  if (failure !== undefined)
    throw new EngineError("invalid", `${context} from ${build.context}: ${failure}`);
}
