import { describe, expect, it } from "vitest";
import { waitForStack, type WaitContext } from "../../../../src/drivers/docker/wait-stack.js";
import type { ServiceSpec } from "../../../../src/model/types.js";
import { STACK, serviceSpec, stackSpec } from "./helpers/fixtures.js";
import { FakeEngine, recordingSink, type Behavior } from "./helpers/fake-engine.js";

type SeedState = Parameters<FakeEngine["seed"]>[0];

function setup(services: ServiceSpec[], replicas: Record<string, Partial<SeedState>[]>) {
  const spec = stackSpec({ services });
  const engine = new FakeEngine();
  for (const [service, list] of Object.entries(replicas)) {
    list.forEach((r, i) =>
      engine.seed({
        stack: STACK,
        name: `demo_${service}.${i + 1}`,
        service,
        slot: i + 1,
        configHash: "h",
        ...r,
      }),
    );
  }
  const sink = recordingSink();
  const ctx: WaitContext = { engine, sink, timeoutMs: 60, pollIntervalMs: 2 };
  return { spec, engine, ctx, sink };
}

const healthyLater: Behavior = { health: "healthy", healthyAfterReads: 3 };

describe("waitForStack", () => {
  it("returns once replicas run, healthchecked ones are healthy and one-shot jobs exited 0", async () => {
    const t = setup(
      [
        serviceSpec("web", {
          replicas: 2,
          dependsOn: { migrate: "service_completed_successfully", db: "service_healthy" },
        }),
        serviceSpec("db"),
        serviceSpec("migrate", { restart: "none" }),
        serviceSpec("cron", { restart: "none" }),
      ],
      {
        web: [{}, {}],
        db: [{ behavior: healthyLater }],
        migrate: [{ behavior: { exitCode: 0, exitAfterReads: 2 } }],
        cron: [{ state: "exited", exitCode: 0 }],
      },
    );
    const result = await waitForStack(t.spec, { ...t.ctx, timeoutMs: 5_000 });
    expect(result).toEqual({ ok: true, timedOut: false, interrupted: false });
    expect(t.engine.byName("demo_db.1")?.health).toBe("healthy");
    expect(t.engine.byName("demo_migrate.1")?.exitCode).toBe(0);
    expect(t.sink.of("waiting")).toHaveLength(1);
  });

  it("does not count a replica that exits just after it started as ready", async () => {
    // Running at the first observations, then exited 3: a crash on bad configuration.
    const t = setup([serviceSpec("web", { restart: "none" })], {
      web: [{ behavior: { exitCode: 3, exitAfterReads: 3, logs: ["bad config"] } }],
    });
    const result = await waitForStack(t.spec, { ...t.ctx, timeoutMs: 5_000 });
    expect(result).toMatchObject({
      ok: false,
      timedOut: false,
      message: "web is not ready: demo_web.1 exited with code 3",
      logs: ["bad config"],
    });
  });

  it("fails at once on an unhealthy replica, naming it, with its logs", async () => {
    const t = setup([serviceSpec("web"), serviceSpec("db")], {
      web: [{}],
      db: [{ health: "unhealthy", behavior: { logs: ["FATAL: password authentication failed"] } }],
    });
    const result = await waitForStack(t.spec, { ...t.ctx, timeoutMs: 5_000 });
    expect(result.ok).toBe(false);
    expect(result.timedOut).toBe(false);
    expect(result.message).toBe("db is not ready: demo_db.1 is unhealthy");
    expect(result.replica).toEqual({
      service: "db",
      slot: 1,
      container: "demo_db.1",
      state: "running",
      health: "unhealthy",
    });
    expect(result.logs).toEqual(["FATAL: password authentication failed"]);
    expect(t.engine.observeCount).toBe(1);
  });

  it("fails when a one-shot job exits non-zero", async () => {
    const t = setup(
      [
        serviceSpec("web", { dependsOn: { migrate: "service_completed_successfully" } }),
        serviceSpec("migrate", { restart: "none" }),
      ],
      {
        web: [{}],
        migrate: [{ state: "exited", exitCode: 2, behavior: { logs: ["migration 7 failed"] } }],
      },
    );
    const result = await waitForStack(t.spec, t.ctx);
    expect(result.replica).toMatchObject({
      container: "demo_migrate.1",
      state: "exited",
      exitCode: 2,
    });
    expect(result.logs).toEqual(["migration 7 failed"]);
  });

  it("fails when a replica exited and its restart policy has used up its attempts", async () => {
    const t = setup(
      [
        serviceSpec("web", {
          deploy: { restartPolicy: { condition: "on-failure", maxAttempts: 3 } },
        }),
      ],
      { web: [{ state: "exited", exitCode: 1, restartCount: 3 }] },
    );
    const result = await waitForStack(t.spec, { ...t.ctx, timeoutMs: 5_000 });
    expect(result).toMatchObject({
      ok: false,
      timedOut: false,
      message: "web is not ready: demo_web.1 exited with code 1",
    });
  });

  it("keeps waiting for a replica whose restart policy still restarts it", async () => {
    const t = setup(
      [
        serviceSpec("web", {
          deploy: { restartPolicy: { condition: "on-failure", maxAttempts: 3 } },
        }),
      ],
      { web: [{ state: "exited", exitCode: 1, restartCount: 2 }] },
    );
    const result = await waitForStack(t.spec, t.ctx);
    expect(result).toMatchObject({ ok: false, timedOut: true });
  });

  it("times out on a crash-looping replica, naming it, its state and its logs", async () => {
    const t = setup([serviceSpec("web", { replicas: 2 })], {
      web: [{}, { state: "exited", exitCode: 137, behavior: { logs: ["Killed"] } }],
    });
    const started = Date.now();
    const result = await waitForStack(t.spec, t.ctx);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toEqual({
      ok: false,
      timedOut: true,
      interrupted: false,
      message: "timed out after 60ms waiting for web: demo_web.2 exited with code 137, restarting",
      replica: { service: "web", slot: 2, container: "demo_web.2", state: "exited", exitCode: 137 },
      logs: ["Killed"],
    });
  });

  it("times out naming a replica that does not exist", async () => {
    const t = setup([serviceSpec("web", { replicas: 2 })], { web: [{}] });
    const result = await waitForStack(t.spec, t.ctx);
    expect(result.timedOut).toBe(true);
    expect(result.replica).toEqual({ service: "web", slot: 2 });
  });

  it("reports an interruption", async () => {
    const t = setup([serviceSpec("web")], { web: [{ behavior: { health: "never" } }] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const result = await waitForStack(t.spec, {
      ...t.ctx,
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ ok: false, interrupted: true, timedOut: false });
  });
});
