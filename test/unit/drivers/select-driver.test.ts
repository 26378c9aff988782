import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../../src/core/errors.js";
import { selectDriver } from "../../../src/drivers/select-driver.js";

function configWithContext(name: string, host: string, configJson: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "stack-select-"));
  const meta = path.join(dir, "contexts", "meta", createHash("sha256").update(name).digest("hex"));
  mkdirSync(meta, { recursive: true });
  writeFileSync(
    path.join(meta, "meta.json"),
    JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }),
  );
  writeFileSync(path.join(dir, "config.json"), configJson);
  return dir;
}

describe("selectDriver", () => {
  it("reaches the engine of --context with either driver", async () => {
    const env = {
      DOCKER_CONFIG: configWithContext("lab", "unix:///nonexistent/lab.sock", "{}"),
      DOCKER_HOST: "unix:///nonexistent/host.sock",
    };
    for (const driver of ["docker", "swarm"] as const) {
      const selection = await selectDriver(env, { driver, context: "lab" });
      expect(selection.driver.name).toBe(driver);
      expect(selection.driver.address).toBe("unix:///nonexistent/lab.sock, context lab");
      expect(selection.warnings).toEqual([]);
    }
  });

  it("passes a broken config.json on as a warning and uses the default engine", async () => {
    const env = { DOCKER_CONFIG: configWithContext("lab", "unix:///x.sock", "{ broken") };
    const selection = await selectDriver(env, { driver: "docker" });
    expect(selection.driver.address).toBe("unix:///var/run/docker.sock");
    expect(selection.warnings).toHaveLength(1);
    expect(selection.warnings[0]).toContain("config.json is not valid JSON");
  });

  it("fails as unavailable on an unknown context, before contacting any engine", async () => {
    const env = { DOCKER_CONFIG: configWithContext("lab", "unix:///x.sock", "{}") };
    const err = await selectDriver(env, { context: "prod" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ kind: "unavailable" });
    expect((err as Error).message).toMatch(/^context "prod" does not exist/);
  });

  it("picks docker, saying why, when the engine does not answer", async () => {
    const env = { DOCKER_CONFIG: configWithContext("lab", "unix:///nonexistent/lab.sock", "{}") };
    const selection = await selectDriver(env, { context: "lab" });
    expect(selection.driver.name).toBe("docker");
    expect(selection.reason).toBe("the engine did not answer");
    expect(selection.warnings).toEqual([]);
  });
});
