import { describe, expect, it } from "vitest";
import { converge, type ConvergeContext } from "../../../src/core/converge.js";
import type { Deployment, PlanOptions } from "../../../src/core/driver.js";
import type { Plan } from "../../../src/core/operation.js";
import { dockerDeployment } from "../../../src/drivers/docker/docker-driver.js";
import type { DockerObservedState } from "../../../src/drivers/docker/observed-state.js";
import type { DockerOperation } from "../../../src/drivers/docker/operations.js";
import { serviceConfigHash } from "../../../src/model/config-hash.js";
import { replacementName } from "../../../src/model/naming.js";
import type { StackSpec, UpdateConfigSpec } from "../../../src/model/types.js";
import { EngineError } from "../../../src/core/errors.js";
import {
  STACK,
  attach,
  serviceSpec,
  stackSpec,
  volumeMount,
} from "../drivers/docker/helpers/fixtures.js";
import {
  FakeEngine,
  invalid,
  ops,
  reset,
  planOf,
  recordingSink,
} from "../drivers/docker/helpers/fake-engine.js";
import { waitFor } from "../../integration/docker/helpers.js";

function context(extra: Partial<ConvergeContext> = {}) {
  const sink = recordingSink();
  const ctx: ConvergeContext = {
    sink,
    parallel: 4,
    prune: false,
    pollIntervalMs: 2,
    readyTimeoutMs: 2_000,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 2 },
    ...extra,
  };
  return { ctx, sink };
}

type Planner = (observed: DockerObservedState, options: PlanOptions) => Plan<DockerOperation>;

/** A planner that returns the given plans round by round (then empty plans) and records its options. */
function scripted(plans: readonly (readonly DockerOperation[])[]) {
  const options: PlanOptions[] = [];
  const plan: Planner = (_observed, o) => {
    options.push(o);
    return planOf(STACK, plans[options.length - 1] ?? []);
  };
  return { plan, options };
}

/** The docker driver's deploy of `s` on `engine`, with `plan` in place of its planner. */
function deploy(
  engine: FakeEngine,
  s: StackSpec,
  plan?: Planner,
): Deployment<DockerObservedState, DockerOperation> {
  const d = dockerDeployment(engine, s);
  return plan === undefined ? d : { ...d, plan };
}

const spec = stackSpec({ services: [serviceSpec("web")], networks: { default: {} } });

