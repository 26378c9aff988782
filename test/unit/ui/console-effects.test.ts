import { describe, expect, it } from "vitest";
import type { ReplicaSummary } from "../../../src/core/driver.js";
import {
  ConsoleEffects,
  outcomeText,
  type ConsoleActions,
} from "../../../src/ui/console-effects.js";
import type { ConsoleEvent } from "../../../src/ui/console-model.js";
import { replica } from "./fixtures.js";

const SUMMARY: ReplicaSummary = {
  image: "busybox",
  command: ["sh"],
  envNames: ["TOKEN"],
  mounts: [],
  ports: [],
  limits: [],
  health: [],
};

/** Actions that record their calls; each behaves as `overrides` say, else succeeds. */
function fakeActions(overrides: Partial<ConsoleActions> = {}) {
  const calls: string[] = [];
  const actions: ConsoleActions = {
    control: async (action, service, id) => {
      calls.push(`control ${action} ${service} ${id ?? "*"}`);
      return [{ name: id === undefined ? service : "gsl_web.1", result: `${action}ed`, ok: true }];
    },
    scale: async (service, replicas, onProgress) => {
      calls.push(`scale ${service}=${replicas}`);
      onProgress("create container gsl_web.4 (1/1)");
      return { ok: true };
    },
    logs: async (target, signal, write) => {
      calls.push(`logs ${target.service}`);
      write("gsl_web.1 | one\ngsl_web.1 | two\n");
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    },
    shell: async (service, slot) => {
      calls.push(`shell ${service}.${slot}`);
      return 0;
    },
    inspect: async (r) => {
      calls.push(`inspect ${r.name}`);
      return SUMMARY;
    },
    ...overrides,
  };
  return { actions, calls };
}

function runner(actions: ConsoleActions) {
  const events: ConsoleEvent[] = [];
  const log: string[] = [];
  let quit = false;
  const effects = new ConsoleEffects({
    actions,
    dispatch: (e) => events.push(e),
    quit: () => (quit = true),
    suspend: async (fn) => {
      log.push("suspend");
      try {
        return await fn();
      } finally {
        log.push("resume");
      }
    },
    logBatchMs: 1,
  });
  return { effects, events, log, quitted: () => quit };
}

