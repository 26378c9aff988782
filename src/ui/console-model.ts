/**
 * The `stack ps` console: a pure reducer over the live view's state for everything the keys
 * do (cursor, filter, panes, confirmations, the status line). A key yields the next state
 * and the effects the controller runs (restart, stop, scale, follow logs, shell, inspect);
 * what those effects report comes back as {@link ConsoleEvent}s. No I/O and no clock here.
 */
import type { DriverName, ReplicaSummary } from "../core/driver.js";
import type { ObservedContainer } from "../core/replica.js";
import {
  psView,
  reducePs,
  type PsAction,
  type PsState,
  type ServiceView,
  type Tone,
} from "./ps-view-model.js";

/** One row the cursor can stand on: a service, or one of its replicas. */
export type ConsoleRow =
  | { readonly kind: "service"; readonly key: string; readonly service: string }
  | {
      readonly kind: "replica";
      readonly key: string;
      readonly service: string;
      readonly replica: ObservedContainer;
    };

/** Whose logs a logs pane follows. */
export type LogTarget =
  | {
      readonly kind: "replica";
      readonly service: string;
      readonly id: string;
      readonly name: string;
    }
  | { readonly kind: "service"; readonly service: string };

/** What fills the screen besides the list. */
export type ConsolePane =
  | { readonly kind: "list" }
  | {
      readonly kind: "logs";
      readonly target: LogTarget;
      /** Which follow this pane shows; lines of an older one are dropped. */
      readonly session: number;
      readonly lines: readonly string[];
      /** Lines scrolled back from the end; 0 while following. */
      readonly scroll: number;
      readonly follow: boolean;
      /** Set once the stream ended (the replica stopped, or the engine closed it). */
      readonly ended?: string;
    }
  | {
      readonly kind: "inspect";
      readonly replica: string;
      readonly summary?: ReplicaSummary;
      readonly error?: string;
      readonly scroll: number;
    }
  | { readonly kind: "help" };

/** The status line: what an action is doing or how it ended. */
export interface ConsoleStatus {
  readonly text: string;
  readonly tone: Tone;
}

/** An engine action the controller runs for a key. */
export type ConsoleEffect =
  | {
      readonly type: "control";
      readonly action: "restart" | "stop" | "start";
      readonly service: string;
      /** One replica (docker driver); unset: the whole service. */
      readonly replica?: { readonly id: string; readonly name: string };
      /** Said with the progress and the result: why a replica's key acts on its service. */
      readonly note?: string;
    }
  | { readonly type: "scale"; readonly service: string; readonly replicas: number }
  | { readonly type: "logs"; readonly session: number; readonly target: LogTarget }
  | { readonly type: "stop-logs" }
  | {
      readonly type: "shell";
      readonly service: string;
      readonly slot: number;
      readonly name: string;
    }
  | { readonly type: "inspect"; readonly replica: ObservedContainer }
  | { readonly type: "quit" };

/** Everything the console knows; change it only through {@link consoleKey} and {@link reduceConsole}. */
export interface ConsoleState {
  readonly ps: PsState;
  readonly driver: DriverName;
  /** False when no stack file was read: `+`/`-` then say why they cannot scale. */
  readonly scalable: boolean;
  /** Key of the row under the cursor ({@link ConsoleRow.key}). */
  readonly cursor?: string;
  /** Index of that row, kept to land near it when the row goes away. */
  readonly cursorIndex: number;
  /** First list row shown (the list is virtualised: only visible rows are drawn). */
  readonly top: number;
  /** Terminal rows. */
  readonly height: number;
  /** Applied filter (empty: every row). */
  readonly filter: string;
  /** The filter being typed after `/`; undefined when not typing. */
  readonly filterDraft?: string;
  readonly pane: ConsolePane;
  /** A destructive action waiting for `y`. */
  readonly confirm?: { readonly prompt: string; readonly effect: ConsoleEffect };
  readonly status?: ConsoleStatus;
  /** The action in progress, by what the status line calls it; one at a time. */
  readonly busy?: string;
  /** The last logs session handed out. */
  readonly session: number;
}

