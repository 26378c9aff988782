import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import type { ObservedContainer } from "../../../src/core/replica.js";
import { ConsoleScreen } from "../../../src/ui/ConsoleScreen.js";
import {
  consoleKey,
  initialConsoleState,
  reduceConsole,
  type ConsoleEvent,
  type ConsoleKey,
  type ConsoleState,
} from "../../../src/ui/console-model.js";
import { initialPsState, psView } from "../../../src/ui/ps-view-model.js";
import { NOW, replica } from "./fixtures.js";

afterEach(() => cleanup());

function gsl(replicas?: ObservedContainer[], height = 20): ConsoleState {
  let s = initialConsoleState(initialPsState("gsl"), {
    driver: "docker",
    scalable: true,
    height,
  });
  s = reduceConsole(s, {
    type: "ps",
    action: {
      type: "observed",
      at: NOW,
      replicas: replicas ?? [
        replica("web", 1, { ports: [{ target: 80, published: 4000, protocol: "tcp" }] }),
        replica("web", 2),
        replica("redis", 1),
      ],
    },
  });
  return reduceConsole(s, { type: "ps", action: { type: "stream-connected" } });
}

function press(s: ConsoleState, ...keys: (string | ConsoleKey)[]): ConsoleState {
  for (const key of keys) s = consoleKey(s, typeof key === "string" ? { input: key } : key).state;
  return s;
}

function events(s: ConsoleState, ...list: ConsoleEvent[]): ConsoleState {
  return list.reduce(reduceConsole, s);
}

function frame(s: ConsoleState, color = false, width = 100): string {
  const { lastFrame } = render(
    <ConsoleScreen state={s} view={psView(s.ps, NOW)} width={width} color={color} stats={false} />,
  );
  return lastFrame() ?? "";
}

/** The help line cut at 100 columns (the end is in `?`). */
const HELP_LINE =
  "? help  q quit  ↑↓ move  / filter  Enter logs  l service logs  r restart  s stop/start  x shell  +…";

