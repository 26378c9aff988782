import { describe, expect, it } from "vitest";
import { executePlan } from "../../../../src/core/execute-plan.js";
import { dockerRunner } from "../../../../src/drivers/docker/run-operation.js";
import { waitReady, type ReadinessContext } from "../../../../src/drivers/docker/readiness.js";
import { StepFailure } from "../../../../src/core/errors.js";
import type { ContainerState, HealthState } from "../../../../src/core/replica.js";
import type { DependencyCondition, RestartCondition } from "../../../../src/model/types.js";
import { STACK, serviceSpec, stackSpec } from "./helpers/fixtures.js";
import { FakeEngine, ops, planOf, recordingSink, type Behavior } from "./helpers/fake-engine.js";

interface Replica {
  state?: ContainerState;
  exitCode?: number;
  health?: HealthState;
  behavior?: Behavior;
}

function setup(restart: RestartCondition, replicas: readonly Replica[], wanted = replicas.length) {
  const spec = stackSpec({ services: [serviceSpec("db", { replicas: wanted, restart })] });
  const engine = new FakeEngine();
  replicas.forEach((r, i) =>
    engine.seed({
      stack: STACK,
      name: `demo_db.${i + 1}`,
      service: "db",
      slot: i + 1,
      configHash: "h",
      ...r,
      behavior: { logs: [`db ${i + 1} says hi`], ...r.behavior },
    }),
  );
  const sink = recordingSink();
  const ctx: ReadinessContext = {
    engine,
    spec,
    sink,
    // The fake's replicas change per observation, not with time: waits that succeed need no
    // deadline of their own, so only the tests of a time-out set a short one.
    timeoutMs: 10_000,
    pollIntervalMs: 2,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
  };
  return { engine, ctx, sink };
}

async function failure(promise: Promise<unknown>): Promise<StepFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StepFailure);
  return error as StepFailure;
}

