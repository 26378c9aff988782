import { describe, expect, it } from "vitest";
import { judgeSwarmService } from "../../../../src/drivers/swarm/readiness.js";
import {
  latestTaskErrors,
  toObservedService,
  toTaskRows,
  type SwarmTaskItem,
} from "../../../../src/drivers/swarm/observe-swarm.js";
import type { SwarmObservedState } from "../../../../src/drivers/swarm/observed-state.js";

const svc = toObservedService("demo", {
  ID: "S1",
  Version: { Index: 7 },
  Spec: {
    Name: "demo_web",
    Labels: { "com.docker.stack.namespace": "demo", "stack.config-hash": "s1:new" },
    Mode: { Replicated: { Replicas: 2 } },
    TaskTemplate: { ContainerSpec: { Image: "app:2" } },
  },
  UpdateStatus: { State: "updating" },
});
const nodes = [
  {
    id: "N1",
    hostname: "stack-swarm-a",
    role: "manager" as const,
    state: "ready",
    availability: "active",
  },
  {
    id: "N2",
    hostname: "stack-swarm-b",
    role: "worker" as const,
    state: "ready",
    availability: "active",
  },
];
function task(
  id: string,
  slot: number,
  state: string,
  desired: string,
  at: string,
  extra: Partial<SwarmTaskItem> = {},
): SwarmTaskItem {
  return {
    ID: id,
    ServiceID: "S1",
    Slot: slot,
    NodeID: slot === 1 ? "N1" : "N2",
    CreatedAt: at,
    UpdatedAt: at,
    DesiredState: desired,
    Spec: { ContainerSpec: { Image: "app:2", Labels: { "stack.config-hash": "s1:new" } } },
    Status: { State: state, Timestamp: at },
    ...extra,
  };
}

describe("swarm observation mapping", () => {
  it("maps a service: key without the stack prefix, version, hash, replicas, update state", () => {
    expect(svc).toEqual({
      id: "S1",
      name: "demo_web",
      service: "web",
      version: 7,
      configHash: "s1:new",
      image: "app:2",
      mode: "replicated",
      replicas: 2,
      updateState: "updating",
    });
  });

  it("shows per slot the task meant to run (or the newest), with its node's hostname", () => {
    const rows = toTaskRows(
      [svc],
      [
        task("old", 1, "shutdown", "shutdown", "2024-01-01T00:00:00Z"),
        task("t1", 1, "running", "running", "2024-01-01T00:01:00Z"),
        task("f2", 2, "failed", "shutdown", "2024-01-01T00:02:00Z", {
          Status: {
            State: "failed",
            Err: "task: non-zero exit (1)",
            ContainerStatus: { ExitCode: 1 },
          },
        }),
        task("other", 1, "running", "running", "2024-01-01T00:01:00Z", { ServiceID: "S9" }),
      ],
      nodes,
    );
    expect(rows.map((r) => [r.id, r.name, r.state, r.node, r.exitCode, r.error])).toEqual([
      ["t1", "demo_web.1", "running", "stack-swarm-a", undefined, undefined],
      ["f2", "demo_web.2", "exited", "stack-swarm-b", 1, "task: non-zero exit (1)"],
    ]);
    expect(rows[0]?.configHash).toBe("s1:new");
  });

  it("gives each node's task of a global service its own row, numbered by node", () => {
    const agent = { ...svc, mode: "global" as const };
    const at = "2024-01-01T00:00:00Z";
    const rows = toTaskRows(
      [agent],
      [
        task("gb", 0, "running", "running", at, { NodeID: "N2" }),
        task("ga", 0, "running", "running", at, { NodeID: "N1" }),
      ],
      nodes,
    );
    expect(rows.map((r) => [r.name, r.slot, r.node]).sort()).toEqual([
      ["demo_web.N1", 1, "stack-swarm-a"],
      ["demo_web.N2", 2, "stack-swarm-b"],
    ]);
  });

  it("finds the newest task error of each service", () => {
    const errors = latestTaskErrors([
      task("a", 1, "failed", "shutdown", "2024-01-01T00:00:00Z", {
        Status: { State: "failed", Err: "old" },
      }),
      task("b", 1, "failed", "shutdown", "2024-01-01T00:05:00Z", {
        Status: { State: "failed", Err: "container unhealthy" },
      }),
    ]);
    expect(errors.get("S1")).toBe("container unhealthy");
  });
});

describe("judgeSwarmService", () => {
  const base = (over: Partial<SwarmObservedState>): SwarmObservedState => ({
    stack: "demo",
    services: [],
    tasks: [],
    networks: [],
    secrets: [],
    configs: [],
    nodes,
    externalNetworks: [],
    externalSecrets: [],
    externalConfigs: [],
    ...over,
  });
  const rows = (states: string[], hash = "s1:new") =>
    toTaskRows(
      [svc],
      states.map((s, i) =>
        task(`t${i}`, i + 1, s, "running", "2024-01-01T00:00:00Z", {
          Spec: { ContainerSpec: { Labels: { "stack.config-hash": hash } } },
        }),
      ),
      nodes,
    );

  it("is met when the desired number of tasks of the current spec run and no rollout is under way", () => {
    const done = { ...svc, updateState: "completed" as const };
    expect(
      judgeSwarmService(
        base({ services: [done], tasks: rows(["running", "running"]) }),
        "web",
        "service_started",
        "s1:new",
      ),
    ).toEqual({ status: "met" });
    expect(
      judgeSwarmService(
        base({ services: [done], tasks: rows(["running", "starting"]) }),
        "web",
        "service_healthy",
        "s1:new",
      ).status,
    ).toBe("pending");
    expect(
      judgeSwarmService(
        base({ services: [done], tasks: rows(["running", "running"], "s1:old") }),
        "web",
        "service_started",
        "s1:new",
      ).status,
    ).toBe("pending");
    expect(
      judgeSwarmService(
        base({ services: [svc], tasks: rows(["running", "running"]) }),
        "web",
        "service_started",
      ).status,
    ).toBe("pending");
  });

  it("fails naming the service and the task error when an update paused or rolled back", () => {
    const rolled = {
      ...svc,
      updateState: "rollback_completed" as const,
      updateMessage: "rollback completed",
      taskError: "container unhealthy",
    };
    expect(judgeSwarmService(base({ services: [rolled] }), "web", "service_started")).toEqual({
      status: "failed",
      why: "update of demo_web rolled back (rollback completed); last task error: container unhealthy",
    });
    expect(
      judgeSwarmService(
        base({ services: [{ ...svc, updateState: "paused" }] }),
        "web",
        "service_started",
      ).status,
    ).toBe("failed");
  });
});
