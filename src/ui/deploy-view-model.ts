/**
 * The deploy progress view model: a pure reducer from `ProgressEvent`s to state, and a pure
 * projection to what the deploy screen draws (operations waiting / working / done / failed,
 * image pulls with their bytes, image builds with their current step, readiness waits, the
 * final summary). No clock: durations
 * come from the events, and "now" is passed in.
 */
import type { LayerProgress } from "../core/driver.js";
import type { ProgressEvent } from "../progress/events.js";
import type { Operation } from "../core/operation.js";

/** Where one operation stands. */
export type OpStatus = "waiting" | "working" | "done" | "failed" | "skipped";

/** One operation as the deploy screen tracks it. */
export interface OpEntry {
  readonly id: string;
  readonly text: string;
  readonly status: OpStatus;
  readonly service?: string;
  /** Epoch ms set by the controller when it started; for the live elapsed time. */
  readonly startedAt?: number;
  readonly ms?: number;
  /** Failure or skip reason. */
  readonly reason?: string;
  readonly logs?: readonly string[];
}

/** One image pull (or push) in flight or finished. */
export interface PullEntry {
  readonly image: string;
  /** A push shows as `push`, everything else as `pull`. */
  readonly direction?: "pull" | "push";
  readonly status: string;
  readonly currentBytes?: number;
  readonly totalBytes?: number;
  /** Each layer's last report, in the order the engine first named them. */
  readonly layers?: readonly LayerProgress[];
  /** Set when the pull operation for the image finished. */
  readonly done?: boolean;
}

/** One image build in flight or finished. */
export interface BuildEntry {
  readonly image: string;
  /** The builder's last step line, e.g. `Step 3/13 : RUN pip install -r requirements.txt`. */
  readonly step?: string;
  /** The last line a step printed (builder bookkeeping left out). */
  readonly output?: string;
  /** Set when the build operation for the image finished. */
  readonly done?: boolean;
}

/** A message not tied to one operation. */
export interface DeployNote {
  readonly kind: "info" | "warning" | "error";
  readonly text: string;
  readonly logs?: readonly string[];
}

/** The deploy run so far; change it only through {@link reduceDeploy}. */
export interface DeployState {
  readonly stack?: string;
  /** Operation ids in the order they were first planned. */
  readonly order: readonly string[];
  readonly ops: Readonly<Record<string, OpEntry>>;
  readonly pulls: readonly PullEntry[];
  readonly builds: readonly BuildEntry[];
  /** Active readiness waits: target (service or stack) -> what is waited for. */
  readonly waits: Readonly<Record<string, string>>;
  /** info, warning and error lines (errors with the failing replica's last logs), in order. */
  readonly notes: readonly DeployNote[];
  readonly upToDate: boolean;
  /** Operations as they finished, append-only (Ink's `<Static>` prints each once). */
  readonly finished: readonly OpEntry[];
  readonly summary?: Extract<ProgressEvent, { type: "summary" }>;
}

/** The state before the first event. */
export const initialDeployState: DeployState = {
  order: [],
  ops: {},
  pulls: [],
  builds: [],
  waits: {},
  notes: [],
  upToDate: false,
  finished: [],
};

function setOp(state: DeployState, op: Operation, change: Partial<OpEntry>): DeployState {
  const previous = state.ops[op.id];
  const base: OpEntry = previous ?? {
    id: op.id,
    text: op.text,
    status: "waiting",
    ...(op.service !== undefined && { service: op.service }),
  };
  const order = previous === undefined ? [...state.order, op.id] : state.order;
  return { ...state, order, ops: { ...state.ops, [op.id]: { ...base, ...change } } };
}

/** Records `op` as finished: appends it to the log, ends its wait, marks its pull done. */
function finish(state: DeployState, op: Operation): DeployState {
  const entry = state.ops[op.id];
  let next: DeployState =
    entry === undefined ? state : { ...state, finished: [...state.finished, entry] };
  const service = op.service;
  if (op.kind === "wait-ready" && service !== undefined && next.waits[service] !== undefined) {
    const { [service]: _ended, ...waits } = next.waits;
    next = { ...next, waits };
  }
  // A pull operation names its image; its progress bar is done once the operation is.
  const image = "image" in op && typeof op.image === "string" ? op.image : undefined;
  if (op.kind === "pull-image" && image !== undefined) {
    next = {
      ...next,
      pulls: next.pulls.map((p) => (p.image === image ? { ...p, done: true } : p)),
    };
  }
  if (op.kind === "build-image" && image !== undefined) {
    next = {
      ...next,
      builds: next.builds.map((b) => (b.image === image ? { ...b, done: true } : b)),
    };
  }
  return next;
}

/** A classic builder step line: `Step 3/13 : RUN ...`. */
/** Layer statuses that move bytes: these layers get a bar of their own. */
const MOVING = new Set(["Downloading", "Extracting", "Pushing"]);