/** A key press, independent of Ink: a printable `input`, or a named key. */
export interface ConsoleKey {
  readonly input: string;
  readonly name?:
    "up" | "down" | "pageup" | "pagedown" | "home" | "end" | "enter" | "escape" | "backspace";
  readonly ctrl?: boolean;
}

/** What the controller reports back. */
export type ConsoleEvent =
  | { readonly type: "ps"; readonly action: PsAction }
  | { readonly type: "resize"; readonly height: number }
  | { readonly type: "action-progress"; readonly text: string }
  | {
      readonly type: "action-done";
      readonly ok: boolean;
      readonly text: string;
      /** A scale that succeeded: the service's wanted count is now this. */
      readonly scaled?: { readonly service: string; readonly replicas: number };
    }
  | { readonly type: "log-lines"; readonly session: number; readonly lines: readonly string[] }
  | { readonly type: "log-ended"; readonly session: number; readonly reason: string }
  | { readonly type: "inspected"; readonly replica: string; readonly summary: ReplicaSummary }
  | { readonly type: "inspect-failed"; readonly replica: string; readonly error: string };

/** The next state and the effects to run. */
export interface ConsoleStep {
  readonly state: ConsoleState;
  readonly effects: readonly ConsoleEffect[];
}

/** Lines a logs pane keeps; older ones scroll out. */
export const LOG_LINES_KEPT = 2000;
/** Screen lines that are not list rows: title, gap, header, status and help lines, and one spare (Ink redraws a frame as tall as the terminal by clearing it). */
export const CHROME_LINES = 6;

/** The console before anything is observed. */
export function initialConsoleState(
  ps: PsState,
  options: { readonly driver: DriverName; readonly scalable: boolean; readonly height: number },
): ConsoleState {
  return {
    ps,
    driver: options.driver,
    scalable: options.scalable,
    cursorIndex: 0,
    top: 0,
    height: options.height,
    filter: "",
    pane: { kind: "list" },
    session: 0,
  };
}

/** Rows of a pane: list rows shown at once (at least 3). */
export function listHeight(state: ConsoleState): number {
  const problem = state.ps.observeError !== undefined ? 1 : 0;
  return Math.max(3, state.height - CHROME_LINES - problem);
}

/** Lines a logs or inspect pane shows at once (status, help and a spare line aside). */
export function paneHeight(state: ConsoleState): number {
  return Math.max(3, state.height - CHROME_LINES + 2);
}

/** The label of a replica row: `web.3`. */
export function replicaLabel(r: { readonly service: string; readonly slot: number }): string {
  return `${r.service}.${r.slot}`;
}

function matches(text: string, filter: string): boolean {
  return filter === "" || text.toLowerCase().includes(filter.toLowerCase());
}

/**
 * The services of `view` that `filter` keeps: a service whose name matches keeps all its
 * replicas; otherwise only its replicas whose label (`web.3`) matches, under its row.
 */
export function filterServices(
  services: readonly ServiceView[],
  filter: string,
): readonly ServiceView[] {
  if (filter === "") return services;
  const out: ServiceView[] = [];
  for (const s of services) {
    if (matches(s.name, filter)) {
      out.push(s);
      continue;
    }
    const replicas = s.replicas.filter((r) => matches(`${s.name}.${r.slot}`, filter));
    if (replicas.length > 0) out.push({ ...s, replicas });
  }
  return out;
}

/** The rows the cursor moves over, in screen order, with the filter applied. */
export function consoleRows(ps: PsState, filter: string): readonly ConsoleRow[] {
  // Rows depend on names and membership only, never on the time: any `now` gives the same.
  const services = filterServices(psView(ps, 0).services, filter);
  const byId = new Map((ps.replicas ?? []).map((c) => [c.id, c]));
  const rows: ConsoleRow[] = [];
  for (const s of services) {
    rows.push({ kind: "service", key: `s:${s.name}`, service: s.name });
    for (const r of s.replicas) {
      const replica = byId.get(r.id);
      if (replica !== undefined)
        rows.push({ kind: "replica", key: `r:${r.id}`, service: s.name, replica });
    }
  }
  return rows;
}

