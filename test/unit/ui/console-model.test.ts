import { describe, expect, it } from "vitest";
import type { DriverName } from "../../../src/core/driver.js";
import type { ObservedContainer } from "../../../src/core/replica.js";
import {
  consoleKey,
  consoleRows,
  initialConsoleState,
  LOG_LINES_KEPT,
  reduceConsole,
  selectedRow,
  type ConsoleEffect,
  type ConsoleKey,
  type ConsoleState,
} from "../../../src/ui/console-model.js";
import { initialPsState } from "../../../src/ui/ps-view-model.js";
import { NOW, replica } from "./fixtures.js";

/** gsl: web.1-3 (web.3 exited), redis.1; the cursor on the first row. */
function gsl(
  options: {
    driver?: DriverName;
    scalable?: boolean;
    height?: number;
    replicas?: ObservedContainer[];
  } = {},
): ConsoleState {
  const replicas = options.replicas ?? [
    replica("web", 1),
    replica("web", 2),
    replica("web", 3, { state: "exited", exitCode: 137 }),
    replica("redis", 1),
  ];
  return reduceConsole(
    initialConsoleState(initialPsState("gsl", { web: 3, redis: 1 }), {
      driver: options.driver ?? "docker",
      scalable: options.scalable ?? true,
      height: options.height ?? 30,
    }),
    { type: "ps", action: { type: "observed", replicas, at: NOW } },
  );
}

const k = (input: string): ConsoleKey => ({ input });
const named = (name: NonNullable<ConsoleKey["name"]>): ConsoleKey => ({ input: "", name });