const STEP_LINE = /^Step \d+\/\d+ : /;

/**
 * Lines the classic builder prints about itself between steps (`---> Running in 1a2b`,
 * `---> 3c4d`, `Removing intermediate container`, `Successfully built/tagged`): not what a
 * step printed, so they never replace the output shown under it.
 */
const BOOKKEEPING = /^(?:--->|Removing intermediate container |Successfully (?:built|tagged) )/;

/** `entry` after one more build output line. */
function buildLine(entry: BuildEntry, line: string): BuildEntry {
  const text = line.trim();
  if (STEP_LINE.test(text)) {
    const { output: _dropped, ...rest } = entry;
    return { ...rest, step: text };
  }
  if (text === "" || BOOKKEEPING.test(text)) return entry;
  return { ...entry, output: text };
}

/**
 * The next state after `event`; `now` (epoch ms) stamps operation starts. A later plan
 * (the converge loop re-plans after each round) adds its operations and resets ones planned
 * again to waiting, keeping finished history of earlier rounds in order.
 */
export function reduceDeploy(state: DeployState, event: ProgressEvent, now: number): DeployState {
  switch (event.type) {
    case "info":
    case "warning":
      return { ...state, notes: [...state.notes, { kind: event.type, text: event.message }] };
    case "error":
      return {
        ...state,
        notes: [
          ...state.notes,
          {
            kind: "error",
            text: event.message,
            ...(event.logs !== undefined && { logs: event.logs }),
          },
        ],
      };
    case "plan": {
      let next: DeployState = { ...state, stack: event.plan.stack };
      if (event.plan.operations.length === 0 && state.order.length === 0) {
        return { ...next, upToDate: true };
      }
      for (const op of event.plan.operations) {
        const known = next.ops[op.id] !== undefined;
        const entry: OpEntry = {
          id: op.id,
          text: op.text,
          status: "waiting",
          ...(op.service !== undefined && { service: op.service }),
        };
        next = {
          ...next,
          order: known ? next.order : [...next.order, op.id],
          ops: { ...next.ops, [op.id]: entry },
        };
      }
      for (const warning of event.plan.warnings) {
        next = { ...next, notes: [...next.notes, { kind: "warning", text: warning }] };
      }
      return next;
    }
    case "op-start":
      return setOp(state, event.op, { status: "working", startedAt: now });
    case "op-done":
      return finish(setOp(state, event.op, { status: "done", ms: event.ms }), event.op);
    case "op-failed":
      return finish(
        setOp(state, event.op, {
          status: "failed",
          reason: event.error,
          ...(event.logs !== undefined && { logs: event.logs }),
        }),
        event.op,
      );
    case "op-skipped":
      return finish(setOp(state, event.op, { status: "skipped", reason: event.reason }), event.op);
    case "pull-progress":
    case "push-progress": {
      const direction = event.type === "push-progress" ? "push" : "pull";
      const index = state.pulls.findIndex(
        (p) => p.image === event.image && (p.direction ?? "pull") === direction,
      );
      const before = state.pulls[index]?.layers ?? [];
      const layer = event.layer;
      const layers =
        layer === undefined
          ? before
          : before.some((l) => l.id === layer.id)
            ? before.map((l) => (l.id === layer.id ? layer : l))
            : [...before, layer];
      const entry: PullEntry = {
        image: event.image,
        direction,
        // The engine's closing line (`Status: Downloaded newer image ...`, a push's
        // `TAG: digest: sha256:...`) ends it for verbs that run no operation.
        done: /^Status: |: digest: sha256:/.test(event.status),
        status: event.status,
        layers,
        ...(event.currentBytes !== undefined && { currentBytes: event.currentBytes }),
        ...(event.totalBytes !== undefined && { totalBytes: event.totalBytes }),
      };
      const pulls =
        index < 0 ? [...state.pulls, entry] : state.pulls.map((p, i) => (i === index ? entry : p));
      return { ...state, pulls };
    }
    case "build-progress": {
      const index = state.builds.findIndex((b) => b.image === event.image);
      const builds =
        index < 0
          ? [...state.builds, buildLine({ image: event.image, done: false }, event.line)]
          : state.builds.map((b, i) => (i === index ? buildLine(b, event.line) : b));
      return { ...state, builds };
    }
    case "hook-output":
      // A hook prints little and what it prints is worth keeping on screen: a note.
      return {
        ...state,
        notes: [...state.notes, { kind: "info", text: `${event.container} -> ${event.line}` }],
      };
    case "waiting":
      return { ...state, waits: { ...state.waits, [event.target]: event.what } };
    case "summary":
      return { ...state, waits: {}, summary: event };
    case "result":
      return state;
  }
}

