/**
 * compose's `pull_policy` on the docker driver, decided once per deploy before planning:
 * which images a deploy pulls although they may be present (`always`; a refresh policy whose
 * period has passed since the image was last pulled), and which missing images it must not
 * pull (`never`: an error before any change). The last pull's time is the engine's
 * `LastTagTime` of the image, which compose reads too: `stack` tags the image with its own
 * name after each pull (see pull-image.ts), since a fresh pull leaves it unset on dockerd
 * 20.10 and compose's rule would then pull on every deploy.
 */
import type { SpecIssue, StackSpec } from "../../model/types.js";
import type { ImageInfo } from "./container-engine.js";
import type { Cause } from "./operations.js";

/** `1d`, `2h`, `90s`: a refresh period as the cause of a pull prints it. */
function period(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1000, "s"],
  ];
  for (const [size, unit] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/**
 * The images a deploy pulls because of their services' `pull_policy`, with why, given what
 * the engine holds (`info`, by image) and the time `now` (epoch ms). Services that build
 * their image never pull it. Pure.
 */
export function policyPulls(
  spec: StackSpec,
  info: ReadonlyMap<string, ImageInfo | undefined>,
  now: number,
): Map<string, Cause> {
  const pulls = new Map<string, Cause>();
  const built = new Set(
    Object.values(spec.services).flatMap((s) => (s.build === undefined ? [] : [s.image])),
  );
  for (const name of Object.keys(spec.services).sort()) {
    const s = spec.services[name]!;
    if (built.has(s.image) || pulls.has(s.image)) continue;
    if (s.pullPolicy === "always") pulls.set(s.image, "pull_policy always");
    else if (s.pullPolicy === "refresh" && s.pullRefreshMs !== undefined) {
      const image = info.get(s.image);
      if (image === undefined) continue; // missing: pulled as any missing image is
      const last = image.lastTagTime === undefined ? undefined : Date.parse(image.lastTagTime);
      if (last === undefined || Number.isNaN(last))
        pulls.set(s.image, `pull_policy every ${period(s.pullRefreshMs)}: no pull recorded`);
      else if (now - last >= s.pullRefreshMs)
        pulls.set(
          s.image,
          `pull_policy every ${period(s.pullRefreshMs)}: last pulled ${new Date(last).toISOString()}`,
        );
    }
  }
  return pulls;
}

/**
 * Errors for services with `pull_policy: never` whose image is not on the engine: nothing
 * may pull it, so the deploy stops before any change (compose fails the same way).
 */
export function neverPullIssues(
  spec: StackSpec,
  info: ReadonlyMap<string, ImageInfo | undefined>,
): SpecIssue[] {
  return Object.keys(spec.services)
    .sort()
    .flatMap((name) => {
      const s = spec.services[name]!;
      if (s.pullPolicy !== "never" || s.build !== undefined || info.get(s.image) !== undefined)
        return [];
      return [
        {
          path: `services.${name}.pull_policy`,
          message: `image ${s.image} is not on the engine and pull_policy is never: pull it (docker pull, stack pull) or change the policy`,
        },
      ];
    });
}
