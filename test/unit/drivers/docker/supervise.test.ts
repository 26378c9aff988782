import { describe, expect, it } from "vitest";
import {
  engineRestartWarning,
  RestartTracker,
  supervise,
  withoutRestarts,
} from "../../../../src/drivers/docker/supervise.js";
import { dockerDeployment } from "../../../../src/drivers/docker/docker-driver.js";
import { converge } from "../../../../src/core/converge.js";
import { EngineError } from "../../../../src/core/errors.js";
import type { ObservedContainer } from "../../../../src/core/replica.js";
import type { Plan } from "../../../../src/core/operation.js";
import type { DockerOperation } from "../../../../src/drivers/docker/operations.js";
import { FakeEngine, op, recordingSink } from "./helpers/fake-engine.js";
import type { RestartPolicySpec, ServiceSpec } from "../../../../src/model/types.js";
import { buildService, buildStack, waitFor } from "../../../integration/docker/helpers.js";

const T0 = Date.parse("2025-01-01T00:00:00Z");

function service(policy: RestartPolicySpec): ServiceSpec {
  const s = buildService("web");
  return { ...s, deploy: { ...s.deploy, restartPolicy: policy } };
}

function exited(exitCode: number, finishedMs = T0): ObservedContainer {
  return {
    id: "c1",
    name: "s_web.1",
    service: "web",
    slot: 1,
    configHash: "h",
    image: "i",
    state: "exited",
    exitCode,
    createdAt: new Date(T0 - 60_000).toISOString(),
    finishedAt: new Date(finishedMs).toISOString(),
    restartCount: 0,
    ports: [],
  };
}

describe("RestartTracker", () => {
  it("waits for the delay after the container finished, then starts", () => {
    const t = new RestartTracker();
    const s = service({ condition: "any", delayMs: 3000 });
    expect(t.decide(s, exited(1), T0 + 1000)).toEqual({ action: "wait", atMs: T0 + 3000 });
    expect(t.decide(s, exited(1), T0 + 3000)).toEqual({ action: "start", attempt: 1 });
  });

  it("uses swarm's 5 s default delay", () => {
    const t = new RestartTracker();
    expect(t.decide(service({ condition: "any" }), exited(0), T0)).toEqual({
      action: "wait",
      atMs: T0 + 5000,
    });
  });

  it("honours the condition: on-failure ignores exit 0, none never restarts", () => {
    const t = new RestartTracker();
    const late = T0 + 60_000;
    expect(t.decide(service({ condition: "on-failure" }), exited(0), late).action).toBe("leave");
    expect(t.decide(service({ condition: "on-failure" }), exited(2), late).action).toBe("start");
    expect(t.decide(service({ condition: "none" }), exited(2), late).action).toBe("leave");
  });

  it("gives up after max_attempts within the window, and tries again once they age out", () => {
    const t = new RestartTracker();
    const s = service({ condition: "any", delayMs: 0, maxAttempts: 2, windowMs: 60_000 });
    t.record("web", 1, T0);
    t.record("web", 1, T0 + 10_000);
    expect(t.decide(s, exited(1, T0 + 20_000), T0 + 20_000)).toEqual({
      action: "give-up",
      attempts: 2,
    });
    // The first restart left the window: one attempt is free again.
    expect(t.decide(s, exited(1, T0 + 65_000), T0 + 65_000)).toEqual({
      action: "start",
      attempt: 2,
    });
  });

  it("without a window counts every restart; other slots have their own history", () => {
    const t = new RestartTracker();
    const s = service({ condition: "any", delayMs: 0, maxAttempts: 1 });
    t.record("web", 1, T0);
    expect(t.decide(s, exited(1), T0 + 3_600_000).action).toBe("give-up");
    expect(t.decide(s, { ...exited(1), slot: 2 }, T0 + 1).action).toBe("start");
  });
});

