import { describe, expect, it } from "vitest";
import { InterruptedError, StepFailure } from "../../../../src/core/errors.js";
import { controlReplicas } from "../../../../src/drivers/docker/control-replicas.js";
import {
  runPostStartHooks,
  runPreStartHooks,
  runPreStopHooks,
  type HookContext,
} from "../../../../src/drivers/docker/hooks.js";
import type { HookSpec } from "../../../../src/model/types.js";
import { serviceConfigHash } from "../../../../src/model/config-hash.js";
import { replacementName } from "../../../../src/model/naming.js";
import { STACK, serviceSpec, stackSpec } from "./helpers/fixtures.js";
import {
  execute,
  FakeEngine,
  op,
  ops,
  planOf,
  recordingSink,
  type DockerTestContext,
} from "./helpers/fake-engine.js";

const hook = (command: string, more: Partial<HookSpec> = {}): HookSpec => ({
  command: command.split(" "),
  environment: {},
  ...more,
});

function setup(hooks: {
  postStart?: HookSpec[];
  preStop?: HookSpec[];
  preStart?: (HookSpec & { image?: string })[];
}) {
  const service = serviceSpec("web", {
    environment: { BASE: "1" },
    update: { monitorMs: 5 },
    ...hooks,
  });
  const spec = stackSpec({ services: [service] });
  const engine = new FakeEngine();
  const sink = recordingSink();
  const ctx: HookContext = { engine, spec, sink };
  const id = engine.seed({
    stack: STACK,
    name: "demo_web.1",
    service: "web",
    slot: 1,
    configHash: serviceConfigHash(service),
  });
  const replica = { service, id, name: "demo_web.1" };
  const lines = () => sink.of("hook-output").map((e) => `${e.hook} ${e.line}`);
  return { service, spec, engine, sink, ctx, replica, lines };
}

describe("post_start hooks", () => {
  it("run in order by exec in the replica, with the hook's user, directory, privileges and environment", async () => {
    const t = setup({
      postStart: [
        hook("echo one", { user: "root", workingDir: "/srv", environment: { A: "1", U: null } }),
        hook("echo two", { privileged: true }),
      ],
    });
    t.engine.commands.set("echo one", { output: ["one", "more"] });
    t.engine.commands.set("echo two", { output: ["two"] });
    await runPostStartHooks(t.ctx, t.replica);
    expect(t.engine.calls).toEqual(["exec demo_web.1: echo one", "exec demo_web.1: echo two"]);
    const [first, second] = t.engine.execs.map((e) => e.options);
    expect(first).toMatchObject({ user: "root", workingDir: "/srv", env: ["A=1"] });
    expect(first?.privileged).toBeUndefined();
    expect(second).toMatchObject({ privileged: true, env: [] });
    expect(t.lines()).toEqual(["post_start[0] one", "post_start[0] more", "post_start[1] two"]);
    expect(t.sink.of("hook-output")[0]).toEqual({
      type: "hook-output",
      service: "web",
      container: "demo_web.1",
      hook: "post_start[0]",
      line: "one",
    });
  });

  it("fail at the first non-zero exit, naming the service, the hook and the status", async () => {
    const t = setup({ postStart: [hook("false"), hook("echo never")] });
    t.engine.commands.set("false", { exitCode: 3 });
    const failure = await runPostStartHooks(t.ctx, t.replica).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StepFailure);
    expect((failure as Error).message).toBe("web post_start[0] exited with status 3");
    expect(t.engine.calls).toEqual(["exec demo_web.1: false"]);
  });
});