/** The row under the cursor, if any. */
export function selectedRow(state: ConsoleState): ConsoleRow | undefined {
  const rows = consoleRows(state.ps, state.filter);
  return rows.find((r) => r.key === state.cursor) ?? rows[state.cursorIndex];
}

/** `state` with the cursor on row `index` of `rows` (clamped) and that row scrolled into view. */
function moveTo(state: ConsoleState, rows: readonly ConsoleRow[], index: number): ConsoleState {
  if (rows.length === 0) {
    const { cursor: _gone, ...rest } = state;
    return { ...rest, cursorIndex: 0, top: 0 };
  }
  const i = Math.min(Math.max(0, index), rows.length - 1);
  const visible = listHeight(state);
  let top = Math.min(state.top, Math.max(0, rows.length - visible));
  if (i < top) top = i;
  if (i >= top + visible) top = i - visible + 1;
  return { ...state, cursor: rows[i]!.key, cursorIndex: i, top: Math.max(0, top) };
}

/** Keeps the cursor on its row (or near where it was) after the rows changed. */
function keepCursor(state: ConsoleState): ConsoleState {
  const rows = consoleRows(state.ps, state.filter);
  const at = rows.findIndex((r) => r.key === state.cursor);
  return moveTo(state, rows, at >= 0 ? at : state.cursorIndex);
}

function say(state: ConsoleState, text: string, tone: Tone = "neutral"): ConsoleState {
  return { ...state, status: { text, tone } };
}

function none(state: ConsoleState): ConsoleStep {
  return { state, effects: [] };
}

/** What an effect is called on the status line while it runs. */
export function effectLabel(effect: ConsoleEffect): string {
  switch (effect.type) {
    case "control": {
      const what = effect.replica?.name ?? `service ${effect.service}`;
      const verb = { restart: "restarting", stop: "stopping", start: "starting" }[effect.action];
      return `${verb} ${what}`;
    }
    case "scale":
      return `scaling ${effect.service} to ${effect.replicas}`;
    case "shell":
      return `shell in ${effect.name}`;
    case "inspect":
      return `inspecting ${effect.replica.name}`;
    case "logs":
      return "following logs";
    case "stop-logs":
      return "closing logs";
    case "quit":
      return "quitting";
  }
}

/** Starts an engine action, one at a time: a second one waits for the first to end. */
function act(state: ConsoleState, effect: ConsoleEffect): ConsoleStep {
  if (state.busy !== undefined)
    return none(say(state, `still ${state.busy}: wait for it to finish`, "warn"));
  const label = effectLabel(effect);
  const note = effect.type === "control" ? effect.note : undefined;
  return {
    state: say({ ...state, busy: label }, `${label}…${note === undefined ? "" : ` (${note})`}`),
    effects: [effect],
  };
}

function ask(state: ConsoleState, prompt: string, effect: ConsoleEffect): ConsoleStep {
  if (state.busy !== undefined)
    return none(say(state, `still ${state.busy}: wait for it to finish`, "warn"));
  return none(say({ ...state, confirm: { prompt, effect } }, `${prompt} (y/n)`, "warn"));
}

const ACTIVE_STATES: readonly string[] = ["running", "restarting", "paused"];

function restartKey(state: ConsoleState, row: ConsoleRow): ConsoleStep {
  if (row.kind === "replica" && state.driver === "docker")
    return act(state, {
      type: "control",
      action: "restart",
      service: row.service,
      replica: { id: row.replica.id, name: row.replica.name },
    });
  return act(state, {
    type: "control",
    action: "restart",
    service: row.service,
    ...(row.kind === "replica" && { note: SWARM_SERVICE_NOTE }),
  });
}

