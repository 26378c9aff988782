/**
 * What a swarm deploy does with images before it plans, as `docker stack deploy` does:
 * 1. services with `build:` (and an `image:` naming a registry repository, see preflight) are
 *    built on the engine talked to (a manager) when their image is missing or its build hash
 *    differs (or `--build`), then pushed; an unchanged image the registry lacks is pushed too;
 * 2. each tag is pinned to the manifest digest its registry holds now (`--resolve-image`), so
 *    every node runs the same image and a moved tag changes the service spec (an update);
 * 3. with `--with-registry-auth` the user's credentials for each image's registry are handed
 *    to the swarm with the service, so the node of each task can pull.
 * Verified on dockerd 20.10 (docs/registry.md): the CLI resolves digests client-side
 * (`tag@sha256:...` in the body); a service update without credentials keeps those stored.
 */
import type { PrepareOptions, ResolveImageMode } from "../../core/driver.js";
import { EngineError } from "../../core/errors.js";
import { buildConfigHash } from "../../model/config-hash.js";
import type { StackSpec } from "../../model/types.js";
import { imageProgressEvent } from "../../progress/image-progress.js";
import { registryAuthHeader, type EncodedAuth } from "../docker-api/registry-header.js";
import type { ObservedService } from "./observed-state.js";
import type { ServiceEngine } from "./service-engine.js";

/** The spec with its images pinned, and the credentials to send per pinned image. */
export interface PreparedImages {
  readonly spec: StackSpec;
  /** `X-Registry-Auth` per image reference as deployed (only with `--with-registry-auth`). */
  readonly auths: ReadonlyMap<string, EncodedAuth>;
}

/** `name:tag@sha256:...` -> `name:tag`; a reference without a digest is returned as is. */
export function withoutDigest(image: string): string {
  const at = image.indexOf("@");
  return at === -1 ? image : image.slice(0, at);
}

/**
 * The image to deploy for tag `written` (pure): the digest-pinned reference when the
 * registry was asked (`resolved`), else the reference the service runs now when it pins the
 * same tag (so a registry that cannot be asked, or `never`, causes no spurious update), else
 * the tag as written. Returns whether the registry must be asked (`changed` asks only when
 * the tag differs from the one the service runs).
 */
export function pinnedImage(
  written: string,
  mode: ResolveImageMode,
  current: string | undefined,
  resolved?: string,
): { readonly image: string; readonly ask: boolean } {
  if (written.includes("@")) return { image: written, ask: false };
  const kept =
    current !== undefined && current.includes("@") && withoutDigest(current) === written
      ? current
      : undefined;
  if (resolved !== undefined) return { image: `${written}@${resolved}`, ask: false };
  if (mode === "always") return { image: kept ?? written, ask: true };
  if (mode === "changed") return { image: kept ?? written, ask: kept === undefined };
  return { image: kept ?? written, ask: false };
}

/**
 * Builds and pushes what the spec builds, pins tags to digests and collects credentials
 * (see the module comment). A dry run builds and pushes nothing (it says what it would do)
 * and still asks registries for digests, so its plan shows the updates a moved tag causes.
 */
export async function prepareSwarmImages(
  engine: ServiceEngine,
  spec: StackSpec,
  services: readonly ObservedService[],
  options: PrepareOptions,
): Promise<PreparedImages> {
  const sink = options.sink;
  const mode = options.resolveImage ?? "always";
  const headers = new Map<string, EncodedAuth | undefined>();
  const header = async (image: string): Promise<EncodedAuth | undefined> => {
    const key = withoutDigest(image);
    if (!headers.has(key)) headers.set(key, await registryAuthHeader(key));
    return headers.get(key);
  };

  // 1. Build on the manager and push.
  const pushed = new Map<string, string | undefined>();
  const built = new Set<string>();
  for (const name of Object.keys(spec.services).sort()) {
    const service = spec.services[name]!;
    if (service.build === undefined || built.has(service.image)) continue;
    built.add(service.image);
    const hash = buildConfigHash(service.build);
    const current = await engine.imageBuildHash(service.image);
    let needsPush = options.build === true || current !== hash;
    if (needsPush) {
      if (options.dryRun === true) {
        sink?.emit({
          type: "info",
          message: `would build ${service.image} (service ${name}) on the manager and push it`,
        });
        continue;
      }
      sink?.emit({
        type: "info",
        message: `building ${service.image} (service ${name}) on the manager`,
      });
      await engine.buildImage(
        { image: service.image, build: service.build, buildHash: hash },
        (p) => sink?.emit({ type: "build-progress", image: p.image, line: p.status }),
      );
    } else {
      // Built before: push only when the registry lacks it.
      try {
        await engine.distributionDigest(service.image, await header(service.image));
      } catch (err) {
        if (!(err instanceof EngineError) || err.kind !== "not-found") throw err;
        needsPush = options.dryRun !== true;
        if (!needsPush)
          sink?.emit({ type: "info", message: `would push ${service.image} (service ${name})` });
      }
    }
    if (needsPush) {
      sink?.emit({ type: "info", message: `pushing ${service.image} (service ${name})` });
      const digest = await engine.pushImage(service.image, (p) =>
        sink?.emit(imageProgressEvent("push-progress", p)),
      );
      pushed.set(service.image, digest);
      sink?.emit({
        type: "info",
        message: `pushed ${service.image}${digest === undefined ? "" : ` (${digest})`}`,
      });
    }
  }

  // 2. Pin tags to digests.
  const current = new Map(services.map((s) => [s.service, s.image]));
  const resolvedByTag = new Map<string, string | undefined>();
  const pinnedServices: Record<string, StackSpec["services"][string]> = {};
  for (const name of Object.keys(spec.services).sort()) {
    const service = spec.services[name]!;
    const written = service.image;
    let choice = pinnedImage(written, mode, current.get(name));
    if (choice.ask) {
      if (!resolvedByTag.has(written)) {
        let digest = pushed.get(written);
        if (digest === undefined) {
          try {
            digest = await engine.distributionDigest(written, await header(written));
          } catch (err) {
            if (!(err instanceof EngineError)) throw err;
            // As docker stack deploy: deploy the tag, and say what that risks.
            sink?.emit({
              type: "warning",
              message: `image ${written} could not be accessed on a registry to record its digest (${err.message}); each node pulls the tag itself, possibly running different versions of the image`,
            });
          }
        }
        resolvedByTag.set(written, digest);
      }
      choice = pinnedImage(written, mode, current.get(name), resolvedByTag.get(written));
    }
    pinnedServices[name] = choice.image === written ? service : { ...service, image: choice.image };
  }

  // 3. Credentials for the swarm.
  const auths = new Map<string, EncodedAuth>();
  for (const service of Object.values(pinnedServices)) {
    const auth = await header(service.image);
    if (auth === undefined) continue;
    if (options.withRegistryAuth === true) auths.set(service.image, auth);
    else if (!headers.has(`warned:${withoutDigest(service.image)}`)) {
      headers.set(`warned:${withoutDigest(service.image)}`, undefined);
      sink?.emit({
        type: "warning",
        message: `you have credentials for the registry of ${withoutDigest(service.image)} but the swarm gets none: deploy with --with-registry-auth if its nodes need them to pull`,
      });
    }
  }
  return { spec: { ...spec, services: pinnedServices }, auths };
}