describe("converge (injected planner)", () => {
  it("executes plans and re-observes until the plan is empty", async () => {
    const engine = new FakeEngine();
    const planner = scripted([[ops.network(STACK, "default")], [ops.create(STACK, "web", 1)]]);
    const { ctx, sink } = context({ forceRecreate: true });

    const result = await converge(deploy(engine, spec, planner.plan), ctx);

    expect(result).toMatchObject({
      ok: true,
      converged: true,
      rounds: 2,
      changed: true,
      failures: [],
      interrupted: false,
    });
    expect(result.plan.operations.map((op) => op.id)).toEqual(["network:default:create"]);
    expect(planner.options).toEqual([
      { prune: false, forceRecreate: true, firstRound: true },
      { prune: false },
      { prune: false },
    ]);
    expect(engine.observeCount).toBe(3);
    expect(sink.of("plan")).toHaveLength(2);
    expect(sink.of("summary")).toEqual([
      expect.objectContaining({ ok: true, done: 2, failed: 0, skipped: 0 }),
    ]);
  });

  it("asks the observation about the services' images, the external networks and volumes and the engine's start", async () => {
    const engine = new FakeEngine();
    const seen: unknown[] = [];
    const original = engine.observe.bind(engine);
    engine.observe = async (stack, want) => {
      seen.push(want);
      return original(stack, want);
    };
    const s = stackSpec({
      services: [
        serviceSpec("web", { image: "nginx:1" }),
        serviceSpec("api", { image: "nginx:1" }),
      ],
      networks: { proxy: { external: true } },
      volumes: { shared: { external: true }, data: {} },
    });
    await converge(deploy(engine, s, scripted([]).plan), context().ctx);
    expect(seen).toEqual([
      {
        images: ["nginx:1"],
        externalNetworks: ["proxy"],
        externalVolumes: ["shared"],
        engineStart: true,
      },
    ]);
  });

  it("stops after a round with a failure instead of planning again", async () => {
    const engine = new FakeEngine().fail("createNetwork", () => invalid("pool overlaps"), 10);
    const planner = scripted([
      [ops.network(STACK, "default"), ops.create(STACK, "web", 1, ["network:default:create"])],
      [],
    ]);
    const { ctx, sink } = context();

    const result = await converge(deploy(engine, spec, planner.plan), ctx);

    expect(result).toMatchObject({
      ok: false,
      converged: false,
      rounds: 1,
      changed: true,
      skipped: ["container:web.1:create"],
    });
    expect(result.failures.map((f) => f.error)).toEqual([
      "creating network demo_default: pool overlaps",
    ]);
    expect(planner.options).toHaveLength(1);
    expect(sink.of("summary")).toEqual([
      expect.objectContaining({ ok: false, failed: 1, skipped: 1 }),
    ]);
  });

  it("gives up after maxRounds and reports the plan still due", async () => {
    const engine = new FakeEngine();
    const again = [ops.network(STACK, "default")];
    const planner = scripted([again, again, again, again]);
    const { ctx, sink } = context({ maxRounds: 2 });
    const result = await converge(deploy(engine, spec, planner.plan), ctx);
    expect(result).toMatchObject({ ok: false, converged: false, rounds: 2 });
    expect(result.remaining?.operations.map((op) => op.id)).toEqual(["network:default:create"]);
    expect(sink.of("warning")[0]?.message).toBe(
      "demo did not converge after 2 rounds; still planned: network:default:create",
    );
  });

  it("does nothing for a converged stack", async () => {
    const engine = new FakeEngine();
    const { ctx, sink } = context();
    const result = await converge(deploy(engine, spec, scripted([]).plan), ctx);
    expect(result).toMatchObject({ ok: true, converged: true, rounds: 0, changed: false });
    expect(engine.calls).toEqual([]);
    expect(sink.of("plan")).toHaveLength(1);
  });

  it("dry run: observes and plans once, writes nothing", async () => {
    const engine = new FakeEngine();
    const planner = scripted([[ops.network(STACK, "default")]]);
    const { ctx, sink } = context({ dryRun: true });
    const result = await converge(deploy(engine, spec, planner.plan), ctx);
    expect(result).toMatchObject({ ok: true, rounds: 0, changed: false });
    expect(result.plan.operations).toHaveLength(1);
    expect(engine.calls).toEqual([]);
    expect(sink.of("summary")).toEqual([]);
  });

  it("executes nothing when the plan has blockers", async () => {
    const engine = new FakeEngine();
    const plan: Planner = () => ({
      ...planOf(STACK, [ops.create(STACK, "web", 1)]),
      blockers: [
        'external network "proxy" (networks.proxy) does not exist; create it before deploying',
      ],
    });
    const result = await converge(deploy(engine, spec, plan), context().ctx);
    expect(result).toMatchObject({ ok: false, rounds: 0, changed: false });
    expect(result.blockers).toHaveLength(1);
    expect(engine.calls).toEqual([]);
  });

  it("an abort stops the loop and reports the interruption", async () => {
    const engine = new FakeEngine();
    const controller = new AbortController();
    engine.beforeWrite = () => controller.abort();
    const planner = scripted([
      [ops.network(STACK, "default"), ops.create(STACK, "web", 1, ["network:default:create"])],
    ]);
    const result = await converge(
      deploy(engine, spec, planner.plan),
      context({ signal: controller.signal }).ctx,
    );
    expect(result).toMatchObject({
      ok: false,
      interrupted: true,
      rounds: 1,
      skipped: ["container:web.1:create"],
    });
    expect(engine.calls).toEqual(["create network demo_default"]);
  });
});

describe("converge: interruption while observing", () => {
  it("ends as interrupted (not an error) when Ctrl-C comes while the engine does not answer", async () => {
    const engine = new FakeEngine().fail("observe", reset, 1000);
    const controller = new AbortController();
    const { ctx, sink } = context({
      signal: controller.signal,
      retry: { retries: 1000, minTimeoutMs: 5, maxTimeoutMs: 5 },
    });
    const run = converge(deploy(engine, spec), ctx);
    await waitFor(() => (engine.attempts.get("observe") ?? 0) >= 2, { what: "retries" });
    controller.abort();
    expect(await run).toMatchObject({ ok: false, interrupted: true, rounds: 0, changed: false });
    expect(engine.calls).toEqual([]);
    expect(sink.of("summary")).toEqual([expect.objectContaining({ ok: false, done: 0 })]);
  });
});