describe("waitReady", () => {
  it("service_healthy waits until every replica is healthy and says what it waits for", async () => {
    const t = setup("any", [
      { behavior: { health: "healthy", healthyAfterReads: 1 } },
      { behavior: { health: "healthy", healthyAfterReads: 4 } },
    ]);
    await waitReady("db", "service_healthy", t.ctx);
    expect(t.engine.list().map((c) => c.health)).toEqual(["healthy", "healthy"]);
    expect(t.engine.observeCount).toBeGreaterThanOrEqual(5);
    expect(t.sink.of("waiting")).toEqual([
      { type: "waiting", target: "db", what: "to become healthy" },
    ]);
  });

  it.each<[string, DependencyCondition, RestartCondition, Replica, RegExp]>([
    [
      "healthy, replica exited, restart none",
      "service_healthy",
      "none",
      { state: "exited", exitCode: 1 },
      /db failed to become healthy: demo_db\.1 exited with code 1/,
    ],
    [
      "healthy, replica unhealthy",
      "service_healthy",
      "any",
      { health: "unhealthy" },
      /demo_db\.1 is unhealthy/,
    ],
    [
      "healthy, replica without healthcheck",
      "service_healthy",
      "any",
      {},
      /demo_db\.1 has no healthcheck/,
    ],
    [
      "healthy, replica dead",
      "service_healthy",
      "any",
      { state: "dead", exitCode: 137 },
      /demo_db\.1 is dead with code 137/,
    ],
    [
      "completed, exit code 3",
      "service_completed_successfully",
      "any",
      { state: "exited", exitCode: 3 },
      /db failed to complete successfully: demo_db\.1 exited with code 3/,
    ],
    [
      "started, exited 1 with restart none",
      "service_started",
      "none",
      { state: "exited", exitCode: 1 },
      /db failed to start: demo_db\.1 exited with code 1/,
    ],
    [
      "started, exited 0 with restart on-failure and healthy wanted",
      "service_healthy",
      "on-failure",
      { state: "exited", exitCode: 0 },
      /exited with code 0/,
    ],
  ])(
    "fails fast (%s) with the replica's logs",
    async (_name, condition, restart, replica, message) => {
      const t = setup(restart, [replica]);
      const error = await failure(waitReady("db", condition, { ...t.ctx, timeoutMs: 10_000 }));
      expect(error.message).toMatch(message);
      expect(error.kind).toBe("failed");
      expect(error.logs).toEqual(["db 1 says hi"]);
      expect(t.engine.observeCount).toBe(1);
    },
  );

  it.each<[string, DependencyCondition, RestartCondition, Replica]>([
    ["started: running", "service_started", "none", {}],
    [
      "started: a one-shot that exited 0",
      "service_started",
      "none",
      { state: "exited", exitCode: 0 },
    ],
    [
      "completed: exited 0",
      "service_completed_successfully",
      "none",
      { state: "exited", exitCode: 0 },
    ],
    [
      "completed: still running, then exits 0",
      "service_completed_successfully",
      "none",
      { behavior: { exitCode: 0, exitAfterReads: 3 } },
    ],
  ])("holds (%s)", async (_name, condition, restart, replica) => {
    const t = setup(restart, [replica]);
    await expect(waitReady("db", condition, t.ctx)).resolves.toBeUndefined();
  });

  it("keeps waiting while a restart is coming and times out naming the replica", async () => {
    const t = setup("any", [{ state: "exited", exitCode: 1 }]);
    const error = await failure(waitReady("db", "service_started", { ...t.ctx, timeoutMs: 60 }));
    expect(error.kind).toBe("timeout");
    expect(error.message).toBe(
      "timed out after 60ms waiting for db to start: demo_db.1 exited with code 1, restarting",
    );
    expect(error.logs).toEqual(["db 1 says hi"]);
  });

  it("waits for replicas that do not exist yet", async () => {
    const t = setup("any", [{}], 2);
    const error = await failure(waitReady("db", "service_started", { ...t.ctx, timeoutMs: 60 }));
    expect(error.message).toMatch(/waiting for db to start: replica 2 does not exist yet/);
  });

  it("judges a slot by its slot-named container, not by a predecessor kept beside it", async () => {
    const t = setup("none", [{ health: "healthy" }]);
    t.engine.seed({
      stack: STACK,
      name: "demo_db.1.0011aabb",
      service: "db",
      slot: 1,
      configHash: "old",
      state: "exited",
      exitCode: 0,
    });
    await expect(waitReady("db", "service_healthy", t.ctx)).resolves.toBeUndefined();
  });

  it("a service scaled to zero is ready at once", async () => {
    const t = setup("any", [], 0);
    await expect(waitReady("db", "service_healthy", t.ctx)).resolves.toBeUndefined();
  });

  it("as a plan op, a failed gate skips the services that depend on it", async () => {
    const spec = stackSpec({
      services: [
        serviceSpec("db", { restart: "none" }),
        serviceSpec("web", { dependsOn: { db: "service_healthy" } }),
      ],
    });
    const engine = new FakeEngine().behave("db", {
      health: "unhealthy",
      healthyAfterReads: 1,
      logs: ["db: disk full"],
    });
    const db = ops.create(STACK, "db", 1);
    const gate = ops.wait("db", "service_healthy", [db.id]);
    const web = ops.create(STACK, "web", 1, [gate.id]);
    const sink = recordingSink();
    const plan = planOf(STACK, [db, gate, web]);
    const ctx = { spec, sink, parallel: 2, pollIntervalMs: 2, readyTimeoutMs: 5_000 };
    const result = await executePlan(plan, dockerRunner(engine, plan, ctx), ctx);
    expect(result.failed.map((f) => [f.op.id, f.error, f.logs])).toEqual([
      [gate.id, "db failed to become healthy: demo_db.1 is unhealthy", ["db: disk full"]],
    ]);
    expect(result.skipped).toEqual([web.id]);
    expect(sink.of("waiting")[0]).toEqual({
      type: "waiting",
      target: "db",
      what: "to become healthy",
    });
  });
});
