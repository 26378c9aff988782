import { readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadStack } from "../../../src/stackfile/load-stack.js";

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), "../../../examples");

function stackFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return stackFiles(full);
    return entry.name === "stack.yml" ? [full] : [];
  });
}

const load = (file: string, env: Record<string, string> = {}) =>
  loadStack({ files: [file], envFiles: [], cwd: dirname(file), env });

describe("examples", () => {
  const files = stackFiles(EXAMPLES);

  it("has examples to load", () => {
    expect(files.map((f) => relative(EXAMPLES, f)).sort()).toEqual(
      expect.arrayContaining(["getstartedlab/stack.yml", "hello/stack.yml"]),
    );
  });

  it.each(files.map((f) => [relative(EXAMPLES, f), f]))(
    "%s loads with no errors",
    async (_name, file) => {
      const { spec } = await load(file);
      expect(Object.keys(spec.services).length).toBeGreaterThan(0);
    },
  );

  it("getstartedlab normalises to the lab's swarm settings", async () => {
    const { spec } = await load(join(EXAMPLES, "getstartedlab/stack.yml"));
    expect(spec.name).toBe("getstartedlab");
    const web = spec.services["web"];
    expect(web?.image).toBe("stack-example/friendlyhello:latest");
    expect(web?.deploy.replicas).toBe(5);
    expect(web?.deploy.resources.limits).toEqual({
      nanoCpus: 100_000_000,
      memoryBytes: 52_428_800,
    });
    expect(web?.deploy.restartPolicy).toEqual({ condition: "on-failure" });
    expect(web?.ports).toEqual([{ target: 80, published: 80, protocol: "tcp", mode: "ingress" }]);
    expect(web?.networks).toEqual({ webnet: { aliases: [] } });
    expect(spec.networks).toEqual({
      webnet: {
        key: "webnet",
        name: "getstartedlab_webnet",
        external: false,
        driverOpts: {},
        labels: {},
      },
    });
    const redis = spec.services["redis"];
    expect(redis?.command).toEqual([
      "redis-server",
      "--appendonly",
      "yes",
      "--dir",
      "/data",
      "--protected-mode",
      "no",
    ]);
    expect(redis?.mounts).toEqual([
      { type: "volume", source: "redis-data", target: "/data", readOnly: false },
    ]);
    expect(spec.volumes["redis-data"]?.name).toBe("getstartedlab_redis-data");
  });

  it("getstartedlab takes images and the port from the environment", async () => {
    const { spec } = await load(join(EXAMPLES, "getstartedlab/stack.yml"), {
      WEB_IMAGE: "me/web:2",
      WEB_PORT: "8000",
      REDIS_IMAGE: "redis:6",
    });
    expect(spec.services["web"]?.image).toBe("me/web:2");
    expect(spec.services["web"]?.ports[0]?.published).toBe(8000);
    expect(spec.services["redis"]?.image).toBe("redis:6");
  });

  it("hello waits for a healthy web before starting three workers", async () => {
    const { spec } = await load(join(EXAMPLES, "hello/stack.yml"));
    expect(spec.services["web"]?.ports).toEqual([
      { target: 8080, published: 8080, hostIp: "127.0.0.1", protocol: "tcp", mode: "ingress" },
    ]);
    expect(spec.services["web"]?.command?.[2]).toContain("$(hostname)");
    expect(spec.services["web"]?.healthcheck).toMatchObject({
      test: ["CMD-SHELL", expect.stringContaining("wget -q -O-")],
    });
    expect(spec.services["worker"]?.deploy.replicas).toBe(3);
    expect(spec.services["worker"]?.dependsOn).toEqual({
      web: { condition: "service_healthy", restart: false, required: true },
    });
    expect(spec.volumes["www"]?.name).toBe("hello_www");
  });
});