describe("converge with the real planner on the fake engine", () => {
  it("recreates a replica whose start hits a task a killed dockerd left, in the same deploy", async () => {
    const engine = new FakeEngine().addImage("web:1");
    const s = stackSpec({ services: [serviceSpec("web", { restart: "none" })] });
    const stale = `task ${"ab".repeat(32)}: already exists`;
    // Created before the crash; its first start after the engine came back is refused.
    engine.seed({
      stack: STACK,
      name: "demo_web.1",
      service: "web",
      slot: 1,
      configHash: serviceConfigHash(s.services["web"]!),
      state: "created",
      behavior: { startError: new EngineError("conflict", stale, { statusCode: 500 }) },
    });
    const { ctx, sink } = context();
    const result = await converge(deploy(engine, s), ctx);
    expect(result).toMatchObject({ ok: true, converged: true, rounds: 2, failures: [] });
    expect(engine.calls).toEqual([
      "start demo_web.1",
      "stop demo_web.1",
      "remove demo_web.1",
      "create demo_web.1",
      "start demo_web.1",
    ]);
    expect(engine.list().map((c) => [c.name, c.state])).toEqual([["demo_web.1", "running"]]);
    // The second plan says why the replica is recreated; it was not retried in between.
    const plans = sink
      .of("plan")
      .map((e) => e.plan.operations.map((o) => `${o.text} (${o.cause})`));
    expect(plans[1]).toEqual([
      "remove container demo_web.1 (stale task)",
      "create container demo_web.1 (stale task)",
    ]);
    expect(engine.attempts.get("startContainer")).toBe(2);
  });

  function app(version: string, update: Partial<UpdateConfigSpec> = {}): StackSpec {
    return stackSpec({
      services: [
        serviceSpec("db", {
          image: "postgres:16",
          networks: attach("back"),
          mounts: [volumeMount("pgdata")],
          healthcheck: { test: ["CMD", "pg_isready"] },
        }),
        serviceSpec("web", {
          image: "app:1",
          replicas: 3,
          environment: { VERSION: version },
          networks: attach("back"),
          dependsOn: { db: "service_healthy" },
          update: { parallelism: 2, monitorMs: 5, ...update },
        }),
      ],
      networks: { back: {} },
      volumes: { pgdata: {} },
    });
  }

  it("deploys from nothing, is idempotent, and rolls an update out to every replica", async () => {
    const engine = new FakeEngine();
    const first = await converge(deploy(engine, app("1")), context().ctx);
    expect(first).toMatchObject({ ok: true, converged: true, rounds: 1, changed: true });
    const calls = engine.calls;
    expect(calls.slice(0, 4).sort()).toEqual([
      "create network demo_back",
      "create volume demo_pgdata",
      "pull app:1",
      "pull postgres:16",
    ]);
    // db must be healthy before any web replica is created.
    expect(calls.indexOf("start demo_db.1")).toBeLessThan(calls.indexOf("create demo_web.1"));
    expect(engine.list().map((c) => [c.name, c.state])).toEqual([
      ["demo_db.1", "running"],
      ["demo_web.1", "running"],
      ["demo_web.2", "running"],
      ["demo_web.3", "running"],
    ]);

    const before = engine.calls.length;
    const again = await converge(deploy(engine, app("1")), context().ctx);
    expect(again).toMatchObject({ ok: true, rounds: 0, changed: false });
    expect(engine.calls.length).toBe(before);

    const v2 = app("2");
    const update = await converge(deploy(engine, v2), context().ctx);
    expect(update).toMatchObject({ ok: true, converged: true, rounds: 1 });
    const hash = serviceConfigHash(v2.services["web"]!);
    expect(engine.list().map((c) => [c.name, c.state, c.configHash === hash])).toEqual([
      ["demo_db.1", "running", false],
      ["demo_web.1", "running", true],
      ["demo_web.2", "running", true],
      ["demo_web.3", "running", true],
    ]);
  });

  it("a failed rolling update with rollback leaves the previous version running and stops", async () => {
    const engine = new FakeEngine();
    const v1 = app("1");
    await converge(deploy(engine, v1), context().ctx);
    const v2 = app("2", { failureAction: "rollback", parallelism: 1 });
    const hash = serviceConfigHash(v2.services["web"]!);
    // Only the third slot's new replica crashes.
    engine.behave(replacementName(STACK, "web", 3, hash), { exitCode: 1, logs: ["boom"] });

    const result = await converge(deploy(engine, v2), context().ctx);

    expect(result).toMatchObject({ ok: false, rounds: 1 });
    expect(result.failures[0]?.error).toMatch(
      /^update of web failed at slot 3: .*rolled back slots 2, 1 to the previous version$/,
    );
    expect(result.failures[0]?.logs).toEqual(["boom"]);
    const v1hash = serviceConfigHash(v1.services["web"]!);
    expect(engine.list().map((c) => [c.name, c.state, c.configHash === v1hash])).toEqual([
      ["demo_db.1", "running", false],
      ["demo_web.1", "running", true],
      ["demo_web.2", "running", true],
      ["demo_web.3", "running", true],
    ]);
  });
});