describe("ConsoleEffects", () => {
  it("restarts one replica through control and reports each outcome", async () => {
    const { actions, calls } = fakeActions();
    const { effects, events } = runner(actions);
    await effects.run({
      type: "control",
      action: "restart",
      service: "web",
      replica: { id: "web-1-id", name: "gsl_web.1" },
    });
    expect(calls).toEqual(["control restart web web-1-id"]);
    expect(events).toEqual([{ type: "action-done", ok: true, text: "gsl_web.1 restarted" }]);
  });

  it("adds the note of a swarm task's key to the result", async () => {
    const { effects, events } = runner(fakeActions().actions);
    await effects.run({
      type: "control",
      action: "restart",
      service: "web",
      note: "whole service",
    });
    expect(events).toEqual([
      { type: "action-done", ok: true, text: "web restarted (whole service)" },
    ]);
  });

  it("says why a control action failed, without throwing", async () => {
    const { actions } = fakeActions({
      control: () => Promise.reject(new Error("engine unavailable")),
    });
    const { effects, events } = runner(actions);
    await effects.run({ type: "control", action: "stop", service: "web" });
    expect(events).toEqual([
      { type: "action-done", ok: false, text: "stop of service web failed: engine unavailable" },
    ]);
  });

  it("scales with progress on the status line, and reports the new count", async () => {
    const { actions, calls } = fakeActions();
    const { effects, events } = runner(actions);
    await effects.run({ type: "scale", service: "web", replicas: 4 });
    expect(calls).toEqual(["scale web=4"]);
    expect(events).toEqual([
      { type: "action-progress", text: "create container gsl_web.4 (1/1)" },
      {
        type: "action-done",
        ok: true,
        text: "web scaled to 4 (the next deploy goes back to the file's count)",
        scaled: { service: "web", replicas: 4 },
      },
    ]);
  });

  it("reports a failed scale with its message", async () => {
    const { actions } = fakeActions({
      scale: async () => ({ ok: false, message: "gsl_web.4 exited with code 1" }),
    });
    const { effects, events } = runner(actions);
    await effects.run({ type: "scale", service: "web", replicas: 4 });
    expect(events).toEqual([
      {
        type: "action-done",
        ok: false,
        text: "scaling web to 4 failed: gsl_web.4 exited with code 1",
      },
    ]);
  });

  it("runs the shell with the terminal handed over, and says how it ended", async () => {
    const { actions, calls } = fakeActions({ shell: async () => 127 });
    const { effects, events, log } = runner(actions);
    await effects.run({ type: "shell", service: "web", slot: 1, name: "gsl_web.1" });
    expect(log).toEqual(["suspend", "resume"]);
    expect(calls).toEqual([]);
    expect(events).toEqual([
      {
        type: "action-done",
        ok: false,
        text: "shell in gsl_web.1 ended with code 127 (no sh in the image?)",
      },
    ]);
  });

  it("says clearly when a shell cannot reach the replica (a swarm task elsewhere)", async () => {
    const { actions } = fakeActions({
      shell: () => Promise.reject(new Error("exec: task gsl_web.1 runs on node b")),
    });
    const { effects, events } = runner(actions);
    await effects.run({ type: "shell", service: "web", slot: 1, name: "gsl_web.1" });
    expect(events).toEqual([
      {
        type: "action-done",
        ok: false,
        text: "shell in gsl_web.1 failed: exec: task gsl_web.1 runs on node b",
      },
    ]);
  });

  it("inspects a replica into the pane, or says why not", async () => {
    const ok = runner(fakeActions().actions);
    await ok.effects.run({ type: "inspect", replica: replica("web", 1) });
    expect(ok.events).toEqual([{ type: "inspected", replica: "gsl_web.1", summary: SUMMARY }]);
    const failed = runner(
      fakeActions({ inspect: () => Promise.reject(new Error("no such container")) }).actions,
    );
    await failed.effects.run({ type: "inspect", replica: replica("web", 1) });
    expect(failed.events).toEqual([
      { type: "inspect-failed", replica: "gsl_web.1", error: "no such container" },
    ]);
  });

  it("follows logs in batches of lines until stop-logs, and reports nothing after", async () => {
    const { actions } = fakeActions();
    const { effects, events } = runner(actions);
    const target = { kind: "service", service: "web" } as const;
    const following = effects.run({ type: "logs", session: 3, target });
    while (events.length === 0) await new Promise((r) => setTimeout(r, 2));
    expect(events).toEqual([
      { type: "log-lines", session: 3, lines: ["gsl_web.1 | one", "gsl_web.1 | two"] },
    ]);
    await effects.run({ type: "stop-logs" });
    await following;
    expect(events).toHaveLength(1);
  });

  it("says when the log stream ended by itself", async () => {
    const { actions } = fakeActions({ logs: async () => {} });
    const { effects, events } = runner(actions);
    await effects.run({ type: "logs", session: 1, target: { kind: "service", service: "web" } });
    expect(events).toEqual([
      { type: "log-ended", session: 1, reason: "the log stream ended (the replica stopped?)" },
    ]);
  });

  it("quits", async () => {
    const { effects, quitted } = runner(fakeActions().actions);
    await effects.run({ type: "quit" });
    expect(quitted()).toBe(true);
  });
});

describe("outcomeText", () => {
  it("joins the first outcomes and counts the rest; fails when one failed", () => {
    const o = (name: string, ok = true) => ({ name, result: ok ? "stopped" : "failed: x", ok });
    expect(outcomeText([o("a"), o("b", false)])).toEqual({
      ok: false,
      text: "a stopped; b failed: x",
    });
    expect(outcomeText([o("a"), o("b"), o("c"), o("d"), o("e")]).text).toBe(
      "a stopped; b stopped; c stopped, and 2 more",
    );
    expect(outcomeText([])).toEqual({ ok: false, text: "nothing to do: no replica matched" });
  });
});
