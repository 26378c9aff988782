/**
 * The live `stack ps` view model: a pure reducer from what the controller learns (an
 * observation, the event stream connecting or breaking, a stats sample) to state, and a
 * pure projection of that state at a given time to the rows the screen draws. No I/O and no
 * clock here, so every frame is reproducible in tests.
 */
import type { ObservedContainer } from "../core/replica.js";
import { formatPort, serviceRows } from "../core/views.js";
import { compareNames } from "../model/naming.js";

/** One resource sample of one replica (see `Driver.stats`). */
export interface ReplicaStats {
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly memoryLimitBytes?: number;
}

/** Whether the screen is following the engine's events right now. */
export type PsConnection =
  | { readonly status: "connecting" }
  | { readonly status: "live" }
  | {
      readonly status: "reconnecting";
      readonly error: string;
      /** 1 for the first retry after a break. */
      readonly attempt: number;
      /** Epoch ms of the next attempt, to show a countdown. */
      readonly retryAt: number;
    };

/** Everything the live view knows; change it only through {@link reducePs}. */
export interface PsState {
  readonly stack: string;
  /** The replicas of the latest observation. */
  readonly replicas?: readonly ObservedContainer[];
  /** Epoch ms of the observation shown. */
  readonly observedAt?: number;
  readonly connection: PsConnection;
  /** The last observation failure, cleared by the next success. */
  readonly observeError?: string;
  /** Samples by container id; only ids still observed are kept. */
  readonly stats: Readonly<Record<string, ReplicaStats>>;
  /** Replicas wanted per service when the stack file was given; else slots present count. */
  readonly desired?: Readonly<Record<string, number>>;
}

/** What the controller tells the reducer. */
export type PsAction =
  | {
      readonly type: "observed";
      readonly replicas: readonly ObservedContainer[];
      readonly at: number;
    }
  | { readonly type: "observe-failed"; readonly error: string }
  | { readonly type: "stream-connected" }
  | {
      readonly type: "stream-broken";
      readonly error: string;
      readonly attempt: number;
      readonly retryAt: number;
    }
  | { readonly type: "stats"; readonly id: string; readonly stats: ReplicaStats };

/** The state before anything is known about `stack`. */
export function initialPsState(stack: string, desired?: Readonly<Record<string, number>>): PsState {
  return {
    stack,
    connection: { status: "connecting" },
    stats: {},
    ...(desired !== undefined && { desired }),
  };
}

/** The next state after `action`; returns `state` itself when nothing changes. */
export function reducePs(state: PsState, action: PsAction): PsState {
  switch (action.type) {
    case "observed": {
      const ids = new Set(action.replicas.map((c) => c.id));
      const stats: Record<string, ReplicaStats> = {};
      for (const [id, sample] of Object.entries(state.stats)) if (ids.has(id)) stats[id] = sample;
      const { observeError: _dropped, ...rest } = state;
      return { ...rest, replicas: action.replicas, observedAt: action.at, stats };
    }
    case "observe-failed":
      return { ...state, observeError: action.error };
    case "stream-connected":
      return state.connection.status === "live"
        ? state
        : { ...state, connection: { status: "live" } };
    case "stream-broken":
      return {
        ...state,
        connection: {
          status: "reconnecting",
          error: action.error,
          attempt: action.attempt,
          retryAt: action.retryAt,
        },
      };
    case "stats": {
      const known = state.replicas?.some((c) => c.id === action.id) ?? false;
      if (!known) return state;
      return { ...state, stats: { ...state.stats, [action.id]: action.stats } };
    }
  }
}

/** The state words the screen shows; `tone` picks the colour. */
export type ReplicaStateWord =
  | "created"
  | "starting"
  | "running"
  | "healthy"
  | "unhealthy"
  | "restarting"
  | "paused"
  | "removing"
  | "exited"
  | "dead";

/** How a state reads at a glance: colour on terminals that allow it. */
export type Tone = "good" | "warn" | "bad" | "neutral";

/** One replica line of the live view. */
export interface ReplicaView {
  readonly id: string;
  /** Engine name, e.g. `getstartedlab_web.3`. */
  readonly name: string;
  readonly slot: number;
  readonly state: ReplicaStateWord;
  /** `exited (137)` for exited replicas, else the state word. */
  readonly stateText: string;
  readonly tone: Tone;
  /** Time in the current state (`45s`, `12m`), empty when unknown. */
  readonly uptime: string;
  readonly restarts: number;
  readonly error?: string;
  /** Swarm: hostname of the node the task runs on. */
  readonly node?: string;
  /** `12.5%`; only with stats. */
  readonly cpu?: string;
  /** `12.3MiB / 50.0MiB`; only with stats. */
  readonly memory?: string;
}

/** One service group of the live view. */
export interface ServiceView {
  readonly name: string;
  readonly running: number;
  readonly desired: number;
  readonly tone: Tone;
  readonly image: string;
  readonly ports: readonly string[];
  readonly replicas: readonly ReplicaView[];
}

