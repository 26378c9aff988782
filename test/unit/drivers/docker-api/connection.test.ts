import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadDockerOptions,
  resolveEngineAddress,
} from "../../../../src/drivers/docker-api/connection.js";
import { EngineError } from "../../../../src/core/errors.js";

describe("resolveEngineAddress", () => {
  it("uses the default socket when DOCKER_HOST is unset or empty", () => {
    for (const env of [{}, { DOCKER_HOST: "" }]) {
      expect(resolveEngineAddress(env)).toEqual({
        address: "unix:///var/run/docker.sock",
        options: { socketPath: "/var/run/docker.sock" },
      });
    }
  });

  it("takes a unix socket path", () => {
    expect(resolveEngineAddress({ DOCKER_HOST: "unix:///run/other.sock" })).toEqual({
      address: "unix:///run/other.sock",
      options: { socketPath: "/run/other.sock" },
    });
  });

  it("rejects a relative unix socket path", () => {
    expect(() => resolveEngineAddress({ DOCKER_HOST: "unix://run/x.sock" })).toThrow(
      /must be absolute/,
    );
  });

  it("takes tcp as plain http, and a bare host:port as tcp", () => {
    expect(resolveEngineAddress({ DOCKER_HOST: "tcp://10.0.0.5:2375" })).toEqual({
      address: "tcp://10.0.0.5:2375",
      options: { host: "10.0.0.5", port: 2375, protocol: "http" },
    });
    expect(resolveEngineAddress({ DOCKER_HOST: "localhost:1234" }).options).toEqual({
      host: "localhost",
      port: 1234,
      protocol: "http",
    });
  });

  it("switches to https with DOCKER_TLS_VERIFY=1 and names the cert files", () => {
    const resolved = resolveEngineAddress({
      DOCKER_HOST: "tcp://engine.example:2376",
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: "/certs",
    });
    expect(resolved.options).toEqual({ host: "engine.example", port: 2376, protocol: "https" });
    expect(resolved.tlsFiles).toEqual({
      ca: "/certs/ca.pem",
      cert: "/certs/cert.pem",
      key: "/certs/key.pem",
    });
  });

  it("defaults the port to 2375, or 2376 with TLS", () => {
    expect(resolveEngineAddress({ DOCKER_HOST: "tcp://h" }).options.port).toBe(2375);
    expect(
      resolveEngineAddress({ DOCKER_HOST: "tcp://h", DOCKER_TLS_VERIFY: "1" }).options.port,
    ).toBe(2376);
  });

  it("rejects npipe and ssh with an invalid EngineError", () => {
    for (const host of ["npipe:////./pipe/docker_engine", "ssh://user@host"]) {
      let caught: unknown;
      try {
        resolveEngineAddress({ DOCKER_HOST: host });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(EngineError);
      expect(caught).toMatchObject({ kind: "invalid", retryable: false });
      expect((caught as Error).message).toContain(host);
    }
  });
});

describe("loadDockerOptions", () => {
  it("reads the TLS files", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "certs-"));
    for (const f of ["ca.pem", "cert.pem", "key.pem"])
      writeFileSync(path.join(dir, f), `${f}-content`);
    const options = loadDockerOptions(
      resolveEngineAddress({
        DOCKER_HOST: "tcp://h:2376",
        DOCKER_TLS_VERIFY: "1",
        DOCKER_CERT_PATH: dir,
      }),
    );
    expect(String(options.ca)).toBe("ca.pem-content");
    expect(String(options.cert)).toBe("cert.pem-content");
    expect(String(options.key)).toBe("key.pem-content");
  });

  it("names a missing TLS file", () => {
    const resolved = resolveEngineAddress({
      DOCKER_HOST: "tcp://h:2376",
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: "/nope",
    });
    expect(() => loadDockerOptions(resolved)).toThrow(/\/nope\/ca\.pem/);
  });
});
