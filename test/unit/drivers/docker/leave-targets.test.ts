import { describe, expect, it } from "vitest";
import { leaveTargets } from "../../../../src/drivers/docker/leave-targets.js";

describe("leaveTargets", () => {
  it("reads a running replica's networks (sorted), its grace period and that it can be detached", () => {
    expect(
      leaveTargets({
        Id: "abc",
        Name: "/app_web.1",
        Config: { StopTimeout: 2 },
        HostConfig: { NetworkMode: "app_default" },
        State: { Status: "running", Running: true },
        NetworkSettings: {
          Networks: { app_front: { NetworkID: "n2" }, app_default: { NetworkID: "n1" } },
        },
      }),
    ).toEqual({
      name: "app_web.1",
      up: true,
      networks: [
        { id: "n1", name: "app_default" },
        { id: "n2", name: "app_front" },
      ],
      detachable: true,
      graceMs: 2000,
    });
  });

  it("uses dockerd's 10 s without StopTimeout, and counts restarting and paused containers as up", () => {
    const base = { Id: "x", Name: "/x", NetworkSettings: { Networks: {} } };
    expect(leaveTargets({ ...base, State: { Restarting: true } })).toMatchObject({
      up: true,
      graceMs: 10_000,
    });
    expect(leaveTargets({ ...base, State: { Status: "paused" } }).up).toBe(true);
    expect(leaveTargets({ ...base, State: { Status: "exited" } }).up).toBe(false);
  });

  it("does not detach host, none or another container's network namespace", () => {
    for (const mode of ["host", "none", "container:abc"]) {
      expect(leaveTargets({ Id: "x", HostConfig: { NetworkMode: mode } }).detachable).toBe(false);
    }
  });
});
