import { describe, expect, it } from "vitest";
import {
  buildQuery,
  unsupportedBuildSettings,
} from "../../../../src/drivers/docker-api/build-options.js";
import type { BuildSpec } from "../../../../src/model/types.js";

const base: BuildSpec = { context: "/ctx", dockerfile: "Dockerfile", args: { A: "1" }, labels: {} };

describe("buildQuery", () => {
  it("sends only what the file sets", () => {
    expect(buildQuery("img:1", base, { l: "x" })).toEqual({
      t: "img:1",
      dockerfile: "Dockerfile",
      buildargs: { A: "1" },
      labels: { l: "x" },
      rm: true,
      forcerm: true,
    });
  });

  it("maps tags, cache_from, network, one platform, extra_hosts, shm_size, no_cache, pull", () => {
    const q = buildQuery(
      "img:1",
      {
        ...base,
        tags: ["img:latest", "img:1"],
        cacheFrom: ["img:cache"],
        network: "host",
        platforms: ["linux/amd64"],
        extraHosts: ["a:1.2.3.4", "b:5.6.7.8"],
        shmSize: 1024,
        noCache: true,
        pull: true,
        target: "prod",
      },
      {},
    );
    expect(q).toMatchObject({
      t: ["img:1", "img:latest"],
      cachefrom: '["img:cache"]',
      networkmode: "host",
      platform: "linux/amd64",
      extrahosts: "a:1.2.3.4,b:5.6.7.8",
      shmsize: 1024,
      nocache: true,
      pull: true,
      target: "prod",
    });
  });
});

describe("unsupportedBuildSettings", () => {
  it("names what needs BuildKit", () => {
    expect(
      unsupportedBuildSettings({
        ...base,
        secrets: ["npm"],
        ssh: ["default"],
        additionalContexts: { x: "/x" },
        platforms: ["linux/amd64", "linux/arm64"],
      }),
    ).toEqual([
      "build.secrets needs BuildKit (docker buildx); the engine's build API cannot apply it",
      "build.ssh needs BuildKit (docker buildx); the engine's build API cannot apply it",
      "build.additional_contexts needs BuildKit (docker buildx); the engine's build API cannot apply it",
      "build.platforms lists 2 platforms; the engine's build API builds one (a multi-platform build needs docker buildx)",
    ]);
    expect(unsupportedBuildSettings(base)).toEqual([]);
  });
});
