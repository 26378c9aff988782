import { describe, expect, it } from "vitest";
import { deployView, reduceDeploy } from "../../../src/ui/deploy-view-model.js";
import { build, net, plan, pull, replay, waitDb, web1, web2 } from "./fixtures.js";

describe("deploy view model", () => {
  it("moves operations from waiting to working to done or failed with the reason", () => {
    const state = replay([
      { type: "plan", plan: plan([net, web1, web2]) },
      { type: "op-start", op: net },
      { type: "op-done", op: net, ms: 120 },
      { type: "op-start", op: web1 },
      { type: "op-start", op: web2 },
      {
        type: "op-failed",
        op: web2,
        error: "port is already allocated",
        logs: ["boot", "bind failed"],
      },
    ]);
    const view = deployView(state, 1000 + 900);
    expect(view.finished.map((l) => [l.status, l.text, l.time, l.reason ?? ""])).toEqual([
      ["done", "create network gsl_webnet", "0.1s", ""],
      ["failed", "create container gsl_web.2", "", "port is already allocated"],
    ]);
    expect(view.finished[1]!.logs).toEqual(["boot", "bind failed"]);
    // web1 started at 1000 + 3 * 100 and is still working 600 ms later.
    expect(view.working.map((l) => [l.text, l.time])).toEqual([
      ["create container gsl_web.1", "0.6s"],
    ]);
    expect(view.waitingCount).toBe(0);
  });

  it("tracks pulls with bytes and ends them with their operation", () => {
    let state = replay([
      { type: "plan", plan: plan([pull]) },
      { type: "op-start", op: pull },
      {
        type: "pull-progress",
        image: "redis:7",
        status: "Downloading",
        currentBytes: 5 * 1024 * 1024,
        totalBytes: 20 * 1024 * 1024,
      },
    ]);
    expect(deployView(state, 2000).pulls).toEqual([
      {
        image: "redis:7",
        direction: "pull",
        status: "Downloading",
        done: false,
        fraction: 0.25,
        bytes: "5.0MiB / 20.0MiB",
        layers: [],
      },
    ]);
    state = reduceDeploy(state, { type: "op-done", op: pull, ms: 3000 }, 5000);
    expect(deployView(state, 5000).pulls[0]!.done).toBe(true);
  });

  it("gives each layer moving bytes a bar of its own; a push is a push", () => {
    const layer = (id: string, status: string, currentBytes?: number) => ({
      id,
      status,
      ...(currentBytes !== undefined && { currentBytes, totalBytes: 4 * 1024 * 1024 }),
    });
    const state = replay([
      {
        type: "pull-progress",
        image: "r/a:1",
        status: "s",
        layer: layer("aaaaaaaaaaaa", "Already exists"),
      },
      {
        type: "pull-progress",
        image: "r/a:1",
        status: "s",
        layer: layer("bbbbbbbbbbbb", "Downloading", 1024 * 1024),
      },
      {
        type: "pull-progress",
        image: "r/a:1",
        status: "s",
        layer: layer("bbbbbbbbbbbb", "Downloading", 2 * 1024 * 1024),
      },
      {
        type: "push-progress",
        image: "r/a:1",
        status: "s",
        layer: layer("cccccccccccc", "Pushing", 1024 * 1024),
      },
    ]);
    const pulls = deployView(state, 0).pulls;
    expect(
      pulls.map((p) => [p.direction, p.layers.map((l) => [l.id, l.fraction, l.bytes])]),
    ).toEqual([
      ["pull", [["bbbbbbbbbbbb", 0.5, "2.0MiB / 4.0MiB"]]],
      ["push", [["cccccccccccc", 0.25, "1.0MiB / 4.0MiB"]]],
    ]);
  });

  it("tracks builds as builds: the current step and the last line it printed, not a pull", () => {
    const image = "realmb/microblog:latest";
    const line = (text: string) => ({ type: "build-progress" as const, image, line: text });
    let state = replay([
      { type: "plan", plan: plan([build]) },
      { type: "op-start", op: build },
      line("Step 1/13 : FROM stack-example/debian-base:bookworm"),
      line(" ---> b9c4a35a83bf"),
      line("Step 2/13 : RUN pip install -r requirements.txt"),
      line(" ---> Running in 3e1f0c9d2a7b"),
      line("Collecting flask>=2"),
      line("Successfully installed flask-3.0.3"),
      line("Removing intermediate container 3e1f0c9d2a7b"),
    ]);
    expect(deployView(state, 2000).builds).toEqual([
      {
        image,
        step: "Step 2/13 : RUN pip install -r requirements.txt",
        output: "Successfully installed flask-3.0.3",
        done: false,
      },
    ]);
    expect(deployView(state, 2000).pulls).toEqual([]);
    // A new step starts without output of its own.
    state = reduceDeploy(state, line("Step 3/13 : COPY . /app"), 2100);
    expect(deployView(state, 2100).builds[0]).toEqual({
      image,
      step: "Step 3/13 : COPY . /app",
      done: false,
    });
    state = reduceDeploy(state, { type: "op-done", op: build, ms: 9000 }, 9000);
    expect(deployView(state, 9000).builds[0]!.done).toBe(true);
  });

  it("keeps each line a lifecycle hook printed as a note, labelled with its replica", () => {
    const state = replay([
      { type: "plan", plan: plan([web1]) },
      { type: "op-start", op: web1 },
      {
        type: "hook-output",
        service: "web",
        container: "gsl_web.1",
        hook: "post_start[0]",
        line: "cache warmed",
      },
    ]);
    expect(deployView(state, 2000).notes).toEqual([
      { kind: "info", text: "gsl_web.1 -> cache warmed" },
    ]);
  });

  it("shows what a readiness wait waits for until its operation finishes, and the summary", () => {
    let state = replay([
      { type: "plan", plan: plan([waitDb], ["service old is not in the stack file"]) },
      { type: "op-start", op: waitDb },
      { type: "waiting", target: "db", what: "to become healthy" },
    ]);
    expect(deployView(state, 2000).waits).toEqual([{ target: "db", what: "to become healthy" }]);
    expect(deployView(state, 2000).notes).toEqual([
      { kind: "warning", text: "service old is not in the stack file" },
    ]);
    state = reduceDeploy(state, { type: "op-done", op: waitDb, ms: 4200 }, 6000);
    expect(deployView(state, 6000).waits).toEqual([]);
    state = reduceDeploy(
      state,
      { type: "summary", ok: true, done: 1, failed: 0, skipped: 0, ms: 4300 },
      6000,
    );
    expect(deployView(state, 6000).summary).toEqual({
      ok: true,
      text: "done: 1 operation in 4.3s",
    });
  });

  it("reports an empty first plan as up to date, and a later round's operations after the first", () => {
    expect(deployView(replay([{ type: "plan", plan: plan([]) }]), 0).upToDate).toBe(true);
    const state = replay([
      { type: "plan", plan: plan([web1]) },
      { type: "op-start", op: web1 },
      { type: "op-done", op: web1, ms: 100 },
      { type: "plan", plan: plan([web2]) },
      { type: "plan", plan: plan([]) },
    ]);
    const view = deployView(state, 5000);
    expect(view.upToDate).toBe(false);
    expect(view.finished.map((l) => l.text)).toEqual(["create container gsl_web.1"]);
    expect(view.waitingCount).toBe(1);
  });
});
