import { describe, expect, it } from "vitest";
import { formatEvent } from "../../../../src/cli/commands/events.js";
import { splitReference } from "../../../../src/cli/commands/images.js";

describe("stack events and images output", () => {
  it("prints an event as TIME TYPE ACTION NAME (the attributes worth reading)", () => {
    expect(
      formatEvent({
        type: "container",
        action: "die",
        name: "s_web.1",
        service: "web",
        time: "2024-01-01T00:00:00.000Z",
        id: "abc",
        attributes: { exitCode: "3", name: "s_web.1", "stack.name": "s", image: "busybox" },
      }),
    ).toBe("2024-01-01T00:00:00.000Z container die s_web.1 (image=busybox, exitCode=3)");
  });

  it("splits image references into repository and tag", () => {
    expect(splitReference("redis:7")).toEqual(["redis", "7"]);
    expect(splitReference("127.0.0.1:5000/app")).toEqual(["127.0.0.1:5000/app", "latest"]);
    expect(splitReference("app:1@sha256:ab")).toEqual(["app", "1"]);
  });
});
