import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup } from "ink-testing-library";
import { PsScreen } from "../../../src/ui/PsScreen.js";
import { initialPsState, psView, reducePs, type PsState } from "../../../src/ui/ps-view-model.js";
import { NOW, replica } from "./fixtures.js";

afterEach(() => cleanup());

function getStarted(): PsState {
  const web = [1, 2, 3, 4, 5].map((slot) =>
    replica(
      "web",
      slot,
      slot === 2
        ? {
            state: "exited",
            exitCode: 137,
            finishedAt: "2026-01-01T00:09:58Z",
            restartCount: 1,
            error: "container killed by the kernel: out of memory",
          }
        : { ports: [{ target: 80, published: 4000, protocol: "tcp" }] },
    ),
  );
  let state = reducePs(initialPsState("gsl"), {
    type: "observed",
    at: NOW,
    replicas: [...web, replica("redis", 1)],
  });
  state = reducePs(state, { type: "stream-connected" });
  return state;
}

function frame(state: PsState, width: number, stats = false): string {
  const { lastFrame } = render(
    <PsScreen view={psView(state, NOW)} width={width} color={false} stats={stats} />,
  );
  return lastFrame() ?? "";
}

describe("PsScreen", () => {
  it("draws services with replicas running/desired and each replica's state at 80 columns", () => {
    expect(frame(getStarted(), 80)).toBe(
      [
        "stack gsl  live  (q to quit)",
        "",
        "  REPLICA  STATE          UPTIME  RESTARTS  ERROR",
        "redis  1/1  stack-test/busybox:latest",
        "  redis.1  running        45s     0",
        "web  4/5  stack-test/busybox:latest  4000->80/tcp",
        "  web.1    running        45s     0",
        "  web.2    exited (137)   2s      1         container killed by the kernel: out…",
        "  web.3    running        45s     0",
        "  web.4    running        45s     0",
        "  web.5    running        45s     0",
      ].join("\n"),
    );
  });

  it("moves a long error to its own line and clips every line on a narrow terminal", () => {
    const lines = frame(getStarted(), 44).split("\n");
    expect(lines.every((l) => l.length <= 44)).toBe(true);
    expect(lines.slice(6, 9)).toEqual([
      "  web.1    running        45s     0",
      "  web.2    exited (137)   2s      1",
      "    error: container killed by the kernel:…",
    ]);
  });

  it("adds CPU and memory against the limit with --stats", () => {
    const state = reducePs(getStarted(), {
      type: "stats",
      id: "web-1-id",
      stats: { cpuPercent: 3.21, memoryBytes: 680 * 1024, memoryLimitBytes: 50 * 1024 * 1024 },
    });
    const lines = frame(state, 100, true).split("\n");
    expect(lines[2]).toBe(
      "  REPLICA  STATE          UPTIME  RESTARTS  CPU     MEMORY               ERROR",
    );
    expect(lines[6]).toBe("  web.1    running        45s     0         3.2%    680KiB / 50.0MiB");
    expect(lines[8]).toBe("  web.3    running        45s     0         -       -");
  });

  it("shows the node of every task on a swarm", () => {
    const tasks = [1, 2].map((slot) =>
      replica("web", slot, { node: slot === 1 ? "stack-swarm-a" : "stack-swarm-b" }),
    );
    const state = reducePs(initialPsState("gsl"), {
      type: "observed",
      at: NOW,
      replicas: tasks,
    });
    expect(frame(state, 80).split("\n").slice(2)).toEqual([
      "  REPLICA  NODE           STATE          UPTIME  RESTARTS  ERROR",
      "web  2/2  stack-test/busybox:latest",
      "  web.1    stack-swarm-a  running        45s     0",
      "  web.2    stack-swarm-b  running        45s     0",
    ]);
  });

  it("says so on screen when the engine stream is lost, keeping the last known replicas", () => {
    const state = reducePs(getStarted(), {
      type: "stream-broken",
      error: "stream closed",
      attempt: 1,
      retryAt: NOW + 500,
    });
    const lines = frame(state, 100).split("\n");
    expect(lines[0]).toBe(
      "stack gsl  engine event stream lost (stream closed); reconnecting in 1s, attempt 1  (q to quit)",
    );
    expect(lines).toContain("web  4/5  stack-test/busybox:latest  4000->80/tcp");
  });

  it("waits for a deploy when the stack has no replicas, and for the first observation", () => {
    const empty = reducePs(initialPsState("gsl"), {
      type: "observed",
      at: NOW,
      replicas: [],
    });
    expect(frame(empty, 80)).toBe(
      [
        "stack gsl  connecting to the engine  (q to quit)",
        "",
        "no replicas of stack gsl (yet): waiting for a deploy",
      ].join("\n"),
    );
    expect(frame(initialPsState("gsl"), 80)).toBe(
      ["stack gsl  connecting to the engine  (q to quit)", "", "reading the stack..."].join("\n"),
    );
  });
});
