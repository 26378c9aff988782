import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatDuration,
  initialPsState,
  psView,
  reducePs,
  type PsAction,
  type PsState,
} from "../../../src/ui/ps-view-model.js";
import { NOW, replica } from "./fixtures.js";

function run(actions: readonly PsAction[], state: PsState = initialPsState("gsl")): PsState {
  return actions.reduce(reducePs, state);
}

describe("ps view model", () => {
  it("groups replicas under their service with running/desired, image and ports", () => {
    const state = run([
      {
        type: "observed",
        at: NOW,
        replicas: [
          replica("web", 2, { ports: [{ target: 80, published: 8080, protocol: "tcp" }] }),
          replica("redis", 1),
          replica("web", 1, { ports: [{ target: 80, published: 8081, protocol: "tcp" }] }),
        ],
      },
    ]);
    const view = psView(state, NOW);
    expect(view.loaded).toBe(true);
    expect(
      view.services.map((s) => [s.name, `${s.running}/${s.desired}`, s.ports.join(",")]),
    ).toEqual([
      ["redis", "1/1", ""],
      ["web", "2/2", "8080->80/tcp,8081->80/tcp"],
    ]);
    expect(view.services[1]!.replicas.map((r) => [r.slot, r.stateText, r.uptime])).toEqual([
      [1, "running", "45s"],
      [2, "running", "45s"],
    ]);
  });

  it("names every state a replica can be in, health refining running, exit codes shown", () => {
    const view = psView(
      run([
        {
          type: "observed",
          at: NOW,
          replicas: [
            replica("a", 1, { state: "created" }),
            replica("a", 2, { health: "starting" }),
            replica("a", 3, { health: "healthy" }),
            replica("a", 4, { health: "unhealthy" }),
            replica("a", 5, { state: "restarting", restartCount: 3 }),
            replica("a", 6, { state: "exited", exitCode: 137, finishedAt: "2026-01-01T00:09:58Z" }),
            replica("a", 7, { state: "exited", exitCode: 0 }),
            replica("a", 8, { state: "dead", error: "driver failed" }),
          ],
        },
      ]),
      NOW,
    );
    const rows = view.services[0]!.replicas.map((r) => [
      r.stateText,
      r.tone,
      r.restarts,
      r.error ?? "",
    ]);
    expect(rows).toEqual([
      ["created", "warn", 0, ""],
      ["starting", "warn", 0, ""],
      ["healthy", "good", 0, ""],
      ["unhealthy", "bad", 0, ""],
      ["restarting", "warn", 3, ""],
      ["exited (137)", "bad", 0, ""],
      ["exited (0)", "neutral", 0, ""],
      ["dead", "bad", 0, "driver failed"],
    ]);
    // An exited replica's time counts from when it stopped.
    expect(view.services[0]!.replicas[5]!.uptime).toBe("2s");
  });

  it("uses the stack file's replica counts when given, listing services with no replica yet", () => {
    const state = run(
      [{ type: "observed", at: NOW, replicas: [replica("web", 1)] }],
      initialPsState("gsl", { web: 5, redis: 1 }),
    );
    const view = psView(state, NOW);
    expect(view.services.map((s) => [s.name, s.running, s.desired, s.tone])).toEqual([
      ["redis", 0, 1, "bad"],
      ["web", 1, 5, "warn"],
    ]);
  });

  it("says when the event stream broke, counts down to the retry and goes live again", () => {
    let state = run([{ type: "stream-connected" }]);
    expect(psView(state, NOW).status).toBe("live");
    state = reducePs(state, {
      type: "stream-broken",
      error: "connect ENOENT",
      attempt: 2,
      retryAt: NOW + 2500,
    });
    const broken = psView(state, NOW);
    expect(broken.status).toBe(
      "engine event stream lost (connect ENOENT); reconnecting in 3s, attempt 2",
    );
    expect(broken.statusTone).toBe("bad");
    expect(psView(state, NOW + 3000).status).toContain("reconnecting now");
    expect(psView(reducePs(state, { type: "stream-connected" }), NOW).status).toBe("live");
  });

  it("keeps the last observation on a failed one, shows the problem, clears it on success", () => {
    const replicas = [replica("web", 1)];
    let state = run([
      { type: "observed", at: NOW, replicas },
      { type: "observe-failed", error: "engine unavailable" },
    ]);
    expect(psView(state, NOW).problem).toBe("engine unavailable");
    expect(psView(state, NOW).services).toHaveLength(1);
    state = reducePs(state, { type: "observed", at: NOW, replicas });
    expect(psView(state, NOW).problem).toBeUndefined();
  });

  it("shows stats for observed replicas only and forgets them when the replica goes", () => {
    const stats = {
      cpuPercent: 12.345,
      memoryBytes: 5 * 1024 * 1024,
      memoryLimitBytes: 50 * 1024 * 1024,
    };
    let state = run([
      { type: "observed", at: NOW, replicas: [replica("web", 1)] },
      { type: "stats", id: "web-1-id", stats },
      { type: "stats", id: "unknown", stats },
    ]);
    expect(Object.keys(state.stats)).toEqual(["web-1-id"]);
    const r = psView(state, NOW).services[0]!.replicas[0]!;
    expect([r.cpu, r.memory]).toEqual(["12.3%", "5.00MiB / 50.0MiB"]);
    state = reducePs(state, {
      type: "observed",
      at: NOW,
      replicas: [replica("web", 2)],
    });
    expect(state.stats).toEqual({});
  });

  it("formats durations and sizes compactly", () => {
    expect(formatDuration("2026-01-01T00:09:15Z", NOW)).toBe("45s");
    expect(formatDuration("2026-01-01T00:00:00Z", NOW)).toBe("10m");
    expect(formatDuration("2025-12-30T00:10:00Z", NOW)).toBe("2d");
    expect(formatDuration("0001-01-01T00:00:00Z", NOW)).toBe("");
    expect(formatDuration(undefined, NOW)).toBe("");
    expect([formatBytes(512), formatBytes(680 * 1024), formatBytes(1.5 * 1024 ** 3)]).toEqual([
      "512B",
      "680KiB",
      "1.50GiB",
    ]);
  });
});