/** Why a task's key acts on its whole service on a swarm. */
const SWARM_SERVICE_NOTE = "swarm acts on whole services, not single tasks";

function stopStartKey(state: ConsoleState, row: ConsoleRow): ConsoleStep {
  const onTask = state.driver === "swarm" && row.kind === "replica";
  const swarmNote = onTask ? " (swarm stops whole services: scaled to 0)" : "";
  const note = onTask ? { note: SWARM_SERVICE_NOTE } : {};
  if (row.kind === "replica" && state.driver === "docker") {
    const replica = { id: row.replica.id, name: row.replica.name };
    return ACTIVE_STATES.includes(row.replica.state)
      ? ask(state, `stop ${replica.name}?`, {
          type: "control",
          action: "stop",
          service: row.service,
          replica,
        })
      : act(state, { type: "control", action: "start", service: row.service, replica });
  }
  const replicas = (state.ps.replicas ?? []).filter(
    (c) => c.service === row.service && c.role === undefined,
  );
  const anyActive = replicas.some((c) => ACTIVE_STATES.includes(c.state));
  return anyActive
    ? ask(state, `stop service ${row.service}${swarmNote}?`, {
        type: "control",
        action: "stop",
        service: row.service,
        ...note,
      })
    : act(state, { type: "control", action: "start", service: row.service, ...note });
}

function scaleKey(state: ConsoleState, row: ConsoleRow, delta: 1 | -1): ConsoleStep {
  if (!state.scalable)
    return none(
      say(
        state,
        "scaling needs the stack file: run stack ps with -f FILE (or -p NAME beside it)",
        "bad",
      ),
    );
  // From the replicas on the engine (their slots), not the file's count: an earlier scale
  // changed that count without changing the file.
  const slots = new Set(
    (state.ps.replicas ?? [])
      .filter((c) => c.service === row.service && c.role === undefined)
      .map((c) => c.slot),
  );
  const replicas = slots.size + delta;
  if (replicas < 0) return none(say(state, `${row.service} has no replica to remove`, "warn"));
  const effect: ConsoleEffect = { type: "scale", service: row.service, replicas };
  return delta < 0
    ? ask(state, `scale ${row.service} down to ${replicas}?`, effect)
    : act(state, effect);
}

function openLogs(state: ConsoleState, target: LogTarget): ConsoleStep {
  const session = state.session + 1;
  return {
    state: {
      ...state,
      session,
      pane: { kind: "logs", target, session, lines: [], scroll: 0, follow: true },
    },
    effects: [{ type: "logs", session, target }],
  };
}

function listKey(state: ConsoleState, key: ConsoleKey): ConsoleStep {
  const rows = consoleRows(state.ps, state.filter);
  const at = Math.max(
    0,
    rows.findIndex((r) => r.key === state.cursor),
  );
  const page = listHeight(state);
  if (key.name === "up" || key.input === "k") return none(moveTo(state, rows, at - 1));
  if (key.name === "down" || key.input === "j") return none(moveTo(state, rows, at + 1));
  if (key.name === "pageup") return none(moveTo(state, rows, at - page));
  if (key.name === "pagedown") return none(moveTo(state, rows, at + page));
  if (key.name === "home" || key.input === "g") return none(moveTo(state, rows, 0));
  if (key.name === "end" || key.input === "G") return none(moveTo(state, rows, rows.length - 1));
  if (key.input === "/") return none({ ...state, filterDraft: state.filter });
  if (key.input === "?") return none({ ...state, pane: { kind: "help" } });
  if (key.input === "q") return { state, effects: [{ type: "quit" }] };
  if (key.name === "escape") {
    if (state.filter === "") return none(state);
    return none(say(keepCursor({ ...state, filter: "" }), "filter cleared"));
  }
  const row = rows[at];
  const actionKeys = ["r", "s", "x", "+", "-", "d", "l"];
  if (row === undefined) {
    if (key.name === "enter" || actionKeys.includes(key.input))
      return none(say(state, "no row selected", "warn"));
    return none(state);
  }
  if (key.name === "enter") {
    if (row.kind === "service") return openLogs(state, { kind: "service", service: row.service });
    return openLogs(state, {
      kind: "replica",
      service: row.service,
      id: row.replica.id,
      name: row.replica.name,
    });
  }
  switch (key.input) {
    case "l":
      return openLogs(state, { kind: "service", service: row.service });
    case "r":
      return restartKey(state, row);
    case "s":
      return stopStartKey(state, row);
    case "+":
    case "=":
      return scaleKey(state, row, 1);
    case "-":
      return scaleKey(state, row, -1);
    case "x": {
      if (row.kind !== "replica")
        return none(say(state, "select a replica to open a shell in", "warn"));
      if (row.replica.state !== "running")
        return none(
          say(
            state,
            `${row.replica.name} is ${row.replica.state}: a shell needs it running`,
            "bad",
          ),
        );
      return act(state, {
        type: "shell",
        service: row.service,
        slot: row.replica.slot,
        name: row.replica.name,
      });
    }
    case "d": {
      if (row.kind !== "replica") return none(say(state, "select a replica to inspect", "warn"));
      return {
        state: { ...state, pane: { kind: "inspect", replica: row.replica.name, scroll: 0 } },
        effects: [{ type: "inspect", replica: row.replica }],
      };
    }
  }
  return none(state);
}

