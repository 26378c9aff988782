/**
 * The rows `stack ps` and `stack services` show, computed from replica observations; pure,
 * so every driver and the live UI share one definition.
 */
import { compareNames } from "../model/naming.js";
import { familiarImageName } from "../model/image-name.js";
import type { ObservedContainer, ObservedPort } from "./replica.js";

/** One replica as `stack ps` shows it. */
export interface ReplicaRow {
  readonly name: string;
  readonly service: string;
  readonly slot: number;
  readonly image: string;
  readonly state: ObservedContainer["state"];
  readonly health?: ObservedContainer["health"];
  readonly exitCode?: number;
  /** ISO time the current state began (started, or finished for stopped containers). */
  readonly since?: string;
  readonly restartCount: number;
  /** Published and exposed ports, structured (`formatPort` prints one). */
  readonly ports: readonly ObservedPort[];
  readonly error?: string;
  readonly node?: string;
  readonly id: string;
  /** `ingress` for the stack's ingress proxy, `run` for a one-off of `stack run`. */
  readonly role?: "ingress" | "run";
}

/** One service as `stack services` shows it. */
export interface ServiceRow {
  readonly name: string;
  readonly mode: "replicated" | "global";
  readonly running: number;
  readonly desired: number;
  readonly image: string;
  readonly ports: readonly ObservedPort[];
}

/** `127.0.0.1:8080->80/tcp`, or `80/tcp` when not published. */
export function formatPort(port: ObservedPort): string {
  if (port.published === undefined) return `${port.target}/${port.protocol}`;
  const host =
    port.hostIp && port.hostIp !== "0.0.0.0" && port.hostIp !== "::" ? `${port.hostIp}:` : "";
  return `${host}${port.published}->${port.target}/${port.protocol}`;
}

/** The ports once each (by their printed form), sorted by that form. */
function uniquePorts(ports: readonly ObservedPort[]): ObservedPort[] {
  const byText = new Map<string, ObservedPort>();
  for (const p of ports) if (!byText.has(formatPort(p))) byText.set(formatPort(p), p);
  return [...byText.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

function byServiceThenSlot(a: ObservedContainer, b: ObservedContainer): number {
  return compareNames(a.service, b.service) || a.slot - b.slot || compareNames(a.name, b.name);
}

/** Replica rows of an observation, sorted by service then slot. */
export function replicaRows(containers: readonly ObservedContainer[]): ReplicaRow[] {
  return [...containers].sort(byServiceThenSlot).map((c) => {
    const running = c.state === "running" || c.state === "restarting" || c.state === "paused";
    const since = running ? c.startedAt : (c.finishedAt ?? c.createdAt);
    return {
      id: c.id,
      name: c.name,
      service: c.service,
      slot: c.slot,
      image: familiarImageName(c.image),
      state: c.state,
      ...(c.health !== undefined && { health: c.health }),
      ...(c.exitCode !== undefined && !running && { exitCode: c.exitCode }),
      ...(since !== undefined && since !== "" && !since.startsWith("0001-") && { since }),
      restartCount: c.restartCount,
      ports: uniquePorts(c.ports),
      ...(c.error !== undefined && c.error !== "" && { error: c.error }),
      ...(c.node !== undefined && { node: c.node }),
      ...(c.role !== undefined && { role: c.role }),
    };
  });
}

/**
 * Service rows of an observation. Without the stack file the desired count is the number of
 * replica slots the engine holds, which deploy keeps equal to `deploy.replicas`.
 */
export function serviceRows(containers: readonly ObservedContainer[]): ServiceRow[] {
  const groups = new Map<string, ObservedContainer[]>();
  for (const c of containers) {
    const list = groups.get(c.service) ?? [];
    list.push(c);
    groups.set(c.service, list);
  }
  return [...groups.keys()].sort().map((name) => {
    const list = (groups.get(name) ?? []).sort(byServiceThenSlot);
    const slots = new Set(list.map((c) => c.slot));
    return {
      name,
      mode: "replicated" as const,
      running: list.filter((c) => c.state === "running").length,
      desired: slots.size,
      image: familiarImageName(list[list.length - 1]?.image ?? ""),
      ports: uniquePorts(list.flatMap((c) => c.ports)),
    };
  });
}
