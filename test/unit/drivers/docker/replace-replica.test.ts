import { describe, expect, it } from "vitest";
import { replacementName } from "../../../../src/model/naming.js";
import type { DockerOperation } from "../../../../src/drivers/docker/operations.js";
import { serviceConfigHash } from "../../../../src/model/config-hash.js";
import type { FailureAction, ServiceSpec, UpdateConfigSpec } from "../../../../src/model/types.js";
import { STACK, serviceSpec, stackSpec } from "./helpers/fixtures.js";
import {
  execute,
  FakeEngine,
  ops,
  planOf,
  recordingSink,
  type DockerTestContext,
} from "./helpers/fake-engine.js";

const OLD = "v1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/** A web service with `replicas` old replicas running on the fake engine, and a batch-chained plan replacing them. */
function setup(
  update: Partial<UpdateConfigSpec>,
  replicas = 1,
  overrides: Parameters<typeof serviceSpec>[1] = {},
) {
  const service = serviceSpec("web", {
    replicas,
    environment: { VERSION: "2" },
    stopGracePeriodMs: 1000,
    update: { monitorMs: 20, ...update },
    ...overrides,
  });
  const spec = stackSpec({ services: [service] });
  const engine = new FakeEngine();
  const oldIds = Array.from({ length: replicas }, (_, i) =>
    engine.seed({
      stack: STACK,
      name: `demo_web.${i + 1}`,
      service: "web",
      slot: i + 1,
      configHash: OLD,
      id: `old${i + 1}`,
    }),
  );
  const parallelism = update.parallelism ?? 1;
  const order = update.order ?? "stop-first";
  const plan: DockerOperation[] = [];
  let previous: string[] = [];
  for (let start = 0; start < replicas; start += parallelism) {
    const batch = oldIds
      .slice(start, start + parallelism)
      .map((id, i) => ops.replace(STACK, "web", start + i + 1, id, order, previous));
    plan.push(...batch);
    previous = batch.map((op) => op.id);
  }
  const sink = recordingSink();
  const ctx: DockerTestContext = {
    engine,
    spec,
    sink,
    parallel: 8,
    pollIntervalMs: 2,
    readyTimeoutMs: 300,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
  };
  const newName = (slot: number) => replacementName(STACK, "web", slot, serviceConfigHash(service));
  const keptName = (slot: number) => replacementName(STACK, "web", slot, OLD);
  return {
    service,
    spec,
    engine,
    plan: planOf(STACK, plan),
    ctx,
    sink,
    newName,
    keptName,
    hash: serviceConfigHash(service),
  };
}

function summary(engine: FakeEngine) {
  return engine.list().map((c) => `${c.name} ${c.id.startsWith("old") ? "old" : "new"} ${c.state}`);
}

