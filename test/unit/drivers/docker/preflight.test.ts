import { describe, expect, it } from "vitest";
import {
  dockerDriverIssues,
  dockerDriverWarnings,
  engineWarnings,
} from "../../../../src/drivers/docker/preflight.js";
import { buildService, buildStack } from "../../../integration/docker/helpers.js";
import { serviceSpec, stackSpec } from "./helpers/fixtures.js";

describe("dockerDriverIssues", () => {
  it("refuses a fixed UDP host port on a replicated service: one engine binds a port once", () => {
    const spec = stackSpec({
      services: [
        serviceSpec("dns", {
          replicas: 2,
          ports: [{ target: 53, published: 53, protocol: "udp", mode: "ingress" }],
        }),
      ],
    });
    const issues = dockerDriverIssues(spec);
    expect(issues.map((i) => i.path)).toEqual(["services.dns.ports[0]"]);
    expect(issues[0]?.message).toMatch(/the ingress proxy balances TCP only, not udp/);
  });
});

describe("dockerDriverWarnings", () => {
  it("names build settings that need BuildKit and annotations an old engine cannot set", () => {
    const spec = stackSpec({
      services: [
        serviceSpec("web", {
          build: {
            context: "/src",
            dockerfile: "Dockerfile",
            args: {},
            labels: {},
            ssh: ["default"],
          },
          annotations: { "com.example.team": "a" },
        }),
      ],
    });
    expect(dockerDriverWarnings(spec, "1.41").map((w) => [w.path, w.message])).toEqual([
      [
        "services.web.build",
        "build.ssh needs BuildKit (docker buildx); the engine's build API cannot apply it",
      ],
      [
        "services.web",
        "annotations need engine API 1.43 or later (this engine speaks 1.41); they are not set",
      ],
    ]);
    expect(dockerDriverWarnings(spec, "1.45").map((w) => w.path)).toEqual(["services.web.build"]);
  });
});

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