function filterKey(state: ConsoleState, key: ConsoleKey): ConsoleStep {
  const draft = state.filterDraft ?? "";
  const { filterDraft: _typed, ...rest } = state;
  if (key.name === "escape") return none(rest);
  if (key.name === "enter") {
    const rows = consoleRows(state.ps, draft);
    // The first row whose own name matches: a service row before its replicas.
    const first = rows.findIndex((r) =>
      matches(r.kind === "service" ? r.service : replicaLabel(r.replica), draft),
    );
    const next = moveTo({ ...rest, filter: draft, top: 0 }, rows, Math.max(0, first));
    if (draft === "") return none(say(next, "filter cleared"));
    return none(
      rows.length === 0
        ? say(next, `no row matches "${draft}" (Esc clears the filter)`, "warn")
        : say(next, `filter "${draft}": ${rows.length} rows (Esc clears it)`),
    );
  }
  if (key.name === "backspace") return none({ ...state, filterDraft: draft.slice(0, -1) });
  if (key.name === undefined && key.input !== "" && key.ctrl !== true)
    return none({ ...state, filterDraft: draft + key.input });
  return none(state);
}

function scrollPane<P extends { readonly scroll: number }>(pane: P, by: number, max: number): P {
  return { ...pane, scroll: Math.min(Math.max(0, pane.scroll + by), Math.max(0, max)) };
}

function logsKey(
  state: ConsoleState,
  pane: Extract<ConsolePane, { kind: "logs" }>,
  key: ConsoleKey,
): ConsoleStep {
  const page = paneHeight(state) - 1;
  const max = pane.lines.length - page;
  const scrolled = (by: number): ConsoleStep => {
    const next = scrollPane(pane, by, max);
    return none({ ...state, pane: { ...next, follow: next.scroll === 0 } });
  };
  if (key.name === "escape" || key.input === "q")
    return { state: { ...state, pane: { kind: "list" } }, effects: [{ type: "stop-logs" }] };
  if (key.name === "up" || key.input === "k") return scrolled(1);
  if (key.name === "down" || key.input === "j") return scrolled(-1);
  if (key.name === "pageup") return scrolled(page);
  if (key.name === "pagedown") return scrolled(-page);
  if (key.name === "home" || key.input === "g") return scrolled(pane.lines.length);
  if (key.input === "f" || key.name === "end" || key.input === "G")
    return none({ ...state, pane: { ...pane, scroll: 0, follow: true } });
  return none(state);
}

