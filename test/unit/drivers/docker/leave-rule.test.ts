import { describe, expect, it } from "vitest";
import { leaveRuleFor } from "../../../../src/drivers/docker/leave-rule.js";

describe("leaveRuleFor", () => {
  it.each([
    ["20.10.24+dfsg1", "per-network"], // Debian bookworm's docker.io, checked affected
    ["20.10.26", "per-network"],
    ["20.10.0", "per-network"],
    ["19.03.15", "per-network"],
    ["18.09.1", "per-network"],
    ["1.13.1", "per-network"],
    ["20.10.27", "free"], // the backported fix (moby/libnetwork#2679)
    ["20.10.28", "free"],
    ["23.0.0", "free"],
    ["24.0.7", "free"],
    ["26.1.5+dfsg1", "free"], // trixie's docker.io: no watch loop at all
    ["27.3.1", "free"],
  ])("dockerd %s: %s", (version, rule) => {
    expect(leaveRuleFor({ Version: version })).toBe(rule);
  });

  it("keeps leaves apart when it cannot read the version (to be safe)", () => {
    expect(leaveRuleFor({})).toBe("per-network");
    expect(leaveRuleFor({ Version: "master-dockerproject-2021-01-01" })).toBe("per-network");
  });

  it("lets Podman's Docker API leave freely (it has no libnetwork)", () => {
    expect(leaveRuleFor({ Version: "4.3.1", Components: [{ Name: "Podman Engine" }] })).toBe(
      "free",
    );
  });
});