/** One operation line of the deploy screen. */
export interface OpLine {
  readonly id: string;
  readonly status: OpStatus;
  readonly text: string;
  /** `0.4s`: the duration when finished, the elapsed time while working. */
  readonly time: string;
  readonly reason?: string;
  readonly logs: readonly string[];
}

/** One pull (or push) line: image, status and, when the size is known, a fraction for the bar. */
export interface PullLine {
  readonly image: string;
  readonly direction: "pull" | "push";
  readonly status: string;
  /** 0..1 when the total size is known. */
  readonly fraction?: number;
  /** `12.3MiB / 50.0MiB` when the total size is known. */
  readonly bytes?: string;
  readonly done: boolean;
  /** The layers moving bytes now (downloading, extracting, pushing), each with its own bar. */
  readonly layers: readonly LayerLine[];
}

/** One layer line under its image: short id, status and, when known, a fraction. */
export interface LayerLine {
  readonly id: string;
  readonly status: string;
  readonly fraction?: number;
  readonly bytes?: string;
}

/** One build line: the image, its current step and the last line that step printed. */
export interface BuildLine {
  readonly image: string;
  /** `Step 3/13 : RUN ...`; empty until the builder printed its first step. */
  readonly step: string;
  readonly output?: string;
  readonly done: boolean;
}

/** What the deploy screen draws; a function of state and time only. */
export interface DeployView {
  readonly stack?: string;
  /** Finished operations (done, failed, skipped) in the order they finished. */
  readonly finished: readonly OpLine[];
  /** Operations in progress, in plan order. */
  readonly working: readonly OpLine[];
  /** How many planned operations have not started yet. */
  readonly waitingCount: number;
  readonly pulls: readonly PullLine[];
  readonly builds: readonly BuildLine[];
  readonly waits: readonly { readonly target: string; readonly what: string }[];
  readonly notes: DeployState["notes"];
  readonly upToDate: boolean;
  /** The final line, once the summary arrived. */
  readonly summary?: { readonly ok: boolean; readonly text: string };
}

/** `0.4s`, `12.0s`, `2m05s`. */
export function formatSeconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)}MiB`;
}

/** Projects `state` at epoch ms `now` onto the lines the deploy screen draws. */
export function deployView(state: DeployState, now: number): DeployView {
  const toLine = (op: OpEntry): OpLine => {
    const time =
      op.ms !== undefined
        ? formatSeconds(op.ms)
        : op.status === "working" && op.startedAt !== undefined
          ? formatSeconds(Math.max(0, now - op.startedAt))
          : "";
    return {
      id: op.id,
      status: op.status,
      text: op.text,
      time,
      ...(op.reason !== undefined && { reason: op.reason }),
      logs: op.logs ?? [],
    };
  };
  const lines = state.order.map((id) => toLine(state.ops[id]!));
  const finished = state.finished.map(toLine);
  const summary = state.summary;
  return {
    ...(state.stack !== undefined && { stack: state.stack }),
    finished,
    working: lines.filter((l) => l.status === "working"),
    waitingCount: lines.filter((l) => l.status === "waiting").length,
    pulls: state.pulls.map((p): PullLine => {
      const known = p.totalBytes !== undefined && p.totalBytes > 0 && p.currentBytes !== undefined;
      return {
        image: p.image,
        direction: p.direction ?? "pull",
        status: p.status,
        done: p.done === true,
        layers: (p.layers ?? [])
          .filter((l) => MOVING.has(l.status))
          .map((l): LayerLine => {
            const sized =
              l.totalBytes !== undefined && l.totalBytes > 0 && l.currentBytes !== undefined;
            return {
              id: l.id,
              status: l.status,
              ...(sized && {
                fraction: Math.min(1, l.currentBytes! / l.totalBytes!),
                bytes: `${mib(l.currentBytes!)} / ${mib(l.totalBytes!)}`,
              }),
            };
          }),
        ...(known && {
          fraction: Math.min(1, p.currentBytes! / p.totalBytes!),
          bytes: `${mib(p.currentBytes!)} / ${mib(p.totalBytes!)}`,
        }),
      };
    }),
    builds: state.builds.map((b): BuildLine => ({
      image: b.image,
      step: b.step ?? "",
      ...(b.output !== undefined && { output: b.output }),
      done: b.done === true,
    })),
    waits: Object.keys(state.waits)
      .sort()
      .map((target) => ({ target, what: state.waits[target]! })),
    notes: state.notes,
    upToDate: state.upToDate,
    ...(summary !== undefined && {
      summary: {
        ok: summary.ok,
        text: summary.ok
          ? `done: ${summary.done} operation${summary.done === 1 ? "" : "s"} in ${formatSeconds(summary.ms)}`
          : `failed: ${summary.failed} failed, ${summary.skipped} skipped, ${summary.done} done in ${formatSeconds(summary.ms)}`,
      },
    }),
  };
}
