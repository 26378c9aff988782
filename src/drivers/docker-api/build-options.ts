/**
 * BuildSpec -> the query of the engine's classic build API (`POST /build`). PURE.
 *
 * What the classic API takes (checked against dockerd 20.10, API 1.41): several `t` tags,
 * `cachefrom` (a JSON list), `networkmode`, one `platform`, `extrahosts`, `shmsize`,
 * `nocache`, `pull`. What it cannot take, because each needs a BuildKit session (buildx):
 * build secrets, SSH forwarding, named additional contexts, cache export (`cache_to`),
 * several platforms at once, attestations; those are named by `unsupportedBuildSettings`.
 */
import type { BuildSpec } from "../../model/types.js";

/** The `POST /build` query this driver sends (dockerode's buildImage options). */
export interface BuildQuery {
  t: string | string[];
  dockerfile: string;
  buildargs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  cachefrom?: string;
  networkmode?: string;
  platform?: string;
  extrahosts?: string;
  shmsize?: number;
  nocache?: boolean;
  pull?: boolean;
  rm: true;
  forcerm: true;
}

/**
 * The build query for `image` from `build`; `labels` are the image labels to set (the
 * build's own plus the caller's, e.g. the build hash).
 */
export function buildQuery(
  image: string,
  build: BuildSpec,
  labels: Readonly<Record<string, string>>,
): BuildQuery {
  const tags = [image, ...(build.tags ?? []).filter((t) => t !== image)];
  return {
    t: tags.length === 1 ? image : tags,
    dockerfile: build.dockerfile,
    buildargs: { ...build.args },
    labels: { ...labels },
    ...(build.target !== undefined && { target: build.target }),
    ...(build.cacheFrom !== undefined &&
      build.cacheFrom.length > 0 && { cachefrom: JSON.stringify(build.cacheFrom) }),
    ...(build.network !== undefined && { networkmode: build.network }),
    ...(build.platforms !== undefined &&
      build.platforms.length === 1 && { platform: build.platforms[0]! }),
    ...(build.extraHosts !== undefined &&
      build.extraHosts.length > 0 && { extrahosts: build.extraHosts.join(",") }),
    ...(build.shmSize !== undefined && { shmsize: build.shmSize }),
    ...(build.noCache !== undefined && { nocache: build.noCache }),
    ...(build.pull !== undefined && { pull: build.pull }),
    rm: true,
    forcerm: true,
  };
}

/** Build settings the classic build API cannot apply, each as a sentence naming why. */
export function unsupportedBuildSettings(build: BuildSpec): string[] {
  const out: string[] = [];
  const buildkit = (key: string) =>
    `build.${key} needs BuildKit (docker buildx); the engine's build API cannot apply it`;
  if (build.secrets !== undefined && build.secrets.length > 0) out.push(buildkit("secrets"));
  if (build.ssh !== undefined && build.ssh.length > 0) out.push(buildkit("ssh"));
  if (build.additionalContexts !== undefined && Object.keys(build.additionalContexts).length > 0)
    out.push(buildkit("additional_contexts"));
  if (build.cacheTo !== undefined && build.cacheTo.length > 0) out.push(buildkit("cache_to"));
  if (build.platforms !== undefined && build.platforms.length > 1)
    out.push(
      `build.platforms lists ${build.platforms.length} platforms; the engine's build API builds one (a multi-platform build needs docker buildx)`,
    );
  return out;
}