/** Presses keys in order; returns the last state and every effect asked for. */
function press(state: ConsoleState, ...keys: (ConsoleKey | string)[]) {
  const effects: ConsoleEffect[] = [];
  for (const key of keys) {
    const step = consoleKey(state, typeof key === "string" ? k(key) : key);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const cursorOn = (s: ConsoleState) => {
  const row = selectedRow(s);
  return row?.kind === "replica" ? row.replica.name : row?.service;
};

describe("the console's rows and cursor", () => {
  it("lists each service (by name) before its replicas, the cursor on the first row", () => {
    const s = gsl();
    expect(consoleRows(s.ps, "").map((r) => r.key)).toEqual([
      "s:redis",
      "r:redis-1-id",
      "s:web",
      "r:web-1-id",
      "r:web-2-id",
      "r:web-3-id",
    ]);
    expect(cursorOn(s)).toBe("redis");
  });

  it("moves with arrows and j/k, stopping at both ends; g/G and Home/End jump", () => {
    const s = gsl();
    expect(cursorOn(press(s, named("down"), "j").state)).toBe("web");
    expect(cursorOn(press(s, "k", named("up")).state)).toBe("redis");
    expect(cursorOn(press(s, "G").state)).toBe("gsl_web.3");
    expect(cursorOn(press(s, named("end"), "j", "j").state)).toBe("gsl_web.3");
    expect(cursorOn(press(s, "G", "g").state)).toBe("redis");
    expect(cursorOn(press(s, "G", named("home")).state)).toBe("redis");
  });

  it("pages by the rows that fit and keeps the cursor row in view (virtualised list)", () => {
    const many = Array.from({ length: 100 }, (_, i) => replica("web", i + 1));
    // Rows: redis (wanted by the file, no replica), web, web.1-100; 10 list rows fit.
    const s = gsl({ replicas: many, height: 16 });
    const down = press(s, named("pagedown")).state;
    expect(down.cursorIndex).toBe(10);
    expect(down.top).toBe(1);
    const end = press(s, "G").state;
    expect(end.cursorIndex).toBe(101);
    expect(end.top).toBe(92);
    const back = press(end, named("pageup"), named("pageup")).state;
    expect(back.cursorIndex).toBe(81);
    expect(back.top).toBe(81);
  });

  it("stays on its replica when a new observation reorders the rows", () => {
    const s = press(gsl(), "j", "j", "j").state; // web.1
    const next = reduceConsole(s, {
      type: "ps",
      action: {
        type: "observed",
        at: NOW,
        replicas: [replica("aaa", 1), replica("web", 1), replica("redis", 1)],
      },
    });
    expect(cursorOn(next)).toBe("gsl_web.1");
  });

  it("lands on the row that took the place of a replica that went away", () => {
    const s = press(gsl(), "G").state; // web.3
    const next = reduceConsole(s, {
      type: "ps",
      action: {
        type: "observed",
        at: NOW,
        replicas: [replica("web", 1), replica("web", 2), replica("redis", 1)],
      },
    });
    expect(cursorOn(next)).toBe("gsl_web.2");
  });

  it("keeps the cursor row in view when the terminal shrinks", () => {
    const many = Array.from({ length: 50 }, (_, i) => replica("web", i + 1));
    const s = press(gsl({ replicas: many, height: 60 }), "G").state;
    const small = reduceConsole(s, { type: "resize", height: 16 });
    expect(small.cursorIndex).toBe(51);
    expect(small.top).toBe(42);
  });
});

describe("the filter (/)", () => {
  it("types a filter, applies it on Enter, and puts the cursor on the first match", () => {
    const typing = press(gsl(), "/", "w", "e", "b", ".", "3").state;
    expect(typing.filterDraft).toBe("web.3");
    const { state } = press(typing, named("enter"));
    expect(state.filter).toBe("web.3");
    expect(state.filterDraft).toBeUndefined();
    expect(consoleRows(state.ps, state.filter).map((r) => r.key)).toEqual(["s:web", "r:web-3-id"]);
    expect(cursorOn(state)).toBe("gsl_web.3");
    expect(state.status?.text).toBe('filter "web.3": 2 rows (Esc clears it)');
  });

  it("puts the cursor on a matching service row before its replicas", () => {
    const { state } = press(gsl(), "/", "w", "e", named("enter"));
    expect(cursorOn(state)).toBe("web");
    expect(consoleRows(state.ps, state.filter)).toHaveLength(4);
  });

  it("edits with Backspace, cancels with Esc, and clears an applied filter with Esc", () => {
    expect(press(gsl(), "/", "x", named("backspace"), "r").state.filterDraft).toBe("r");
    const cancelled = press(gsl(), "/", "r", named("escape")).state;
    expect(cancelled.filterDraft).toBeUndefined();
    expect(cancelled.filter).toBe("");
    const applied = press(gsl(), "/", "r", "e", "d", named("enter")).state;
    expect(applied.filter).toBe("red");
    const cleared = press(applied, named("escape")).state;
    expect(cleared.filter).toBe("");
    expect(cleared.status?.text).toBe("filter cleared");
  });

  it("says when no row matches, and action keys then have nothing to act on", () => {
    const { state, effects } = press(gsl(), "/", "z", "z", named("enter"), "r");
    expect(consoleRows(state.ps, state.filter)).toEqual([]);
    expect(effects).toEqual([]);
    expect(state.status?.text).toBe("no row selected");
  });

  it("takes action keys as text while typing", () => {
    const { state, effects } = press(gsl(), "/", "r", "s", "x", "q");
    expect(state.filterDraft).toBe("rsxq");
    expect(effects).toEqual([]);
  });
});

describe("actions on the selected row", () => {
  const onWeb1 = () => press(gsl(), "j", "j", "j").state;

  it("r restarts the replica (docker), shows progress, and the result on the status line", () => {
    const { state, effects } = press(onWeb1(), "r");
    expect(effects).toEqual([
      {
        type: "control",
        action: "restart",
        service: "web",
        replica: { id: "web-1-id", name: "gsl_web.1" },
      },
    ]);
    expect(state.status?.text).toBe("restarting gsl_web.1…");
    expect(state.busy).toBe("restarting gsl_web.1");
    const done = reduceConsole(state, {
      type: "action-done",
      ok: true,
      text: "gsl_web.1 restarted",
    });
    expect(done.status).toEqual({ text: "gsl_web.1 restarted", tone: "good" });
    expect(done.busy).toBeUndefined();
  });

  it("r on a service row restarts the whole service", () => {
    const { effects } = press(gsl(), "j", "j", "r");
    expect(effects).toEqual([{ type: "control", action: "restart", service: "web" }]);
  });

  it("r on a swarm task restarts its service and says why", () => {
    const { state, effects } = press(press(gsl({ driver: "swarm" }), "j", "j", "j").state, "r");
    const note = "swarm acts on whole services, not single tasks";
    expect(effects).toEqual([{ type: "control", action: "restart", service: "web", note }]);
    expect(state.status?.text).toBe(`restarting service web… (${note})`);
  });

  it("one action at a time: a second key while one runs says so and asks for nothing", () => {
    const { state, effects } = press(onWeb1(), "r", "r");
    expect(effects).toHaveLength(1);
    expect(state.status).toEqual({
      text: "still restarting gsl_web.1: wait for it to finish",
      tone: "warn",
    });
  });

  it("a failure is said on the status line, and the console stays", () => {
    const { state } = press(onWeb1(), "r");
    const failed = reduceConsole(state, {
      type: "action-done",
      ok: false,
      text: "restart of gsl_web.1 failed: engine unavailable",
    });
    expect(failed.status?.tone).toBe("bad");
    expect(failed.pane).toEqual({ kind: "list" });
  });

  it("s on a running replica asks first; y stops it, n (or any other key) cancels", () => {
    const asked = press(onWeb1(), "s");
    expect(asked.effects).toEqual([]);
    expect(asked.state.status).toEqual({ text: "stop gsl_web.1? (y/n)", tone: "warn" });
    const yes = press(asked.state, "y");
    expect(yes.effects).toEqual([
      {
        type: "control",
        action: "stop",
        service: "web",
        replica: { id: "web-1-id", name: "gsl_web.1" },
      },
    ]);
    expect(yes.state.confirm).toBeUndefined();
    const no = press(asked.state, "n");
    expect(no.effects).toEqual([]);
    expect(no.state.status?.text).toBe("cancelled");
    expect(press(asked.state, "j").effects).toEqual([]);
  });

  it("s on a stopped replica starts it without asking", () => {
    const { effects } = press(gsl(), "G", "s");
    expect(effects).toEqual([
      {
        type: "control",
        action: "start",
        service: "web",
        replica: { id: "web-3-id", name: "gsl_web.3" },
      },
    ]);
  });

  it("s on a service stops it after y, or starts it when nothing runs", () => {
    const stop = press(gsl(), "j", "j", "s", "y");
    expect(stop.effects).toEqual([{ type: "control", action: "stop", service: "web" }]);
    const stopped = gsl({ replicas: [replica("web", 1, { state: "exited", exitCode: 0 })] });
    expect(press(stopped, "j", "s").effects).toEqual([
      { type: "control", action: "start", service: "web" },
    ]);
  });

  it("s on a swarm task asks to stop the whole service", () => {
    const { state } = press(gsl({ driver: "swarm" }), "j", "j", "j", "s");
    expect(state.status?.text).toBe(
      "stop service web (swarm stops whole services: scaled to 0)? (y/n)",
    );
    expect(press(state, "y").effects).toEqual([
      {
        type: "control",
        action: "stop",
        service: "web",
        note: "swarm acts on whole services, not single tasks",
      },
    ]);
  });

  it("+ scales the selected row's service up by one from the replicas on the engine", () => {
    const { state, effects } = press(onWeb1(), "+");
    expect(effects).toEqual([{ type: "scale", service: "web", replicas: 4 }]);
    expect(state.status?.text).toBe("scaling web to 4…");
    const done = reduceConsole(state, {
      type: "action-done",
      ok: true,
      text: "web scaled to 4",
      scaled: { service: "web", replicas: 4 },
    });
    expect(done.ps.desired).toEqual({ web: 4, redis: 1 });
  });

  it("- asks before scaling down, and never below zero", () => {
    const asked = press(gsl(), "-");
    expect(asked.state.status?.text).toBe("scale redis down to 0? (y/n)");
    expect(press(asked.state, "y").effects).toEqual([
      { type: "scale", service: "redis", replicas: 0 },
    ]);
    const none = gsl({ replicas: [] });
    expect(press(none, "-").effects).toEqual([]);
  });

  it("+ without the stack file says how to give it", () => {
    const { state, effects } = press(gsl({ scalable: false }), "+");
    expect(effects).toEqual([]);
    expect(state.status?.text).toMatch(/scaling needs the stack file/);
  });

  it("x opens a shell in a running replica only", () => {
    expect(press(onWeb1(), "x").effects).toEqual([
      { type: "shell", service: "web", slot: 1, name: "gsl_web.1" },
    ]);
    const exited = press(gsl(), "G", "x");
    expect(exited.effects).toEqual([]);
    expect(exited.state.status?.text).toBe("gsl_web.3 is exited: a shell needs it running");
    expect(press(gsl(), "x").state.status?.text).toBe("select a replica to open a shell in");
  });

  it("d opens the inspect pane of a replica; Esc goes back", () => {
    const { state, effects } = press(onWeb1(), "d");
    expect(effects).toMatchObject([{ type: "inspect", replica: { name: "gsl_web.1" } }]);
    expect(state.pane).toEqual({ kind: "inspect", replica: "gsl_web.1", scroll: 0 });
    const summary = {
      image: "busybox",
      command: ["sh"],
      envNames: ["A"],
      mounts: [],
      ports: [],
      limits: [],
      health: [],
    };
    const shown = reduceConsole(state, { type: "inspected", replica: "gsl_web.1", summary });
    expect(shown.pane).toMatchObject({ kind: "inspect", summary });
    expect(press(shown, named("escape")).state.pane).toEqual({ kind: "list" });
    const failed = reduceConsole(state, {
      type: "inspect-failed",
      replica: "gsl_web.1",
      error: "task runs on node b",
    });
    expect(failed.pane).toMatchObject({ error: "task runs on node b" });
    expect(press(gsl(), "d").effects).toEqual([]);
  });

  it("? shows the help and Esc, q or ? goes back; q in the list quits, Ctrl-C anywhere", () => {
    const help = press(gsl(), "?").state;
    expect(help.pane).toEqual({ kind: "help" });
    for (const key of [named("escape"), k("q"), k("?")])
      expect(press(help, key).state.pane).toEqual({ kind: "list" });
    expect(press(gsl(), "q").effects).toEqual([{ type: "quit" }]);
    expect(press(help, { input: "c", ctrl: true }).effects).toEqual([{ type: "quit" }]);
  });
});

describe("the logs pane", () => {
  it("Enter on a replica follows its logs; Esc stops following and goes back", () => {
    const { state, effects } = press(gsl(), "j", named("enter"));
    expect(effects).toEqual([
      {
        type: "logs",
        session: 1,
        target: { kind: "replica", service: "redis", id: "redis-1-id", name: "gsl_redis.1" },
      },
    ]);
    expect(state.pane).toMatchObject({ kind: "logs", follow: true, lines: [] });
    const back = press(state, named("escape"));
    expect(back.effects).toEqual([{ type: "stop-logs" }]);
    expect(back.state.pane).toEqual({ kind: "list" });
  });

  it("l (or Enter on a service) follows the whole service", () => {
    for (const keys of [["j", "l"], ["l"], [named("enter")]]) {
      const { effects } = press(gsl(), ...keys);
      expect(effects).toEqual([
        { type: "logs", session: 1, target: { kind: "service", service: "redis" } },
      ]);
    }
  });

  it("appends lines of its own session only, and keeps the last ones", () => {
    let s = press(gsl(), "l").state;
    s = reduceConsole(s, { type: "log-lines", session: 1, lines: ["a", "b"] });
    s = reduceConsole(s, { type: "log-lines", session: 0, lines: ["stale"] });
    expect(s.pane).toMatchObject({ lines: ["a", "b"] });
    const flood = Array.from({ length: LOG_LINES_KEPT + 5 }, (_, i) => `l${i}`);
    s = reduceConsole(s, { type: "log-lines", session: 1, lines: flood });
    const pane = s.pane as { readonly lines: readonly string[] };
    expect(pane.lines).toHaveLength(LOG_LINES_KEPT);
    expect(pane.lines.at(-1)).toBe(`l${LOG_LINES_KEPT + 4}`);
    s = reduceConsole(s, { type: "log-ended", session: 1, reason: "the log stream ended" });
    expect(s.pane).toMatchObject({ ended: "the log stream ended" });
  });

  it("scrolls back (no longer following, the view holds still as lines arrive) and f follows again", () => {
    let s = press(gsl({ height: 10 }), "l").state;
    s = reduceConsole(s, {
      type: "log-lines",
      session: 1,
      lines: Array.from({ length: 50 }, (_, i) => `line ${i}`),
    });
    s = press(s, named("up"), "k").state;
    expect(s.pane).toMatchObject({ scroll: 2, follow: false });
    s = reduceConsole(s, { type: "log-lines", session: 1, lines: ["new"] });
    expect(s.pane).toMatchObject({ scroll: 3, follow: false });
    s = press(s, named("pageup")).state;
    expect(s.pane).toMatchObject({ scroll: 8 });
    s = press(s, "f").state;
    expect(s.pane).toMatchObject({ scroll: 0, follow: true });
    s = press(s, named("up"), named("down")).state;
    expect(s.pane).toMatchObject({ scroll: 0, follow: true });
  });
});
