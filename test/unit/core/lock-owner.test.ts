import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  currentLockOwner,
  deadHolderReason,
  describeHolder,
  processStartOf,
} from "../../../src/core/lock-owner.js";

describe("lock owners", () => {
  it("describes this process: host, pid, command and its start time", () => {
    const me = currentLockOwner("stack rm app");
    expect(me).toMatchObject({ pid: process.pid, command: "stack rm app" });
    expect(me.processStart).toBe(processStartOf(process.pid));
    expect(me.processStart).toMatch(/^\d+$/);
  });

  it("counts a holder on this host as dead when its pid is gone or taken by a newer process", () => {
    const me = currentLockOwner("x");
    const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
    expect(deadHolderReason({ ...me, pid: gone })).toMatch(/is gone/);
    expect(deadHolderReason({ ...me, processStart: "1" })).toMatch(/belongs to another process/);
    expect(deadHolderReason(me)).toBeUndefined();
  });

  it("never judges a holder on another host by pid", () => {
    expect(
      deadHolderReason({ host: "elsewhere", pid: 999_999, command: "x" }, "here"),
    ).toBeUndefined();
  });

  it("says who holds a lock in one line", () => {
    expect(
      describeHolder({
        host: "ci-3",
        pid: 12,
        command: "stack deploy app",
        since: "2024-05-01T10:00:00Z",
      }),
    ).toBe("ci-3 pid 12 (stack deploy app) since 2024-05-01T10:00:00Z");
  });
});