describe("converge (docker planner): images that move", () => {
  // The tutorial's shape: app builds the tag, worker runs it without `build:`.
  function blog(contextHash: string): StackSpec {
    const build = { context: "/srv/app", dockerfile: "Dockerfile", args: {}, labels: {} };
    return stackSpec({
      services: [
        serviceSpec("app", { image: "blog:latest", build: { ...build, contextHash } }),
        serviceSpec("worker", { image: "blog:latest", replicas: 2 }),
      ],
    });
  }
  const imageIds = (engine: FakeEngine) => engine.list().map((c) => [c.name, c.imageId]);

  it("a changed build context rebuilds once and rolls the builder and the worker in one round", async () => {
    const engine = new FakeEngine();
    expect(await converge(deploy(engine, blog("c1")), context().ctx)).toMatchObject({
      ok: true,
      rounds: 1,
    });
    const old = engine.imageIdOf("blog:latest");
    expect(imageIds(engine)).toEqual([
      ["demo_app.1", old],
      ["demo_worker.1", old],
      ["demo_worker.2", old],
    ]);

    const { ctx, sink } = context();
    const result = await converge(deploy(engine, blog("c2")), ctx);
    expect(result).toMatchObject({ ok: true, converged: true, rounds: 1 });
    const now = engine.imageIdOf("blog:latest");
    expect(now).not.toBe(old);
    expect(imageIds(engine)).toEqual([
      ["demo_app.1", now],
      ["demo_worker.1", now],
      ["demo_worker.2", now],
    ]);
    expect(engine.calls.filter((c) => c.startsWith("build"))).toEqual([
      "build blog:latest",
      "build blog:latest",
    ]);
    // The build said it was a build, never a pull.
    expect(sink.events.some((e) => e.type === "pull-progress")).toBe(false);
    expect(sink.events.filter((e) => e.type === "build-progress")).toEqual([
      { type: "build-progress", image: "blog:latest", line: "Step 1/1 : FROM scratch" },
    ]);
    // And nothing is left to do.
    expect(await converge(deploy(engine, blog("c2")), context().ctx)).toMatchObject({
      rounds: 0,
      changed: false,
    });
  });

  it("a tag moved outside stack rolls its services on the next deploy; an unchanged one nothing", async () => {
    const engine = new FakeEngine();
    const spec = stackSpec({ services: [serviceSpec("web", { image: "web:1", replicas: 2 })] });
    await converge(deploy(engine, spec), context().ctx);
    expect(await converge(deploy(engine, spec), context().ctx)).toMatchObject({ rounds: 0 });
    const moved = engine.moveTag("web:1");
    const result = await converge(deploy(engine, spec), context().ctx);
    expect(result).toMatchObject({ ok: true, converged: true, rounds: 1 });
    expect(result.plan.operations.map((o) => o.cause)).toEqual([
      `image changed: 000000000000 -> ${moved.slice(7, 19)}`,
      `image changed: 000000000000 -> ${moved.slice(7, 19)}`,
    ]);
    expect(engine.list().map((c) => c.imageId)).toEqual([moved, moved]);
  });
});
