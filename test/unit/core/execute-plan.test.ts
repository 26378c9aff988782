import { describe, expect, it } from "vitest";

import { EngineError } from "../../../src/core/errors.js";
import type { StackSpec } from "../../../src/model/types.js";
import { STACK, serviceSpec, stackSpec } from "../drivers/docker/helpers/fixtures.js";
import {
  execute,
  FakeEngine,
  type DockerTestContext,
  invalid,
  ops,
  planOf,
  recordingSink,
  reset,
  retryable,
} from "../drivers/docker/helpers/fake-engine.js";

const fastRetry = { minTimeoutMs: 1, maxTimeoutMs: 2 };

function context(engine: FakeEngine, spec: StackSpec, extra: Partial<DockerTestContext> = {}) {
  const sink = recordingSink();
  const ctx: DockerTestContext = {
    engine,
    spec,
    sink,
    parallel: 4,
    pollIntervalMs: 2,
    readyTimeoutMs: 500,
    retry: fastRetry,
    ...extra,
  };
  return { ctx, sink };
}

describe("executePlan", () => {
  it("starts an op only after its dependencies and keeps at most `parallel` writes in flight", async () => {
    const spec = stackSpec({
      services: [serviceSpec("web", { replicas: 6 })],
      networks: { default: {} },
    });
    const engine = new FakeEngine();
    engine.latencyMs = 5;
    const net = ops.network(STACK, "default");
    const creates = [1, 2, 3, 4, 5, 6].map((slot) =>
      ops.create(STACK, "web", slot, [net.id, "image:web:1:pull"]),
    );
    const plan = planOf(STACK, [net, ops.pull("web:1"), ...creates]);
    const { ctx, sink } = context(engine, spec, { parallel: 2 });

    const result = await execute(plan, ctx);

    expect(result.ok).toBe(true);
    expect(result.done).toHaveLength(8);
    expect(engine.maxInFlight).toBe(2);
    const firstCreate = engine.calls.findIndex((c) => c.startsWith("create demo_web"));
    expect(engine.calls.indexOf("create network demo_default")).toBeLessThan(firstCreate);
    expect(engine.calls.indexOf("pull web:1")).toBeLessThan(firstCreate);
    expect(engine.list().map((c) => [c.name, c.state])).toEqual(
      [1, 2, 3, 4, 5, 6].map((slot) => [`demo_web.${slot}`, "running"]),
    );
    expect(sink.of("op-start")).toHaveLength(8);
    expect(sink.of("op-done")).toHaveLength(8);
  });

  it("passes the network's config hash and creates volumes from the spec", async () => {
    const spec = stackSpec({ services: [], networks: { back: {} }, volumes: { data: {} } });
    const engine = new FakeEngine();
    const result = await execute(
      planOf(STACK, [ops.network(STACK, "back"), ops.volume(STACK, "data")]),
      context(engine, spec).ctx,
    );
    expect(result.ok).toBe(true);
    expect(engine.networkNames()).toEqual(["demo_back"]);
    expect(engine.volumeNames()).toEqual(["demo_data"]);
    const observed = await engine.observe(STACK);
    expect(observed.networks[0]?.configHash).toMatch(/^v1:[0-9a-f]{64}$/);
  });

  it.each([
    ["a 5xx", retryable],
    ["ECONNRESET", reset],
  ])("retries %s from the engine and then succeeds", async (_name, error) => {
    const spec = stackSpec({ services: [serviceSpec("web")] });
    const engine = new FakeEngine().fail("createContainer", error, 2);
    const { ctx, sink } = context(engine, spec);
    const result = await execute(planOf(STACK, [ops.create(STACK, "web", 1)]), ctx);
    expect(result.ok).toBe(true);
    expect(engine.attempts.get("createContainer")).toBe(3);
    expect(engine.byName("demo_web.1")?.state).toBe("running");
    expect(sink.of("info").map((e) => e.message)).toHaveLength(2);
  });

  it("fails a non-retryable error at once, naming the object, without retrying", async () => {
    const spec = stackSpec({ services: [], networks: { back: {} } });
    const engine = new FakeEngine().fail("createNetwork", () => invalid("invalid subnet"), 5);
    const { ctx, sink } = context(engine, spec);
    const result = await execute(planOf(STACK, [ops.network(STACK, "back")]), ctx);
    expect(result.ok).toBe(false);
    expect(engine.attempts.get("createNetwork")).toBe(1);
    expect(result.failed[0]?.error).toBe("creating network demo_back: invalid subnet");
    expect((result.failed[0]?.cause as EngineError).kind).toBe("invalid");
    expect(sink.of("op-failed")[0]?.error).toBe("creating network demo_back: invalid subnet");
  });

  it("gives up after the retry limit", async () => {
    const spec = stackSpec({ services: [serviceSpec("web")] });
    const engine = new FakeEngine().fail("createContainer", retryable, 10);
    const { ctx } = context(engine, spec, { retry: { ...fastRetry, retries: 2 } });
    const result = await execute(planOf(STACK, [ops.create(STACK, "web", 1)]), ctx);
    expect(result.failed.map((f) => f.op.id)).toEqual(["container:web.1:create"]);
    expect(engine.attempts.get("createContainer")).toBe(3);
  });

  it("skips only the dependents of a failed op, naming the failed dependency; the rest runs", async () => {
    const spec = stackSpec({
      services: [
        serviceSpec("api"),
        serviceSpec("worker", { image: "worker:1" }),
        serviceSpec("web"),
      ],
    });
    const engine = new FakeEngine().fail(
      "pullImage",
      () => new EngineError("not-found", "manifest unknown"),
      1,
      (i) => i === "api:1",
    );
    const pull = ops.pull("api:1");
    const api = ops.create(STACK, "api", 1, [pull.id]);
    const waitApi = ops.wait("api", "service_started", [api.id]);
    const web = ops.create(STACK, "web", 1, [waitApi.id]);
    const worker = ops.create(STACK, "worker", 1);
    const { ctx, sink } = context(engine, spec);

    const result = await execute(planOf(STACK, [pull, worker, api, waitApi, web]), ctx);

    expect(result.ok).toBe(false);
    expect(result.failed.map((f) => f.error)).toEqual(["pulling image api:1: manifest unknown"]);
    expect(result.skipped).toEqual([api.id, waitApi.id, web.id]);
    expect(result.done).toEqual([worker.id]);
    expect(sink.of("op-skipped").map((e) => [e.op.id, e.reason])).toEqual([
      [api.id, "dependency image:api:1:pull failed"],
      [waitApi.id, `dependency ${api.id} was skipped`],
      [web.id, `dependency ${waitApi.id} was skipped`],
    ]);
    expect(engine.list().map((c) => c.name)).toEqual(["demo_worker.1"]);
  });

  it("emits pull progress while pulling", async () => {
    const engine = new FakeEngine();
    const { ctx, sink } = context(engine, stackSpec({ services: [] }));
    await execute(planOf(STACK, [ops.pull("redis:7")]), ctx);
    expect(sink.of("pull-progress").map((e) => [e.image, e.status])).toEqual([
      ["redis:7", "Downloading"],
      ["redis:7", "Pull complete"],
    ]);
  });

  it("fails a create whose name is taken with a clear message and deletes nothing", async () => {
    const spec = stackSpec({ services: [serviceSpec("web")] });
    const engine = new FakeEngine();
    engine.seed({
      stack: STACK,
      name: "demo_web.1",
      service: "web",
      slot: 1,
      configHash: "v1:leftover",
      state: "created",
    });
    const result = await execute(
      planOf(STACK, [ops.create(STACK, "web", 1)]),
      context(engine, spec).ctx,
    );
    expect(result.failed[0]?.error).toMatch(
      /cannot create demo_web\.1: a container with that name already exists/,
    );
    expect(engine.calls).toEqual(["create demo_web.1"]);
    expect(engine.byName("demo_web.1")?.configHash).toBe("v1:leftover");
  });

  it("attaches the container's last 20 log lines when it cannot start", async () => {
    const spec = stackSpec({ services: [serviceSpec("web")] });
    const logs = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`);
    const engine = new FakeEngine().behave("web", {
      startError: new EngineError("server", "port is already allocated", { statusCode: 500 }),
      logs,
    });
    const { ctx, sink } = context(engine, spec, { retry: { ...fastRetry, retries: 1 } });
    const result = await execute(planOf(STACK, [ops.create(STACK, "web", 1)]), ctx);
    expect(result.failed[0]?.error).toBe("starting demo_web.1: port is already allocated");
    expect(result.failed[0]?.logs).toEqual(logs.slice(5));
    expect(sink.of("op-failed")[0]?.logs).toHaveLength(20);
  });

  it("stops a removed replica with its own grace period (set at create) before removing it", async () => {
    const spec = stackSpec({ services: [serviceSpec("web", { stopGracePeriodMs: 3000 })] });
    const engine = new FakeEngine();
    const id = engine.seed({
      stack: STACK,
      name: "demo_web.2",
      service: "web",
      slot: 2,
      configHash: "h",
    });
    const result = await execute(
      planOf(STACK, [ops.remove(STACK, "web", 2, id)]),
      context(engine, spec).ctx,
    );
    expect(result.ok).toBe(true);
    // No timeout named: the engine uses the container's StopTimeout (stop_grace_period).
    expect(engine.calls).toEqual(["stop demo_web.2", "remove demo_web.2"]);
  });

  it("stops removed replicas with the grace period the run names (rm -t) instead", async () => {
    const engine = new FakeEngine();
    const id = engine.seed({
      stack: STACK,
      name: "demo_web.2",
      service: "web",
      slot: 2,
      configHash: "h",
    });
    const spec = stackSpec({ services: [serviceSpec("web", { stopGracePeriodMs: 3000 })] });
    const result = await execute(
      planOf(STACK, [ops.remove(STACK, "web", 2, id)]),
      context(engine, spec, { stopTimeoutMs: 0 }).ctx,
    );
    expect(result.ok).toBe(true);
    expect(engine.calls).toEqual(["stop demo_web.2 0ms", "remove demo_web.2"]);
  });

  it("runs the grace periods of removals at once while holding at most --parallel slots for engine work", async () => {
    const engine = new FakeEngine();
    engine.latencyMs = 5;
    // Each stop waits 40 ms (its grace period); removals themselves are quick.
    engine.stopDelayMs = 40;
    const spec = stackSpec({ services: [serviceSpec("web")] });
    const removals = [1, 2, 3, 4, 5, 6].map((slot) =>
      ops.remove(
        STACK,
        "web",
        slot,
        engine.seed({
          stack: STACK,
          name: `demo_web.${slot}`,
          service: "web",
          slot,
          configHash: "h",
        }),
      ),
    );
    const result = await execute(
      planOf(STACK, removals),
      context(engine, spec, { parallel: 2 }).ctx,
    );
    expect(result.ok).toBe(true);
    expect(engine.list()).toEqual([]);
    // All six stops were waiting at the same time although only two slots exist.
    expect(engine.maxStopping).toBe(6);
  });

  it("after an abort starts no new op and stops a running one after its current engine call", async () => {
    const spec = stackSpec({ services: [serviceSpec("web", { replicas: 3 })] });
    const engine = new FakeEngine();
    const controller = new AbortController();
    engine.beforeWrite = (method) => {
      if (method === "createContainer") controller.abort();
    };
    const plan = planOf(
      STACK,
      [1, 2, 3].map((slot) => ops.create(STACK, "web", slot)),
    );
    const { ctx, sink } = context(engine, spec, { parallel: 1, signal: controller.signal });

    const result = await execute(plan, ctx);

    expect(result.interrupted).toBe(true);
    expect(result.ok).toBe(false);
    expect(engine.calls).toEqual(["create demo_web.1"]);
    expect(result.failed.map((f) => f.error)).toEqual(["interrupted before starting demo_web.1"]);
    expect(result.skipped).toEqual(["container:web.2:create", "container:web.3:create"]);
    expect(sink.of("op-skipped").map((e) => e.reason)).toEqual(["interrupted", "interrupted"]);
  });

  it("an abort ends a delay at once", async () => {
    const controller = new AbortController();
    const { ctx } = context(new FakeEngine(), stackSpec({ services: [] }), {
      signal: controller.signal,
    });
    const started = Date.now();
    setTimeout(() => controller.abort(), 10);
    const result = await execute(planOf(STACK, [ops.delay("delay:web:batch2", 60_000)]), ctx);
    expect(result.interrupted).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("refuses a malformed plan before any engine call", async () => {
    const engine = new FakeEngine();
    const { ctx } = context(engine, stackSpec({ services: [serviceSpec("web")] }));
    await expect(
      execute(planOf(STACK, [ops.create(STACK, "web", 1, ["nope"])]), ctx),
    ).rejects.toThrow("waits for unknown operation nope");
    const a = ops.delay("a", 0, ["b"]);
    const b = ops.delay("b", 0, ["a"]);
    await expect(execute(planOf(STACK, [a, b]), ctx)).rejects.toThrow("dependency cycle");
    expect(engine.calls).toEqual([]);
  });

  it("an empty plan succeeds without touching the engine", async () => {
    const engine = new FakeEngine();
    const result = await execute(
      planOf(STACK, []),
      context(engine, stackSpec({ services: [] })).ctx,
    );
    expect(result).toEqual({ ok: true, done: [], failed: [], skipped: [], interrupted: false });
    expect(engine.calls).toEqual([]);
  });
});
