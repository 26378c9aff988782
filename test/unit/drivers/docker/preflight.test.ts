import { describe, expect, it } from "vitest";
import { engineWarnings } from "../../../../src/drivers/docker/preflight.js";
import { buildService, buildStack } from "../../../integration/docker/helpers.js";

const limit = { soft: 1024, hard: 2048 };

describe("engineWarnings", () => {
  const spec = buildStack("s", [
    buildService("db", { ulimits: { nofile: limit } }),
    buildService("both", { ulimits: { nofile: limit, nproc: limit } }),
    buildService("none"),
    buildService("memlock", { ulimits: { memlock: limit } }),
  ]);

  it("on Podman, names the ulimits a service must set besides the ones it sets", () => {
    expect(engineWarnings(spec, "podman")).toEqual([
      {
        path: "services.db.ulimits",
        message: expect.stringMatching(
          /^on Podman, ulimits replace the engine's default_ulimits: nproc then falls back .*set nproc here too$/,
        ),
      },
      {
        path: "services.memlock.ulimits",
        message: expect.stringContaining("set nofile and nproc here too"),
      },
    ]);
  });

  it("says nothing on Docker, where ulimits add to the engine's defaults", () => {
    expect(engineWarnings(spec, "docker")).toEqual([]);
  });
});