/** What the screen draws; a function of state and time only. */
export interface PsView {
  readonly stack: string;
  /** One line on the connection (live, reconnecting in 3s, ...). */
  readonly status: string;
  readonly statusTone: Tone;
  /** The last observation failure, if the screen may be stale. */
  readonly problem?: string;
  /** False until the first observation arrives. */
  readonly loaded: boolean;
  readonly services: readonly ServiceView[];
}

/** The state word of one container: health refines `running`. */
export function replicaStateWord(c: ObservedContainer): ReplicaStateWord {
  if (c.state === "running") {
    if (c.health === "starting") return "starting";
    if (c.health === "healthy") return "healthy";
    if (c.health === "unhealthy") return "unhealthy";
    return "running";
  }
  return c.state;
}

function toneOf(word: ReplicaStateWord, exitCode: number | undefined): Tone {
  switch (word) {
    case "running":
    case "healthy":
      return "good";
    case "starting":
    case "created":
    case "restarting":
    case "paused":
    case "removing":
      return "warn";
    case "unhealthy":
    case "dead":
      return "bad";
    case "exited":
      return exitCode === 0 ? "neutral" : "bad";
  }
}

/** Compact age: `45s`, `12m`, `3h`, `2d`; empty for a missing or zero engine time. */
export function formatDuration(fromIso: string | undefined, now: number): string {
  if (fromIso === undefined || fromIso === "" || fromIso.startsWith("0001-")) return "";
  const ms = now - Date.parse(fromIso);
  if (!Number.isFinite(ms)) return "";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Binary units as `docker stats` prints them: `512KiB`, `12.3MiB`, `1.50GiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${units[unit]}`;
}

function byServiceThenSlot(a: ObservedContainer, b: ObservedContainer): number {
  return compareNames(a.service, b.service) || a.slot - b.slot || compareNames(a.name, b.name);
}

function replicaView(
  c: ObservedContainer,
  stats: ReplicaStats | undefined,
  now: number,
): ReplicaView {
  const word = replicaStateWord(c);
  const active = c.state === "running" || c.state === "paused" || c.state === "restarting";
  const since = active ? c.startedAt : (c.finishedAt ?? c.createdAt);
  const exitCode = word === "exited" ? c.exitCode : undefined;
  return {
    id: c.id,
    name: c.name,
    slot: c.slot,
    state: word,
    stateText: exitCode !== undefined ? `exited (${exitCode})` : word,
    tone: toneOf(word, exitCode),
    uptime: formatDuration(since, now),
    restarts: c.restartCount,
    ...(c.error !== undefined && c.error !== "" && { error: c.error }),
    ...(c.node !== undefined && { node: c.node }),
    ...(stats !== undefined && {
      cpu: `${stats.cpuPercent.toFixed(1)}%`,
      memory:
        stats.memoryLimitBytes !== undefined
          ? `${formatBytes(stats.memoryBytes)} / ${formatBytes(stats.memoryLimitBytes)}`
          : formatBytes(stats.memoryBytes),
    }),
  };
}

function connectionLine(connection: PsConnection, now: number): { text: string; tone: Tone } {
  switch (connection.status) {
    case "connecting":
      return { text: "connecting to the engine", tone: "warn" };
    case "live":
      return { text: "live", tone: "good" };
    case "reconnecting": {
      const seconds = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
      const when = seconds === 0 ? "reconnecting now" : `reconnecting in ${seconds}s`;
      return {
        text: `engine event stream lost (${connection.error}); ${when}, attempt ${connection.attempt}`,
        tone: "bad",
      };
    }
  }
}

/** Projects `state` at epoch ms `now` onto the rows the screen draws, services by name. */
export function psView(state: PsState, now: number): PsView {
  const { text, tone } = connectionLine(state.connection, now);
  const base = {
    stack: state.stack,
    status: text,
    statusTone: tone,
    ...(state.observeError !== undefined && { problem: state.observeError }),
  };
  const replicas = state.replicas;
  if (replicas === undefined) return { ...base, loaded: false, services: [] };
  const byService = new Map<string, ObservedContainer[]>();
  for (const c of [...replicas].sort(byServiceThenSlot)) {
    const list = byService.get(c.service) ?? [];
    list.push(c);
    byService.set(c.service, list);
  }
  const names = new Set([...byService.keys(), ...Object.keys(state.desired ?? {})]);
  const rows = new Map(serviceRows(replicas).map((r) => [r.name, r]));
  const services = [...names].sort().map((name): ServiceView => {
    const row = rows.get(name);
    const running = row?.running ?? 0;
    const desired = state.desired?.[name] ?? row?.desired ?? 0;
    return {
      name,
      running,
      desired,
      tone: running === desired ? "good" : running === 0 && desired > 0 ? "bad" : "warn",
      image: row?.image ?? "",
      ports: (row?.ports ?? []).map(formatPort),
      replicas: (byService.get(name) ?? []).map((c) => replicaView(c, state.stats[c.id], now)),
    };
  });
  return { ...base, loaded: true, services };
}
