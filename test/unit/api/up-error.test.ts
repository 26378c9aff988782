import { describe, expect, it } from "vitest";
import { UpError } from "../../../src/api/up-error.js";

describe("UpError", () => {
  it("says which stack, why, and the replica's last log lines", () => {
    const e = new UpError("db is not ready: app_db.1 exited with code 3", {
      stackName: "app",
      reason: "failed",
      service: "db",
      replica: "app_db.1",
      logs: ["starting", "cannot open /data: permission denied"],
    });
    expect(e.name).toBe("UpError");
    expect(e.message).toBe(
      "stack app did not come up: db is not ready: app_db.1 exited with code 3\n" +
        "last log lines of app_db.1:\n  starting\n  cannot open /data: permission denied",
    );
    expect([e.stackName, e.service, e.replica, e.reason]).toEqual([
      "app",
      "db",
      "app_db.1",
      "failed",
    ]);
  });

  it("has no log section without log lines", () => {
    const e = new UpError("timed out", { stackName: "app", reason: "timed-out", logs: [] });
    expect(e.message).toBe("stack app did not come up: timed out");
    expect(e.service).toBeUndefined();
  });
});
