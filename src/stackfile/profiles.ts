/**
 * Compose profiles: a service with `profiles:` is part of the stack only when one of its
 * profiles is active. Active profiles come from the command line (`--profile`, repeatable),
 * else from `COMPOSE_PROFILES` (comma-separated); `*` activates every profile. A service
 * named explicitly (`stack deploy NAME SERVICE...`) activates its own profiles, as compose
 * does for `docker compose up SERVICE`.
 */
import type { MapNode } from "./yaml-source.js";
import { mapAt } from "./yaml-source.js";

/** The variable compose reads active profiles from. */
export const PROFILES_VARIABLE = "COMPOSE_PROFILES";

/** Profiles given on the command line, else those of `COMPOSE_PROFILES`. */
export function requestedProfiles(
  fromCli: readonly string[] | undefined,
  lookup: (name: string) => string | undefined,
): string[] {
  const given =
    fromCli !== undefined && fromCli.length > 0 ? fromCli : [lookup(PROFILES_VARIABLE) ?? ""];
  return [
    ...new Set(
      given
        .flatMap((p) => p.split(","))
        .map((p) => p.trim())
        .filter((p) => p !== ""),
    ),
  ];
}

/** Whether a service with `profiles` is enabled by `active` (compose's HasProfile). */
export function isServiceEnabled(profiles: readonly string[], active: readonly string[]): boolean {
  return profiles.length === 0 || active.includes("*") || profiles.some((p) => active.includes(p));
}

function profilesOf(tree: MapNode, service: string): string[] {
  const node = mapAt(tree, "services")?.entries.get(service)?.value;
  const list = node?.kind === "map" ? node.entries.get("profiles")?.value : undefined;
  if (list?.kind !== "seq") return [];
  return list.items.flatMap((i) =>
    i.kind === "scalar" && typeof i.value === "string" ? [i.value] : [],
  );
}

/**
 * The active profiles once the explicitly named `services` add theirs; names that are not
 * services of `tree` are returned in `unknown`.
 */
export function activeProfiles(
  tree: MapNode,
  requested: readonly string[],
  services: readonly string[],
): { profiles: string[]; unknown: string[] } {
  const profiles = [...requested];
  const unknown: string[] = [];
  const known = mapAt(tree, "services");
  for (const name of services) {
    if (known?.entries.has(name) !== true) {
      unknown.push(name);
      continue;
    }
    for (const p of profilesOf(tree, name)) if (!profiles.includes(p)) profiles.push(p);
  }
  return { profiles, unknown };
}