describe("ConsoleScreen", () => {
  it("the list: the cursor row marked (> without colour), a status line and the help line", () => {
    const s = press(gsl(), "j", "j", "j");
    expect(frame(s)).toBe(
      [
        "stack gsl  live",
        "",
        "  REPLICA  STATE          UPTIME  RESTARTS  ERROR",
        "redis  1/1  stack-test/busybox:latest",
        "  redis.1  running        45s     0",
        "web  2/2  stack-test/busybox:latest  4000->80/tcp",
        "> web.1    running        45s     0",
        "  web.2    running        45s     0",
        "",
        HELP_LINE,
      ].join("\n"),
    );
    // A narrow terminal cuts the end of the help line, never `?` and `q`.
    expect(frame(s, false, 40).split("\n").at(-1)).toBe("? help  q quit  ↑↓ move  / filter  Ente…");
  });

  it("a confirmation, then the action's progress and result, on the status line", () => {
    const asked = press(gsl(), "j", "s");
    expect(frame(asked).split("\n").at(-2)).toBe("stop gsl_redis.1? (y/n)");
    const running = press(asked, "y");
    expect(frame(running).split("\n").at(-2)).toBe("stopping gsl_redis.1…");
    const done = events(running, { type: "action-done", ok: false, text: "stop failed: 500" });
    expect(frame(done).split("\n").at(-2)).toBe("stop failed: 500");
  });

  it("a status message wider than the terminal goes on over a second line", () => {
    const why = "exec: task gsl_web.1 runs on node b, and stack reaches containers only on a";
    const s = events(press(gsl(), "j"), { type: "action-done", ok: false, text: why });
    expect(frame(s, false, 50).split("\n").slice(-3, -1)).toEqual([
      why.slice(0, 50),
      why.slice(50),
    ]);
  });

  it("the filter being typed, then applied (shown in the title)", () => {
    const typing = press(gsl(), "/", "r", "e");
    const out = frame(typing).split("\n");
    expect(out.at(-2)).toBe("/re▏");
    expect(out.at(-1)).toBe("Enter apply  Esc cancel  Backspace delete");
    const applied = frame(press(typing, { input: "", name: "enter" }));
    expect(applied).toMatch(/^stack gsl {2}live {2}\/re$/m);
    expect(applied).toMatch(/^> redis {2}1\/1/m);
    expect(applied).not.toMatch(/web/);
  });

  it("draws only the rows that fit: 400 replicas on a 20-line terminal", () => {
    const many = Array.from({ length: 400 }, (_, i) => replica("web", i + 1));
    const s = press(gsl(many, 20), "G");
    const out = frame(s).split("\n");
    expect(out).toHaveLength(19);
    expect(out.filter((l) => /web\.\d+/.test(l))).toHaveLength(14);
    expect(out).toContain("> web.400  running        45s     0");
    expect(out).toContain("  web.387  running        45s     0");
  });

  it("the logs pane: title, the last lines that fit, and scrolled back", () => {
    let s = press(gsl(undefined, 8), "j", { input: "", name: "enter" });
    expect(frame(s)).toBe(
      [
        "logs of gsl_redis.1  following",
        "waiting for log lines...",
        "",
        "↑↓ PgUp PgDn scroll  f follow  Esc back",
      ].join("\n"),
    );
    s = events(s, {
      type: "log-lines",
      session: 1,
      lines: Array.from({ length: 20 }, (_, i) => `gsl_redis.1 | line ${i}`),
    });
    expect(frame(s).split("\n").slice(0, 5)).toEqual([
      "logs of gsl_redis.1  following",
      "gsl_redis.1 | line 17",
      "gsl_redis.1 | line 18",
      "gsl_redis.1 | line 19",
      "",
    ]);
    s = press(s, "k", "k");
    expect(frame(s).split("\n").slice(0, 2)).toEqual([
      "logs of gsl_redis.1  scrolled back 2 lines (f follows)",
      "gsl_redis.1 | line 15",
    ]);
    s = events(s, { type: "log-ended", session: 1, reason: "the log stream ended" });
    expect(frame(s).split("\n")[0]).toBe("logs of gsl_redis.1  ended: the log stream ended");
  });

  it("the inspect pane: names of variables, never values", () => {
    let s = press(gsl(), "j", "d");
    expect(frame(s).split("\n").slice(0, 2)).toEqual(["inspect gsl_redis.1", "reading..."]);
    s = events(s, {
      type: "inspected",
      replica: "gsl_redis.1",
      summary: {
        image: "redis:7",
        command: ["redis-server", "--appendonly", "yes"],
        envNames: ["PATH", "REDIS_PASSWORD"],
        mounts: ["volume gsl_data -> /data"],
        ports: ["6379/tcp"],
        limits: ["memory 50.0MiB"],
        health: [{ end: "2026-01-01T00:09:59.000Z", exitCode: 0, output: "PONG" }],
      },
    });
    expect(frame(s)).toBe(
      [
        "inspect gsl_redis.1",
        "image    redis:7",
        "command  redis-server --appendonly yes",
        "env      PATH, REDIS_PASSWORD",
        "mounts   volume gsl_data -> /data",
        "ports    6379/tcp",
        "limits   memory 50.0MiB",
        "health   2026-01-01T00:09:59  exit 0  PONG",
        "",
        "↑↓ scroll  Esc back",
      ].join("\n"),
    );
    s = events(press(gsl(), "j", "d"), {
      type: "inspect-failed",
      replica: "gsl_redis.1",
      error: "inspect: task gsl_redis.1 runs on node b",
    });
    expect(frame(s).split("\n")[1]).toBe("inspect: task gsl_redis.1 runs on node b");
  });

  it("the help pane lists every key", () => {
    const out = frame(press(gsl(), "?"));
    for (const key of ["/", "Enter", "l", "r", "s", "x", "+ -", "d", "f", "Esc", "?", "q"])
      expect(out).toMatch(new RegExp(`^${key.replace(/[+?]/g, "\\$&")}\\s{2,}\\S`, "m"));
    expect(out.split("\n").at(-1)).toBe("Esc back");
  });
});
