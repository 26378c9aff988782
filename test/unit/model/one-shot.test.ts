import { describe, expect, it } from "vitest";
import { oneShotServices } from "../../../src/model/one-shot.js";
import { serviceSpec, stackSpec } from "../drivers/docker/helpers/fixtures.js";

describe("oneShotServices", () => {
  it("counts jobs and services others wait to complete, not the rest", () => {
    const spec = stackSpec({
      services: [
        serviceSpec("web", {
          dependsOn: { migrate: "service_completed_successfully", db: "service_healthy" },
        }),
        serviceSpec("db"),
        serviceSpec("migrate"),
        serviceSpec("backup", { deploy: { mode: "replicated-job" } }),
      ],
    });
    expect([...oneShotServices(spec)].sort()).toEqual(["backup", "migrate"]);
  });
});
