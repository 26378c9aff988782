/**
 * Which engines need network leaves kept apart. dockerd before 20.10.27 (23.0 upstream)
 * deadlocks for good when two containers leave the same network at overlapping times
 * (moby/moby#42545): libnetwork's watch loop, handling one container's endpoint deletion,
 * holds the controller lock and waits for the network's, while another container's sandbox
 * leave (`getSvcRecords`) holds that network's lock and waits for the controller's. Joins
 * are not part of it, and leaves on different networks cannot form the cycle. Evidence,
 * reproduction and the figures behind this rule: bench/dockerd-20.10-deadlock.md.
 *
 * The engine version tells affected engines apart; the API version cannot (every 20.10 speaks
 * 1.41, fixed or not). Debian bookworm's `20.10.24+dfsg1` is affected; trixie's 26.1 has no
 * watch loop at all.
 */

/**
 * How the docker driver orders network leaves on an engine: `free` (any number at once) or
 * `per-network` (a leave waits while another leave on one of its networks is under way;
 * containers going away are disconnected first, so their stops leave nothing).
 */
export type LeaveRule = "free" | "per-network";

/** The fields of `GET /version` the rule reads. */
export interface VersionReport {
  readonly Version?: string;
  readonly Components?: readonly { readonly Name?: string }[] | null;
}

/** First docker release of the 20.10 line with the fix (moby/libnetwork#2679). */
const FIXED_IN_20_10 = 27;

/**
 * The leave rule for the engine that answered `version`: `per-network` for Docker engines
 * before 20.10.27 (and any Docker version this cannot read, to be safe), `free` for 20.10.27
 * and later, 23.0 and later, and for engines that are not dockerd (Podman has no libnetwork).
 */
export function leaveRuleFor(version: VersionReport): LeaveRule {
  const components = version.Components ?? [];
  if (components.some((c) => /podman/i.test(c.Name ?? ""))) return "free";
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.Version ?? "");
  if (match === null) return "per-network";
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  // Docker's own versions were 1.x up to 1.13, then YY.MM from 17.03; 21 and 22 were skipped.
  if (major >= 23) return "free";
  if (major === 20 && minor === 10) return patch >= FIXED_IN_20_10 ? "free" : "per-network";
  return "per-network";
}
