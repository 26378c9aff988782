import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../../../src/core/errors.js";
import { connectEngine } from "../../../../src/drivers/docker-api/engine-connection.js";

/** A private DOCKER_CONFIG holding contexts `name -> host`, and config.json text when given. */
function dockerConfig(contexts: Record<string, string>, config?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "stack-connection-"));
  for (const [name, host] of Object.entries(contexts)) {
    const meta = path.join(
      dir,
      "contexts",
      "meta",
      createHash("sha256").update(name).digest("hex"),
    );
    mkdirSync(meta, { recursive: true });
    writeFileSync(
      path.join(meta, "meta.json"),
      JSON.stringify({ Name: name, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
    );
  }
  if (config !== undefined) writeFileSync(path.join(dir, "config.json"), config);
  return dir;
}

describe("connectEngine", () => {
  it("is local for a unix socket, remote for tcp:// and ssh://", () => {
    const config = dockerConfig({});
    expect(connectEngine({ DOCKER_CONFIG: config })).toMatchObject({
      address: "unix:///var/run/docker.sock",
      remote: false,
      dockerOptions: { socketPath: "/var/run/docker.sock" },
    });
    expect(
      connectEngine({ DOCKER_CONFIG: config, DOCKER_HOST: "tcp://10.0.0.5:2375" }),
    ).toMatchObject({
      address: "tcp://10.0.0.5:2375",
      remote: true,
    });
    expect(
      connectEngine({ DOCKER_CONFIG: config, DOCKER_HOST: "ssh://me@build-box" }),
    ).toMatchObject({
      address: "ssh://me@build-box",
      remote: true,
    });
  });

  it("gives every client of one ssh:// engine the same transport, without logging in yet", () => {
    // PATH names no ssh: a login attempt would fail, and nothing here may start one.
    const env = { DOCKER_HOST: "ssh://me@build-box:2222", PATH: "/nonexistent" };
    const agentOf = (e: typeof env) =>
      (connectEngine(e).dockerOptions as { readonly agent?: unknown }).agent;
    const agent = agentOf(env);
    expect(agent).toBeInstanceOf(http.Agent);
    expect(agentOf(env)).toBe(agent);
    expect(agentOf({ ...env, DOCKER_HOST: "ssh://other" })).not.toBe(agent);
  });

  it("names the context in the address, and --context wins over DOCKER_HOST", () => {
    const config = dockerConfig(
      { prod: "ssh://deploy@prod.example", lab: "unix:///run/lab.sock" },
      JSON.stringify({ currentContext: "prod" }),
    );
    expect(connectEngine({ DOCKER_CONFIG: config })).toMatchObject({
      address: "ssh://deploy@prod.example, context prod",
      remote: true,
    });
    const lab = connectEngine(
      { DOCKER_CONFIG: config, DOCKER_HOST: "tcp://10.0.0.5:2375" },
      { context: "lab" },
    );
    expect(lab).toMatchObject({
      address: "unix:///run/lab.sock, context lab",
      remote: false,
      dockerOptions: { socketPath: "/run/lab.sock", host: undefined },
    });
    expect(connectEngine({ DOCKER_CONFIG: config, DOCKER_CONTEXT: "default" }).address).toBe(
      "unix:///var/run/docker.sock",
    );
  });

  it("passes config.json problems on as warnings, and an unknown context as unavailable", () => {
    const config = dockerConfig({}, "{ not json");
    const connection = connectEngine({ DOCKER_CONFIG: config });
    expect(connection.address).toBe("unix:///var/run/docker.sock");
    expect(connection.warnings).toHaveLength(1);
    expect(connection.warnings[0]).toMatch(
      /config\.json is not valid JSON .*using the default engine$/,
    );
    let caught: unknown;
    try {
      connectEngine({ DOCKER_CONFIG: config }, { context: "nope" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EngineError);
    expect(caught).toMatchObject({ kind: "unavailable" });
    expect((caught as Error).message).toMatch(/^context "nope" does not exist/);
  });
});