describe("withoutRestarts", () => {
  it("drops start ops of exited replicas and the edges to them, keeps created ones", () => {
    const observed = {
      stack: "s",
      containers: [
        exited(1),
        { ...exited(0), id: "c2", name: "s_web.2", slot: 2, state: "created" as const },
      ],
      networks: [],
      volumes: [],
      presentImages: [],
      externalNetworks: [],
      externalVolumes: [],
    };
    const start = (id: string, containerId: string, slot: number) =>
      op({
        id,
        kind: "start-container" as const,
        service: "web",
        slot,
        name: `s_web.${slot}`,
        containerId,
        cause: "not running" as const,
        after: [],
      });
    const plan: Plan<DockerOperation> = {
      stack: "s",
      warnings: [],
      operations: [
        start("a", "c1", 1),
        start("b", "c2", 2),
        op({ id: "w", kind: "delay", ms: 1, cause: "update delay", after: ["a", "b"] }),
      ],
    };
    const out = withoutRestarts(plan, observed);
    expect(out.operations.map((o) => o.id)).toEqual(["b", "w"]);
    expect(out.operations[1]!.after).toEqual(["b"]);
  });
});

describe("supervise on an engine that cannot change restart policies (Podman 4.3)", () => {
  const unsupported = () =>
    new EngineError("unsupported", "update restart policy: the engine cannot", { statusCode: 404 });

  it("warns once per service, leaves restarts to the engine, reports them and its give-up", async () => {
    const engine = new FakeEngine();
    const web = service({ condition: "on-failure", delayMs: 1000, maxAttempts: 2 });
    const spec = buildStack("s", [{ ...web, deploy: { ...web.deploy, replicas: 2 } }]);
    const up = await converge(dockerDeployment(engine, spec), {
      sink: recordingSink(),
      parallel: 2,
      prune: false,
    });
    expect(up.ok).toBe(true);
    engine.fail("updateRestartPolicy", unsupported, 1000);
    const before = engine.calls.length;
    const sink = recordingSink();
    const controller = new AbortController();
    let passes = 0;
    const watching = supervise(dockerDeployment(engine, spec), {
      engine,
      sink,
      signal: controller.signal,
      parallel: 2,
      prune: false,
      resyncMs: 10,
      debounceMs: 1,
      onPass: () => (passes += 1),
    });
    try {
      await waitFor(() => passes >= 1, { what: "a first pass" });
      // The engine restarted web.1 twice, then its policy left it stopped.
      engine.mutate("s_web.1", { restartCount: 1 });
      await waitFor(() => sink.of("info").some((e) => e.message.includes("restarted s_web.1")), {
        what: "the engine's restart reported",
      });
      engine.mutate("s_web.1", { state: "exited", exitCode: 137, restartCount: 2 });
      await waitFor(() => sink.of("error").length > 0, { what: "the give-up reported" });
    } finally {
      controller.abort();
      await watching;
    }
    const warnings = sink.of("warning").map((w) => w.message);
    // One warning for the service, though two replicas were refused.
    expect(warnings).toEqual([
      engineRestartWarning(
        spec.services["web"]!,
        "the engine at fake://engine cannot change the restart policy of a container it runs",
      ),
    ]);
    expect(warnings[0]).toContain("at most 2 times (restart_policy delay not applied)");
    expect(sink.of("info").map((e) => e.message)).toContain(
      "the engine restarted s_web.1 (restart 1 of 2)",
    );
    expect(sink.of("error").map((e) => e.message)).toEqual([
      "s_web.1 exited with code 137; restart_policy allows 2 attempts and the engine made 2: left stopped",
    ]);
    // Nothing was started or recreated by the watch: the engine's policy decides.
    const writes = engine.calls.slice(before);
    expect(writes.filter((c) => c.startsWith("start ") || c.startsWith("create "))).toEqual([]);
    expect(engine.byName("s_web.1")?.state).toBe("exited");
  });

  it("says what the engine's own policy does and which settings it does not apply", () => {
    expect(
      engineRestartWarning(
        service({ condition: "any", delayMs: 5000, maxAttempts: 3, windowMs: 60_000 }),
        "the engine cannot",
      ),
    ).toBe(
      "services.web: the engine cannot; under --watch its replicas keep the engine's own restart policy, which restarts a replica at once whenever it exits, without limit (restart_policy delay, window, max_attempts (with condition any) not applied)",
    );
    expect(engineRestartWarning(service({ condition: "on-failure" }), "x")).toBe(
      "services.web: x; under --watch its replicas keep the engine's own restart policy, which restarts a replica at once when it fails",
    );
  });
});