describe("pre_stop hooks", () => {
  it("report a failure instead of throwing it, and skip the hooks after it", async () => {
    const t = setup({ preStop: [hook("echo bye"), hook("false"), hook("echo never")] });
    t.engine.commands.set("echo bye", { output: ["bye"] });
    t.engine.commands.set("false", { exitCode: 1 });
    expect(await runPreStopHooks(t.ctx, t.replica)).toBe("web pre_stop[1] exited with status 1");
    expect(t.engine.calls).toEqual(["exec demo_web.1: echo bye", "exec demo_web.1: false"]);
    expect(t.lines()).toEqual(["pre_stop[0] bye"]);
  });

  it("give up on a hook that does not end in time", async () => {
    const t = setup({ preStop: [hook("sleep forever")] });
    t.engine.commands.set("sleep forever", { hang: true });
    expect(await runPreStopHooks(t.ctx, t.replica, 20)).toBe(
      "web pre_stop[0] failed: did not end within 0s",
    );
  });

  it("stop waiting when interrupted", async () => {
    const t = setup({ preStop: [hook("sleep forever")] });
    t.engine.commands.set("sleep forever", { hang: true });
    const abort = new AbortController();
    const run = runPreStopHooks({ ...t.ctx, signal: abort.signal }, t.replica);
    abort.abort();
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe("pre_start hooks", () => {
  it("run one after the other, each in a one-off container of the service that is removed afterwards", async () => {
    const t = setup({
      preStart: [
        hook("init a", { user: "0", environment: { STEP: "a" } }),
        hook("init b", { image: "tools:1", workingDir: "/w", privileged: true }),
      ],
    });
    t.engine.commands.set("init a", { output: ["prepared a"] });
    await runPreStartHooks(t.ctx, t.replica);
    const names = t.engine.oneOffRequests.map((r) => r.name);
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^demo_web_pre_start_[0-9a-f]{6}$/);
    expect(t.engine.calls).toEqual([
      `create ${names[0]}`,
      `run ${names[0]}: init a`,
      `remove ${names[0]}`,
      "pull tools:1",
      `create ${names[1]}`,
      `run ${names[1]}: init b`,
      `remove ${names[1]}`,
    ]);
    const [a, b] = t.engine.oneOffRequests;
    expect(a?.service.image).toBe("web:1");
    expect(a?.oneOff).toMatchObject({ cmd: ["init", "a"], env: ["STEP=a"], user: "0" });
    expect(b?.service).toMatchObject({ image: "tools:1", privileged: true });
    expect(b?.oneOff).toMatchObject({ cmd: ["init", "b"], workingDir: "/w" });
    expect(t.lines()).toEqual(["pre_start[0] prepared a"]);
    // Only the seeded replica is left.
    expect(t.engine.list().map((c) => c.name)).toEqual(["demo_web.1"]);
  });

  it("fail with the exit code and the hook's last output lines, and still remove its container", async () => {
    const t = setup({ preStart: [hook("init a"), hook("init b"), hook("init c")] });
    t.engine.commands.set("init b", {
      exitCode: 17,
      output: ["1", "2", "3", "4", "5", "6", "no database"],
    });
    const failure = await runPreStartHooks(t.ctx, t.replica).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StepFailure);
    expect((failure as StepFailure).message).toBe("web pre_start[1]: exited with 17:");
    expect((failure as StepFailure).logs).toEqual(["3", "4", "5", "6", "no database"]);
    expect(t.engine.oneOffRequests).toHaveLength(2);
    expect(t.engine.list().map((c) => c.name)).toEqual(["demo_web.1"]);
  });

  it("remove the hook's container when interrupted", async () => {
    const t = setup({ preStart: [hook("init slow")] });
    t.engine.commands.set("init slow", { hang: true });
    const abort = new AbortController();
    const run = runPreStartHooks({ ...t.ctx, signal: abort.signal }, t.replica);
    await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(t.engine.list().map((c) => c.name)).toEqual(["demo_web.1"]);
  });
});

/** A runner context on `t`'s engine for hand-written plans. */
function runContext(t: ReturnType<typeof setup>): DockerTestContext {
  return {
    engine: t.engine,
    spec: t.spec,
    sink: t.sink,
    parallel: 4,
    pollIntervalMs: 2,
    readyTimeoutMs: 300,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
  };
}

describe("hooks in the runner", () => {
  it("create-container: pre_start after create, post_start after start", async () => {
    const t = setup({ preStart: [hook("init")], postStart: [hook("warm")] });
    const engine = new FakeEngine();
    const ctx = { ...runContext(t), engine };
    const result = await execute(planOf(STACK, [ops.create(STACK, "web", 2)]), ctx);
    expect(result.ok).toBe(true);
    const hookName = engine.oneOffRequests[0]?.name;
    expect(engine.calls).toEqual([
      "create demo_web.2",
      `create ${hookName}`,
      `run ${hookName}: init`,
      `remove ${hookName}`,
      "start demo_web.2",
      "exec demo_web.2: warm",
    ]);
  });

  it("create-container: a failing pre_start leaves the replica created, not started", async () => {
    const t = setup({ preStart: [hook("init")] });
    const engine = new FakeEngine();
    engine.commands.set("init", { exitCode: 17, output: ["cannot init"] });
    const result = await execute(planOf(STACK, [ops.create(STACK, "web", 2)]), {
      ...runContext(t),
      engine,
    });
    expect(result.ok).toBe(false);
    expect(t.sink.of("op-failed")[0]).toMatchObject({
      error: "web pre_start[0]: exited with 17:",
      logs: ["cannot init"],
    });
    expect(engine.list().map((c) => [c.name, c.state])).toEqual([["demo_web.2", "created"]]);
  });

  it("start-container: pre_start runs for a replica never started, not for a stopped one", async () => {
    const t = setup({ preStart: [hook("init")] });
    const hash = serviceConfigHash(t.service);
    const created = t.engine.seed({
      stack: STACK,
      name: "demo_web.2",
      service: "web",
      slot: 2,
      configHash: hash,
      state: "created",
    });
    const exited = t.engine.seed({
      stack: STACK,
      name: "demo_web.3",
      service: "web",
      slot: 3,
      configHash: hash,
      state: "exited",
    });
    const start = (slot: number, containerId: string) =>
      op({
        id: `container:web.${slot}:start`,
        kind: "start-container",
        service: "web",
        slot,
        name: `demo_web.${slot}`,
        containerId,
        cause: "not running",
        after: [],
      });
    const result = await execute(
      planOf(STACK, [start(2, created), start(3, exited)]),
      runContext(t),
    );
    expect(result.ok).toBe(true);
    expect(t.engine.oneOffRequests).toHaveLength(1);
    expect(t.engine.calls.filter((c) => c.startsWith("start ")).sort()).toEqual([
      "start demo_web.2",
      "start demo_web.3",
    ]);
  });

  it("remove-container: a failing pre_stop is reported and the replica is removed anyway", async () => {
    const t = setup({ preStop: [hook("drain")] });
    t.engine.commands.set("drain", { exitCode: 1 });
    const result = await execute(
      planOf(STACK, [ops.remove(STACK, "web", 1, t.replica.id)]),
      runContext(t),
    );
    expect(result.ok).toBe(false);
    expect(t.engine.calls).toEqual([
      "exec demo_web.1: drain",
      "stop demo_web.1",
      "remove demo_web.1",
    ]);
    expect(t.sink.of("op-failed")[0]?.error).toBe(
      "web pre_stop[0] exited with status 1; demo_web.1 was stopped and removed anyway",
    );
    expect(t.engine.list()).toEqual([]);
  });

  it("remove-container: no pre_stop for a replica that is not running", async () => {
    const t = setup({ preStop: [hook("drain")] });
    const id = t.engine.seed({
      stack: STACK,
      name: "demo_web.2",
      service: "web",
      slot: 2,
      configHash: "x",
      state: "exited",
    });
    const result = await execute(planOf(STACK, [ops.remove(STACK, "web", 2, id)]), runContext(t));
    expect(result.ok).toBe(true);
    expect(t.engine.calls).toEqual(["stop demo_web.2", "remove demo_web.2"]);
  });

  it("replace-container: pre_stop in the old replica, pre_start and post_start for the new one", async () => {
    const t = setup({
      preStart: [hook("init")],
      postStart: [hook("warm")],
      preStop: [hook("drain")],
    });
    const result = await execute(
      planOf(STACK, [ops.replace(STACK, "web", 1, t.replica.id, "stop-first")]),
      runContext(t),
    );
    expect(result.ok).toBe(true);
    const n = replacementName(STACK, "web", 1, serviceConfigHash(t.service));
    const hookName = t.engine.oneOffRequests[0]?.name;
    expect(t.engine.calls).toEqual([
      `create ${n}`,
      `create ${hookName}`,
      `run ${hookName}: init`,
      `remove ${hookName}`,
      "exec demo_web.1: drain",
      "stop demo_web.1",
      `start ${n}`,
      `exec ${n}: warm`,
      "remove demo_web.1",
      `rename ${n} -> demo_web.1`,
    ]);
  });

  it("replace-container: a failing pre_start keeps the old replica running", async () => {
    const t = setup({ preStart: [hook("init")], preStop: [hook("drain")] });
    t.engine.commands.set("init", { exitCode: 2, output: ["bad"] });
    const result = await execute(
      planOf(STACK, [ops.replace(STACK, "web", 1, t.replica.id, "stop-first")]),
      runContext(t),
    );
    expect(result.ok).toBe(false);
    expect(t.engine.calls).not.toContain("exec demo_web.1: drain");
    expect(t.engine.list().map((c) => [c.name, c.state])).toEqual([["demo_web.1", "running"]]);
    expect(t.sink.of("op-failed")[0]?.logs).toEqual(["bad"]);
  });
});

describe("hooks in stack stop, start and restart", () => {
  it("pre_stop before stop and restart, post_start after start and restart, only with the file", async () => {
    const t = setup({ preStop: [hook("drain")], postStart: [hook("warm")] });
    const replica = t.engine.byName("demo_web.1")!;
    const hooks = { spec: t.spec, sink: t.sink };
    await controlReplicas(t.engine, [[replica]], "restart", { hooks });
    expect(t.engine.calls).toEqual([
      "exec demo_web.1: drain",
      "restart demo_web.1",
      "exec demo_web.1: warm",
    ]);
    t.engine.calls.length = 0;
    await controlReplicas(t.engine, [[replica]], "restart", {});
    expect(t.engine.calls).toEqual(["restart demo_web.1"]);
    t.engine.calls.length = 0;
    const [stopped] = await controlReplicas(t.engine, [[replica]], "stop", { hooks });
    expect(stopped).toEqual({ name: "demo_web.1", result: "stopped", ok: true });
    expect(t.engine.calls).toEqual(["exec demo_web.1: drain", "stop demo_web.1"]);
    t.engine.calls.length = 0;
    await controlReplicas(t.engine, [[t.engine.byName("demo_web.1")!]], "start", { hooks });
    expect(t.engine.calls).toEqual(["start demo_web.1", "exec demo_web.1: warm"]);
  });

  it("a failing pre_stop fails the replica's outcome and the replica is stopped anyway", async () => {
    const t = setup({ preStop: [hook("drain")] });
    t.engine.commands.set("drain", { exitCode: 2 });
    const outcomes = await controlReplicas(t.engine, [[t.engine.byName("demo_web.1")!]], "stop", {
      hooks: { spec: t.spec, sink: t.sink },
    });
    expect(outcomes).toEqual([
      { name: "demo_web.1", result: "stopped; web pre_stop[0] exited with status 2", ok: false },
    ]);
    expect(t.engine.byName("demo_web.1")?.state).toBe("exited");
  });
});
