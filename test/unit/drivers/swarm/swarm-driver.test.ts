import { describe, expect, it } from "vitest";
import { converge, type ConvergeContext } from "../../../../src/core/converge.js";
import { EngineError } from "../../../../src/core/errors.js";
import { SwarmDriver, swarmDeployment } from "../../../../src/drivers/swarm/swarm-driver.js";
import type { StackSpec } from "../../../../src/model/types.js";
import { attach, serviceSpec, stackSpec } from "../docker/helpers/fixtures.js";
import { recordingSink } from "../docker/helpers/fake-engine.js";
import { waitFor } from "../../../integration/docker/helpers.js";
import { FakeSwarm } from "./helpers/fake-swarm.js";

function app(version: string): StackSpec {
  return stackSpec({
    services: [
      serviceSpec("db", { networks: attach("back"), healthcheck: { test: ["CMD", "true"] } }),
      serviceSpec("web", {
        networks: attach("back"),
        environment: { VERSION: version },
        dependsOn: { db: "service_healthy" },
        replicas: 2,
      }),
    ],
    networks: { back: {} },
  });
}

function context(extra: Partial<ConvergeContext> = {}) {
  const sink = recordingSink();
  const ctx: ConvergeContext = {
    sink,
    parallel: 4,
    prune: false,
    pollIntervalMs: 1,
    readyTimeoutMs: 2_000,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
    ...extra,
  };
  return { ctx, sink };
}

async function deploy(swarm: FakeSwarm, spec: StackSpec, extra: Partial<ConvergeContext> = {}) {
  const deployment = swarmDeployment(swarm, spec, await swarm.desiredState(spec));
  const { ctx, sink } = context(extra);
  return { result: await converge(deployment, ctx), sink, deployment };
}