/** The next state and effects for a key press. */
export function consoleKey(state: ConsoleState, key: ConsoleKey): ConsoleStep {
  if (key.ctrl === true && key.input === "c") return { state, effects: [{ type: "quit" }] };
  if (state.confirm !== undefined) {
    const { confirm, ...rest } = state;
    if (key.input === "y" || key.input === "Y") return act(rest, confirm.effect);
    return none(say(rest, "cancelled"));
  }
  if (state.filterDraft !== undefined) return filterKey(state, key);
  const pane = state.pane;
  switch (pane.kind) {
    case "list":
      return listKey(state, key);
    case "logs":
      return logsKey(state, pane, key);
    case "inspect":
      if (key.name === "escape" || key.input === "q" || key.input === "d")
        return none({ ...state, pane: { kind: "list" } });
      if (key.name === "up" || key.input === "k")
        return none({ ...state, pane: scrollPane(pane, -1, 1000) });
      if (key.name === "down" || key.input === "j")
        return none({ ...state, pane: scrollPane(pane, 1, 1000) });
      return none(state);
    case "help":
      if (key.name === "escape" || key.input === "q" || key.input === "?")
        return none({ ...state, pane: { kind: "list" } });
      return none(state);
  }
}

/** The next state after what the controller reports. */
export function reduceConsole(state: ConsoleState, event: ConsoleEvent): ConsoleState {
  switch (event.type) {
    case "ps": {
      const ps = reducePs(state.ps, event.action);
      if (ps === state.ps) return state;
      return event.action.type === "observed" ? keepCursor({ ...state, ps }) : { ...state, ps };
    }
    case "resize":
      return keepCursor({ ...state, height: event.height });
    case "action-progress":
      return say(state, event.text);
    case "action-done": {
      const { busy: _done, ...rest } = state;
      const next = say(rest, event.text, event.ok ? "good" : "bad");
      if (event.scaled === undefined || next.ps.desired === undefined) return next;
      const desired = { ...next.ps.desired, [event.scaled.service]: event.scaled.replicas };
      return { ...next, ps: { ...next.ps, desired } };
    }
    case "log-lines": {
      const pane = state.pane;
      if (pane.kind !== "logs" || pane.session !== event.session) return state;
      const all = [...pane.lines, ...event.lines];
      const lines = all.length > LOG_LINES_KEPT ? all.slice(all.length - LOG_LINES_KEPT) : all;
      // Scrolled back: stay on the same lines while new ones arrive below.
      const scroll = pane.follow ? 0 : Math.min(pane.scroll + event.lines.length, lines.length);
      return { ...state, pane: { ...pane, lines, scroll } };
    }
    case "log-ended": {
      const pane = state.pane;
      if (pane.kind !== "logs" || pane.session !== event.session) return state;
      return { ...state, pane: { ...pane, ended: event.reason } };
    }
    case "inspected": {
      const pane = state.pane;
      if (pane.kind !== "inspect" || pane.replica !== event.replica) return state;
      return { ...state, pane: { ...pane, summary: event.summary } };
    }
    case "inspect-failed": {
      const pane = state.pane;
      if (pane.kind !== "inspect" || pane.replica !== event.replica) return state;
      return { ...state, pane: { ...pane, error: event.error } };
    }
  }
}

/** The keys, for the help line and `?`. */
export const CONSOLE_KEYS: readonly (readonly [string, string])[] = [
  ["↑↓ j k", "move (PgUp PgDn g G)"],
  ["/", "filter rows by name (Enter applies, Esc clears)"],
  ["Enter", "follow the selected replica's logs (a service: all of its replicas)"],
  ["l", "follow the service's logs, every replica prefixed"],
  ["r", "restart (swarm: the whole service, a rolling update)"],
  ["s", "stop (asks y/n) or start"],
  ["x", "open a shell in the replica (exit returns here)"],
  ["+ -", "scale the service by one (- asks y/n; the next deploy restores the file's count)"],
  ["d", "inspect summary: image, command, env names, mounts, ports, limits, health"],
  ["f", "logs pane: follow again after scrolling back"],
  ["Esc", "back to the list, or clear the filter"],
  ["?", "this help"],
  ["q", "quit"],
];
