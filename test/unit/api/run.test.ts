import { describe, expect, it } from "vitest";
import { dependenciesOf, oneOffMounts } from "../../../src/api/run.js";
import { SpecError } from "../../../src/stackfile/errors.js";
import { buildService, buildStack, buildVolume } from "../../integration/docker/helpers.js";

const condition = { condition: "service_started", required: true, restart: false } as const;
const spec = {
  ...buildStack(
    "s",
    [
      buildService("web", { dependsOn: { api: condition } }),
      buildService("api", { dependsOn: { db: condition, cache: condition } }),
      buildService("db"),
      buildService("cache", { dependsOn: { db: condition } }),
      buildService("other"),
    ],
    { volumes: [buildVolume("s", "data")] },
  ),
  workingDir: "/srv/app",
};

describe("stack run's helpers", () => {
  it("finds every service a service depends on, transitively, once each", () => {
    expect(dependenciesOf(spec, "web")).toEqual(["api", "cache", "db"]);
    expect(dependenciesOf(spec, "db")).toEqual([]);
  });

  it("reads -v as compose's short syntax: host paths bind (relative to the stack file), names are the file's volumes", () => {
    expect(oneOffMounts(spec, ["./src:/app:ro", "data:/data", "/cache"])).toEqual([
      {
        type: "bind",
        source: "/srv/app/src",
        target: "/app",
        readOnly: true,
        createHostPath: true,
      },
      { type: "volume", source: "data", target: "/data", readOnly: false },
      { type: "volume", target: "/cache", readOnly: false },
    ]);
    expect(() => oneOffMounts(spec, ["nope:/x"])).toThrow(SpecError);
    expect(() => oneOffMounts(spec, ["./a:relative"])).toThrow(/SOURCE:\/container\/path/);
    expect(() => oneOffMounts(spec, ["./a:/b:rx"])).toThrow(SpecError);
  });
});