describe("the swarm driver on a fake swarm", () => {
  it("creates the network, then db, waits for it, then web; an unchanged redeploy changes nothing", async () => {
    const swarm = new FakeSwarm();
    const first = await deploy(swarm, app("1"));
    expect(first.result).toMatchObject({ ok: true, converged: true, rounds: 1, changed: true });
    expect(swarm.calls).toEqual([
      "create network demo_back",
      "create service demo_db",
      "create service demo_web",
    ]);
    expect(first.sink.of("op-done").map((e) => e.op.id)).toContain("wait:db:service_healthy");

    const again = await deploy(swarm, app("1"));
    expect(again.result).toMatchObject({ ok: true, rounds: 0, changed: false });
    expect(swarm.calls).toHaveLength(3);
  });

  it("updates only the changed service, sending its observed version", async () => {
    const swarm = new FakeSwarm();
    await deploy(swarm, app("1"));
    const version = swarm.serviceVersion("web");
    const update = await deploy(swarm, app("2"));
    expect(update.result).toMatchObject({ ok: true, converged: true, rounds: 1 });
    expect(swarm.calls.slice(3)).toEqual(["update service demo_web"]);
    expect(swarm.serviceVersion("web")).toBe((version ?? 0) + 1);
  });

  it("does not retry an update refused as out of sequence; the next round plans it again", async () => {
    const swarm = new FakeSwarm();
    await deploy(swarm, app("1"));
    swarm.fail("updateService", () => new EngineError("server", "update out of sequence"), 1);
    const failed = await deploy(swarm, app("2"));
    expect(failed.result.ok).toBe(false);
    expect(swarm.attempts.get("updateService")).toBe(1);
    expect(failed.result.failures[0]?.error).toBe(
      "updating service demo_web: update out of sequence",
    );
    const again = await deploy(swarm, app("2"));
    expect(again.result).toMatchObject({ ok: true, converged: true });
  });

  it("Ctrl-C during a depends_on gate ends the deploy as interrupted; the next deploy completes it", async () => {
    const swarm = new FakeSwarm();
    swarm.settleAfterReads = 1_000_000; // db never becomes ready while we watch
    const controller = new AbortController();
    const spec = app("1");
    const deployment = swarmDeployment(swarm, spec, await swarm.desiredState(spec));
    const { ctx } = context({ signal: controller.signal });
    const run = converge(deployment, ctx);
    await waitFor(() => (swarm.attempts.get("observe") ?? 0) >= 3, { what: "the gate polling" });
    controller.abort();
    const result = await run;
    expect(result).toMatchObject({ ok: false, interrupted: true });
    expect(swarm.calls).toEqual(["create network demo_back", "create service demo_db"]);

    swarm.settleAfterReads = 1;
    const again = await deploy(swarm, spec);
    expect(again.result).toMatchObject({ ok: true, converged: true });
    expect(swarm.calls.slice(2)).toEqual(["create service demo_web"]);
  });

  it("Ctrl-C while the manager does not answer ends observing as interrupted, not as an error", async () => {
    const swarm = new FakeSwarm().fail(
      "observe",
      () => new EngineError("unavailable", "connect ECONNREFUSED"),
      1000,
    );
    const controller = new AbortController();
    const spec = app("1");
    const deployment = swarmDeployment(swarm, spec, await swarm.desiredState(spec));
    const { ctx } = context({
      signal: controller.signal,
      retry: { retries: 1000, minTimeoutMs: 5, maxTimeoutMs: 5 },
    });
    const run = converge(deployment, ctx);
    await waitFor(() => (swarm.attempts.get("observe") ?? 0) >= 2, { what: "retries" });
    controller.abort();
    expect(await run).toMatchObject({ ok: false, interrupted: true, changed: false });
  });

  it("--wait fails naming the service when swarm paused its update", async () => {
    const swarm = new FakeSwarm();
    const first = await deploy(swarm, app("1"));
    swarm.settleAfterReads = 1_000_000;
    const second = await deploy(swarm, app("2"));
    expect(second.result.ok).toBe(true);
    swarm.setUpdateState("web", "paused");
    const waited = await second.deployment.waitReady({
      sink: recordingSink(),
      timeoutMs: 2_000,
      pollIntervalMs: 1,
    });
    expect(waited).toMatchObject({ ok: false, timedOut: false, interrupted: false });
    expect(waited.message).toMatch(/^service web: update of demo_web paused/);
    expect(first.result.ok).toBe(true);
  });

  it("--wait succeeds once every service runs tasks of the new spec", async () => {
    const swarm = new FakeSwarm();
    swarm.settleAfterReads = 3;
    const { deployment } = await deploy(swarm, app("1"));
    const waited = await deployment.waitReady({
      sink: recordingSink(),
      timeoutMs: 2_000,
      pollIntervalMs: 1,
    });
    expect(waited).toEqual({ ok: true, timedOut: false, interrupted: false });
  });

  it("rm removes the services, then the networks; replicas and services read from the tasks", async () => {
    const swarm = new FakeSwarm();
    const driver = new SwarmDriver(swarm);
    await deploy(swarm, app("1"));
    expect((await driver.replicas("demo")).map((t) => t.name).sort()).toEqual([
      "demo_db.1",
      "demo_web.1",
      "demo_web.2",
    ]);
    expect(await driver.services("demo")).toMatchObject([
      { name: "db", running: 1, desired: 1 },
      { name: "web", running: 2, desired: 2 },
    ]);
    const removal = await driver.planRemoval("demo", { volumes: false });
    expect(removal.plan.operations.map((op) => op.text)).toEqual([
      "remove service demo_db",
      "remove service demo_web",
      "remove network demo_back",
    ]);
  });

  it("refuses to control one task (swarm acts on services) before any change", async () => {
    const swarm = new FakeSwarm();
    const driver = new SwarmDriver(swarm);
    await deploy(swarm, app("1"));
    const calls = swarm.calls.length;
    const [task] = await driver.replicas("demo");
    await expect(
      driver.control("demo", ["web"], "restart", { replicas: [task!.id] }),
    ).rejects.toThrow(/swarm restarts whole services, not single tasks/);
    expect(swarm.calls).toHaveLength(calls);
  });
});