describe("replace-container", () => {
  it("stop-first: create new, stop old, start new, monitor, remove old, rename new", async () => {
    const t = setup({ order: "stop-first" });
    const result = await execute(t.plan, t.ctx);
    expect(result.ok).toBe(true);
    const n = t.newName(1);
    expect(t.engine.calls).toEqual([
      `create ${n}`,
      "stop demo_web.1 1000ms",
      `start ${n}`,
      "remove demo_web.1",
      `rename ${n} -> demo_web.1`,
    ]);
    expect(t.engine.list().map((c) => [c.name, c.configHash, c.state])).toEqual([
      ["demo_web.1", t.hash, "running"],
    ]);
  });

  it("start-first: create new, start new, monitor, stop and remove old, rename new", async () => {
    const t = setup({ order: "start-first" });
    const result = await execute(t.plan, t.ctx);
    expect(result.ok).toBe(true);
    const n = t.newName(1);
    expect(t.engine.calls).toEqual([
      `create ${n}`,
      `start ${n}`,
      "stop demo_web.1 1000ms",
      "remove demo_web.1",
      `rename ${n} -> demo_web.1`,
    ]);
  });

  it("monitors the new replica until it is healthy and then for monitor_ms", async () => {
    const t = setup({ monitorMs: 30 });
    t.engine.behave("web", { health: "healthy", healthyAfterReads: 3 });
    const started = Date.now();
    const result = await execute(t.plan, t.ctx);
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(t.engine.byName("demo_web.1")?.health).toBe("healthy");
  });

  it("a new replica that exits restores the old one and reports its logs", async () => {
    const t = setup({ order: "stop-first" });
    t.engine.behave("web", {
      exitCode: 1,
      exitAfterReads: 1,
      logs: ["starting", "fatal: no config"],
    });
    const result = await execute(t.plan, t.ctx);
    const n = t.newName(1);
    expect(result.ok).toBe(false);
    expect(t.engine.calls).toEqual([
      `create ${n}`,
      "stop demo_web.1 1000ms",
      `start ${n}`,
      `remove ${n}`,
      "start demo_web.1",
    ]);
    expect(summary(t.engine)).toEqual(["demo_web.1 old running"]);
    expect(result.failed[0]?.error).toBe(
      `update of web paused at slot 1: ${n} exited with code 1; the previous replica was restored`,
    );
    expect(result.failed[0]?.logs).toEqual(["starting", "fatal: no config"]);
  });

  it("start-first failure leaves the old replica running untouched", async () => {
    const t = setup({ order: "start-first" });
    t.engine.behave("web", { health: "unhealthy", healthyAfterReads: 1 });
    const result = await execute(t.plan, t.ctx);
    const n = t.newName(1);
    expect(result.failed[0]?.error).toContain(`${n} is unhealthy`);
    expect(t.engine.calls).toEqual([`create ${n}`, `start ${n}`, `remove ${n}`]);
    expect(summary(t.engine)).toEqual(["demo_web.1 old running"]);
  });

  it("a new replica that never becomes healthy times out and is rolled out of the slot", async () => {
    const t = setup({});
    t.ctx = { ...t.ctx, readyTimeoutMs: 40 };
    t.engine.behave("web", { health: "never" });
    const result = await execute(t.plan, t.ctx);
    expect(result.failed[0]?.error).toMatch(/did not become healthy within 40ms/);
    expect(summary(t.engine)).toEqual(["demo_web.1 old running"]);
  });

  it("a taken replacement name fails without deleting or stopping anything", async () => {
    const t = setup({});
    t.engine.seed({
      stack: STACK,
      name: t.newName(1),
      service: "web",
      slot: 1,
      configHash: t.hash,
      state: "created",
      id: "leftover",
    });
    const result = await execute(t.plan, t.ctx);
    expect(result.failed[0]?.error).toContain(`a container named ${t.newName(1)} already exists`);
    expect(t.engine.calls).toEqual([`create ${t.newName(1)}`]);
    expect(t.engine.list().map((c) => [c.name, c.state])).toEqual([
      ["demo_web.1", "running"],
      [t.newName(1), "created"],
    ]);
  });

  describe("failure_action", () => {
    function failSlot(t: ReturnType<typeof setup>, slot: number) {
      t.engine.behave(t.newName(slot), { exitCode: 2, logs: [`slot ${slot} crashed`] });
    }

    it("pause: the failing batch stops the update; later batches are skipped", async () => {
      const t = setup({ failureAction: "pause" }, 3);
      failSlot(t, 2);
      const result = await execute(t.plan, t.ctx);
      expect(result.done).toEqual(["container:web.1:replace"]);
      expect(result.failed.map((f) => [f.op.id, f.blocking])).toEqual([
        ["container:web.2:replace", true],
      ]);
      expect(result.failed[0]?.error).toMatch(/^update of web paused at slot 2: /);
      expect(result.skipped).toEqual(["container:web.3:replace"]);
      expect(t.sink.of("op-skipped")[0]?.reason).toBe("dependency container:web.2:replace failed");
      expect(summary(t.engine)).toEqual([
        "demo_web.1 new running",
        "demo_web.2 old running",
        "demo_web.3 old running",
      ]);
    });

    it("continue: the failure is reported but later batches still run", async () => {
      const t = setup({ failureAction: "continue" }, 3);
      failSlot(t, 2);
      const result = await execute(t.plan, t.ctx);
      expect(result.ok).toBe(false);
      expect(result.done).toEqual(["container:web.1:replace", "container:web.3:replace"]);
      expect(result.failed.map((f) => [f.op.id, f.blocking])).toEqual([
        ["container:web.2:replace", false],
      ]);
      expect(result.failed[0]?.error).toMatch(
        /the update of web continues \(failure_action continue\)$/,
      );
      expect(result.skipped).toEqual([]);
      expect(summary(t.engine)).toEqual([
        "demo_web.1 new running",
        "demo_web.2 old running",
        "demo_web.3 new running",
      ]);
    });

    it("rollback: slots replaced earlier in the run go back to their previous replicas", async () => {
      const t = setup({ failureAction: "rollback" }, 3);
      failSlot(t, 3);
      const result = await execute(t.plan, t.ctx);
      expect(result.failed.map((f) => f.op.id)).toEqual(["container:web.3:replace"]);
      expect(result.failed[0]?.error).toMatch(
        /^update of web failed at slot 3: .* exited with code 2; the previous replica was restored; rolled back slots 2, 1 to the previous version$/,
      );
      expect(t.engine.list().map((c) => [c.name, c.id, c.state, c.configHash])).toEqual([
        ["demo_web.1", "old1", "running", OLD],
        ["demo_web.2", "old2", "running", OLD],
        ["demo_web.3", "old3", "running", OLD],
      ]);
      // While the update ran, predecessors were kept stopped under their own hash name.
      expect(t.engine.calls).toContain(`rename demo_web.1 -> ${t.keptName(1)}`);
      expect(t.engine.calls).toContain(`rename ${t.keptName(1)} -> demo_web.1`);
    });

    it("rollback: when every slot succeeds the kept predecessors are removed at the end", async () => {
      const t = setup({ failureAction: "rollback" }, 2);
      const result = await execute(t.plan, t.ctx);
      expect(result.ok).toBe(true);
      expect(summary(t.engine)).toEqual(["demo_web.1 new running", "demo_web.2 new running"]);
      const calls = t.engine.calls;
      // Slot 1's predecessor survives until slot 2 has been replaced.
      expect(calls.indexOf(`remove ${t.keptName(1)}`)).toBeGreaterThan(
        calls.indexOf(`rename ${t.newName(2)} -> demo_web.2`),
      );
    });

    it("rollback: a slot of the same batch still being monitored undoes itself", async () => {
      const t = setup({ failureAction: "rollback", parallelism: 2, monitorMs: 200 }, 2);
      failSlot(t, 2);
      const result = await execute(t.plan, t.ctx);
      expect(result.failed.map((f) => f.op.id).sort()).toEqual([
        "container:web.1:replace",
        "container:web.2:replace",
      ]);
      const slot1 = result.failed.find((f) => f.op.id === "container:web.1:replace");
      expect(slot1?.error).toMatch(/was undone: the update of web rolled back after slot 2 failed/);
      expect(t.engine.list().map((c) => [c.name, c.id, c.state])).toEqual([
        ["demo_web.1", "old1", "running"],
        ["demo_web.2", "old2", "running"],
      ]);
    });

    it.each<[FailureAction, string[]]>([
      ["pause", ["container:web.4:replace"]],
      ["rollback", ["container:web.4:replace"]],
    ])(
      "max_failure_ratio 0.5 tolerates 2 of 4 failures; the third triggers %s",
      async (action, skipped) => {
        const t = setup({ failureAction: action, maxFailureRatio: 0.5 }, 4);
        failSlot(t, 1);
        failSlot(t, 2);
        failSlot(t, 3);
        const result = await execute(t.plan, t.ctx);
        expect(result.failed.map((f) => [f.op.id, f.blocking])).toEqual([
          ["container:web.1:replace", false],
          ["container:web.2:replace", false],
          ["container:web.3:replace", true],
        ]);
        expect(result.failed[0]?.error).toMatch(/within max_failure_ratio/);
        expect(result.skipped).toEqual(skipped);
        expect(summary(t.engine)).toEqual([1, 2, 3, 4].map((s) => `demo_web.${s} old running`));
      },
    );
  });

  it("a replica that was not running is replaced without being started again on failure", async () => {
    const service: ServiceSpec = serviceSpec("web", {
      environment: { V: "2" },
      update: { monitorMs: 0 },
    });
    const spec = stackSpec({ services: [service] });
    const engine = new FakeEngine().behave("web", { exitCode: 1 });
    engine.seed({
      stack: STACK,
      name: "demo_web.1",
      service: "web",
      slot: 1,
      configHash: OLD,
      state: "exited",
      exitCode: 1,
      id: "old1",
    });
    const sink = recordingSink();
    const result = await execute(
      planOf(STACK, [ops.replace(STACK, "web", 1, "old1", "stop-first")]),
      {
        engine,
        spec,
        sink,
        parallel: 1,
        pollIntervalMs: 2,
        retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
      },
    );
    expect(result.ok).toBe(false);
    expect(engine.calls.filter((c) => c === "start demo_web.1")).toEqual([]);
    expect(engine.list().map((c) => [c.name, c.state])).toEqual([["demo_web.1", "exited"]]);
  });
});
