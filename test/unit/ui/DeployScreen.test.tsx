import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { DeployScreen } from "../../../src/ui/DeployScreen.js";
import { deployView, type DeployState } from "../../../src/ui/deploy-view-model.js";
import { build, net, plan, pull, replay, waitDb, web1, web2 } from "./fixtures.js";

afterEach(() => cleanup());

function frame(state: DeployState, now: number, width = 60, final = false): string {
  const { lastFrame } = render(
    <DeployScreen
      view={deployView(state, now)}
      width={width}
      color={false}
      spinnerMs={0}
      final={final}
    />,
  );
  // Static output ends with a newline of its own when nothing live follows it.
  return (lastFrame() ?? "").trimEnd();
}

describe("DeployScreen", () => {
  it("draws finished operations above the working ones, pulls with a bar, waits and what is left", () => {
    const state = replay([
      { type: "plan", plan: plan([pull, net, waitDb, web1, web2]) },
      { type: "op-start", op: net },
      { type: "op-done", op: net, ms: 120 },
      { type: "op-start", op: pull },
      {
        type: "pull-progress",
        image: "redis:7",
        status: "Downloading",
        currentBytes: 5 * 1024 * 1024,
        totalBytes: 20 * 1024 * 1024,
      },
      { type: "op-start", op: waitDb },
      { type: "waiting", target: "db", what: "to become healthy" },
    ]);
    expect(frame(state, 1000 + 1000, 80)).toBe(
      [
        "✔ create network gsl_webnet (0.1s)",
        "⠋ pull image redis:7 (0.7s)",
        "⠋ wait for db (service healthy) (0.5s)",
        "  pull redis:7                     [====>               ]  25%  5.0MiB / 20.0MiB",
        "  waiting for db to become healthy",
        "  2 more waiting",
      ].join("\n"),
    );
  });

  it("draws a build with its step and the last line it printed, and drops it once built", () => {
    const image = "realmb/microblog:latest";
    const events = [
      { type: "plan", plan: plan([build, web1]) },
      { type: "op-start", op: build },
      {
        type: "build-progress",
        image,
        line: "Step 1/13 : FROM stack-example/debian-base:bookworm",
      },
      { type: "build-progress", image, line: "Step 4/13 : RUN pip install -r requirements.txt" },
      { type: "build-progress", image, line: " ---> Running in 3e1f0c9d2a7b" },
      { type: "build-progress", image, line: "Collecting flask>=2" },
    ] as const;
    expect(frame(replay(events), 1000 + 1000, 80)).toBe(
      [
        "⠋ build image realmb/microblog:latest (0.9s)",
        "  build realmb/microblog:latest     Step 4/13 : RUN pip install -r requirements…",
        "        Collecting flask>=2",
        "  1 more waiting",
      ].join("\n"),
    );
    const built = replay([...events, { type: "op-done", op: build, ms: 4200 }]);
    expect(frame(built, 1000 + 1000, 80)).toBe(
      ["✔ build image realmb/microblog:latest (4.2s)", "  1 more waiting"].join("\n"),
    );
  });

  it("ends with failures, their reason and last log lines, and the summary, no wait left", () => {
    const state = replay([
      { type: "plan", plan: plan([web1, web2]) },
      { type: "op-start", op: web1 },
      { type: "op-start", op: web2 },
      { type: "op-done", op: web1, ms: 1500 },
      {
        type: "op-failed",
        op: web2,
        error: 'exec: "httpd": not found',
        logs: ["starting", "fatal"],
      },
      { type: "summary", ok: false, done: 1, failed: 1, skipped: 0, ms: 1700 },
      // --wait starts after the summary and ends without an event: gone from the last frame.
      { type: "waiting", target: "gsl", what: "to be running and healthy" },
    ]);
    expect(frame(state, 3000, 60, true)).toBe(
      [
        "✔ create container gsl_web.1 (1.5s)",
        '✖ create container gsl_web.2: exec: "httpd": not found',
        "    | starting",
        "    | fatal",
        "failed: 1 failed, 0 skipped, 1 done in 1.7s",
      ].join("\n"),
    );
  });

  it("says the stack is up to date when there is nothing to do", () => {
    const state = replay([
      { type: "plan", plan: plan([]) },
      { type: "summary", ok: true, done: 0, failed: 0, skipped: 0, ms: 80 },
    ]);
    expect(frame(state, 2000, 60, true)).toBe(
      ["stack gsl is up to date", "done: 0 operations in 0.1s"].join("\n"),
    );
  });

  it("clips long lines to the width instead of wrapping", () => {
    const state = replay([
      { type: "plan", plan: plan([web1]) },
      { type: "op-start", op: web1 },
      { type: "op-failed", op: web1, error: "x".repeat(200) },
    ]);
    const lines = frame(state, 2000, 40, true).split("\n");
    expect(lines).toEqual(["✖ create container gsl_web.1: xxxxxxxxx…"]);
  });
});
