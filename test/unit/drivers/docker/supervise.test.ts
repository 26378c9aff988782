import { describe, expect, it } from "vitest";
import { RestartTracker, withoutRestarts } from "../../../../src/drivers/docker/supervise.js";
import type { ObservedContainer } from "../../../../src/core/replica.js";
import type { Plan } from "../../../../src/core/operation.js";
import type { DockerOperation } from "../../../../src/drivers/docker/operations.js";
import { op } from "./helpers/fake-engine.js";
import type { RestartPolicySpec, ServiceSpec } from "../../../../src/model/types.js";
import { buildService } from "../../../integration/docker/helpers.js";

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
