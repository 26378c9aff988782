import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import {
  contextDirName,
  describeEngine,
  dockerConfigDir,
  loadEngineOptions,
  resolveEngine,
} from "../../../../src/drivers/docker-api/engine-address.js";
import { EngineError } from "../../../../src/core/errors.js";

/** A private DOCKER_CONFIG with the given contexts, laid out as the Docker CLI's store. */
function dockerConfig(
  contexts: Record<
    string,
    { host?: string; skipTlsVerify?: boolean; tls?: Record<string, string>; endpoints?: unknown }
  > = {},
  config?: unknown,
): string {
  const dir = mkdtempSync(path.join(tmpdir(), "stack-docker-config-"));
  for (const [name, c] of Object.entries(contexts)) {
    const id = createHash("sha256").update(name).digest("hex");
    const meta = path.join(dir, "contexts", "meta", id);
    mkdirSync(meta, { recursive: true });
    const endpoints = c.endpoints ?? {
      docker: { Host: c.host ?? "", SkipTLSVerify: c.skipTlsVerify ?? false },
    };
    writeFileSync(
      path.join(meta, "meta.json"),
      JSON.stringify({ Name: name, Metadata: {}, Endpoints: endpoints }),
    );
    if (c.tls !== undefined) {
      const tls = path.join(dir, "contexts", "tls", id, "docker");
      mkdirSync(tls, { recursive: true });
      for (const [file, text] of Object.entries(c.tls)) writeFileSync(path.join(tls, file), text);
    }
  }
  if (config !== undefined) {
    writeFileSync(
      path.join(dir, "config.json"),
      typeof config === "string" ? config : JSON.stringify(config),
    );
  }
  return dir;
}

function thrown(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    return err as EngineError;
  }
  throw new Error("expected an EngineError");
}

describe("resolveEngine: which engine, in the Docker CLI's order", () => {
  const contexts = {
    prod: { host: "ssh://deploy@prod.example:2222" },
    staging: { host: "unix:///run/staging.sock" },
  };

  it("uses the local socket when nothing is set", () => {
    const r = resolveEngine({ DOCKER_CONFIG: dockerConfig() });
    expect(r).toMatchObject({
      address: "unix:///var/run/docker.sock",
      context: "default",
      source: "default",
      options: { socketPath: "/var/run/docker.sock" },
      warnings: [],
    });
    expect(r.ssh).toBeUndefined();
  });

  it("takes DOCKER_HOST before DOCKER_CONTEXT and the current context, which it never reads", () => {
    const DOCKER_CONFIG = dockerConfig(contexts, { currentContext: "prod" });
    const r = resolveEngine({
      DOCKER_CONFIG,
      DOCKER_HOST: "ssh://root@127.0.0.1:2222",
      DOCKER_CONTEXT: "missing",
    });
    expect(r).toMatchObject({
      address: "ssh://root@127.0.0.1:2222",
      context: "default",
      source: "DOCKER_HOST",
      ssh: { host: "127.0.0.1", user: "root", port: 2222 },
    });
  });

  it("takes DOCKER_CONTEXT before the current context of config.json", () => {
    const DOCKER_CONFIG = dockerConfig(contexts, { currentContext: "prod" });
    expect(resolveEngine({ DOCKER_CONFIG, DOCKER_CONTEXT: "staging" })).toMatchObject({
      address: "unix:///run/staging.sock",
      context: "staging",
      source: "DOCKER_CONTEXT",
      options: { socketPath: "/run/staging.sock" },
    });
    expect(resolveEngine({ DOCKER_CONFIG })).toMatchObject({
      address: "ssh://deploy@prod.example:2222",
      context: "prod",
      source: "config.json",
      ssh: { host: "prod.example", user: "deploy", port: 2222 },
    });
  });

  it("lets --context win over DOCKER_HOST and the current context", () => {
    const DOCKER_CONFIG = dockerConfig(contexts, { currentContext: "prod" });
    expect(
      resolveEngine({ DOCKER_CONFIG, DOCKER_HOST: "tcp://10.0.0.9:2375" }, { context: "staging" }),
    ).toMatchObject({ address: "unix:///run/staging.sock", source: "--context" });
  });

  it("treats `default` as what DOCKER_HOST or the local socket names", () => {
    const DOCKER_CONFIG = dockerConfig(contexts, { currentContext: "prod" });
    expect(resolveEngine({ DOCKER_CONFIG, DOCKER_CONTEXT: "default" })).toMatchObject({
      address: "unix:///var/run/docker.sock",
      context: "default",
    });
    expect(
      resolveEngine({ DOCKER_CONFIG, DOCKER_HOST: "unix:///run/x.sock" }, { context: "default" }),
    ).toMatchObject({ address: "unix:///run/x.sock", context: "default", source: "--context" });
  });

  it("fails clearly, as unavailable, on a context that does not exist", () => {
    const DOCKER_CONFIG = dockerConfig(contexts, { currentContext: "gone" });
    const err = thrown(() => resolveEngine({ DOCKER_CONFIG }));
    expect(err.kind).toBe("unavailable");
    expect(err.message).toContain(`context "gone" does not exist`);
    expect(err.message).toContain(
      path.join(DOCKER_CONFIG, "contexts", "meta", contextDirName("gone")),
    );
    expect(thrown(() => resolveEngine({ DOCKER_CONFIG }, { context: "nope" })).message).toMatch(
      /context "nope" does not exist/,
    );
  });

  it("fails clearly on a context without a docker endpoint or with an unusable address", () => {
    const DOCKER_CONFIG = dockerConfig({
      k8s: { endpoints: { kubernetes: { Host: "https://k" } } },
      pipe: { host: "npipe:////./pipe/docker_engine" },
      pw: { host: "ssh://me:pw@h" },
    });
    expect(thrown(() => resolveEngine({ DOCKER_CONFIG, DOCKER_CONTEXT: "k8s" })).message).toMatch(
      /context "k8s" has no docker endpoint/,
    );
    const pipe = thrown(() => resolveEngine({ DOCKER_CONFIG, DOCKER_CONTEXT: "pipe" }));
    expect(pipe.kind).toBe("invalid");
    expect(pipe.message).toMatch(/^context "pipe": .*named pipes/);
    expect(thrown(() => resolveEngine({ DOCKER_CONFIG, DOCKER_CONTEXT: "pw" })).message).toMatch(
      /^context "pw": .*password/,
    );
  });

  it("keeps going with a warning when config.json is not JSON, as the Docker CLI does", () => {
    const DOCKER_CONFIG = dockerConfig(contexts, "{ not json");
    const r = resolveEngine({ DOCKER_CONFIG });
    expect(r.address).toBe("unix:///var/run/docker.sock");
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/config\.json is not valid JSON/);
  });

  it("finds the config directory in DOCKER_CONFIG, else in HOME", () => {
    expect(dockerConfigDir({ DOCKER_CONFIG: "/x/cfg", HOME: "/home/u" })).toBe("/x/cfg");
    expect(dockerConfigDir({ HOME: "/home/u" })).toBe("/home/u/.docker");
  });

  it("names the engine and its context for the user", () => {
    const DOCKER_CONFIG = dockerConfig(contexts);
    expect(describeEngine(resolveEngine({ DOCKER_CONFIG }, { context: "prod" }))).toBe(
      "ssh://deploy@prod.example:2222, context prod",
    );
    expect(describeEngine(resolveEngine({ DOCKER_CONFIG }))).toBe("unix:///var/run/docker.sock");
  });
});

describe("resolveEngine: TLS", () => {
  it("speaks https to a context with TLS material, and reads it", () => {
    const DOCKER_CONFIG = dockerConfig({
      tls: {
        host: "tcp://10.0.0.5:2376",
        tls: { "ca.pem": "CA", "cert.pem": "CERT", "key.pem": "KEY" },
      },
    });
    const r = resolveEngine({ DOCKER_CONFIG }, { context: "tls" });
    const dir = path.join(DOCKER_CONFIG, "contexts", "tls", contextDirName("tls"), "docker");
    expect(r).toMatchObject({
      address: "tcp://10.0.0.5:2376",
      options: { host: "10.0.0.5", port: 2376, protocol: "https" },
      tls: {
        ca: path.join(dir, "ca.pem"),
        cert: path.join(dir, "cert.pem"),
        key: path.join(dir, "key.pem"),
        skipVerify: false,
      },
    });
    const options = loadEngineOptions(r);
    expect(options).toMatchObject({ protocol: "https", host: "10.0.0.5", port: 2376 });
    expect(String(options.ca)).toBe("CA");
    expect(String(options.cert)).toBe("CERT");
    expect(String(options.key)).toBe("KEY");
    expect((options as { agent?: unknown }).agent).toBeUndefined();
  });

  it("skips verification only where the context says so", () => {
    const DOCKER_CONFIG = dockerConfig({
      skip: { host: "tcp://10.0.0.6", skipTlsVerify: true },
      plain: { host: "tcp://10.0.0.7:2376" },
    });
    const skip = resolveEngine({ DOCKER_CONFIG }, { context: "skip" });
    expect(skip).toMatchObject({
      address: "tcp://10.0.0.6:2376",
      options: { protocol: "https", port: 2376 },
      tls: { skipVerify: true },
    });
    const agent = (
      loadEngineOptions(skip) as { agent?: { options?: { rejectUnauthorized?: boolean } } }
    ).agent;
    expect(agent?.options?.rejectUnauthorized).toBe(false);
    // No TLS material and no skip: plain http even on 2376 (the CLI's Endpoint.tlsConfig).
    expect(resolveEngine({ DOCKER_CONFIG }, { context: "plain" })).toMatchObject({
      address: "tcp://10.0.0.7:2376",
      options: { protocol: "http", port: 2376 },
    });
  });

  it("takes the certificates from the config directory when DOCKER_CERT_PATH is unset", () => {
    const DOCKER_CONFIG = dockerConfig();
    const r = resolveEngine({
      DOCKER_CONFIG,
      DOCKER_HOST: "tcp://10.0.0.5:2376",
      DOCKER_TLS_VERIFY: "1",
    });
    expect(r.tls).toEqual({
      ca: path.join(DOCKER_CONFIG, "ca.pem"),
      cert: path.join(DOCKER_CONFIG, "cert.pem"),
      key: path.join(DOCKER_CONFIG, "key.pem"),
      skipVerify: false,
    });
    const err = thrown(() => loadEngineOptions(r));
    expect(err.kind).toBe("invalid");
    expect(err.message).toContain(path.join(DOCKER_CONFIG, "ca.pem"));
  });
});

describe("loadEngineOptions", () => {
  it("keeps docker-modem's DOCKER_HOST defaults from overriding the chosen engine", () => {
    const DOCKER_CONFIG = dockerConfig({ staging: { host: "unix:///run/staging.sock" } });
    const r = resolveEngine({ DOCKER_CONFIG }, { context: "staging" });
    const saved = { host: process.env["DOCKER_HOST"], tls: process.env["DOCKER_TLS_VERIFY"] };
    process.env["DOCKER_HOST"] = "tcp://10.0.0.9:2376";
    process.env["DOCKER_TLS_VERIFY"] = "1";
    try {
      const modem = new Dockerode(loadEngineOptions(r)).modem as {
        host?: string;
        socketPath?: string;
        protocol?: string;
      };
      expect(modem.host).toBeUndefined();
      expect(modem.socketPath).toBe("/run/staging.sock");
      expect(modem.protocol).toBe("http");
    } finally {
      for (const [key, value] of [
        ["DOCKER_HOST", saved.host],
        ["DOCKER_TLS_VERIFY", saved.tls],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("gives ssh engines the transport's agent over plain http", () => {
    const r = resolveEngine({ DOCKER_HOST: "ssh://h" });
    expect(() => loadEngineOptions(r)).toThrow(/needs an ssh transport/);
    const agent = new (class extends Object {})() as never;
    expect(loadEngineOptions(r, { agent })).toMatchObject({
      protocol: "http",
      host: "docker",
      agent,
    });
  });
});

// The store layout checked against the real Docker CLI, when one is installed.
const dockerCli = (() => {
  try {
    execFileSync("docker", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!dockerCli || !existsSync("/etc/ssl/certs/ca-certificates.crt"))(
  "resolveEngine with contexts made by `docker context create`",
  () => {
    it("reads what the Docker CLI wrote", () => {
      const DOCKER_CONFIG = dockerConfig();
      // `docker context create` checks that the CA parses: any real certificate bundle will do.
      const cert = "/etc/ssl/certs/ca-certificates.crt";
      const docker = (...args: string[]) =>
        execFileSync("docker", args, {
          env: { ...process.env, DOCKER_CONFIG, DOCKER_HOST: "", DOCKER_CONTEXT: "" },
          stdio: "ignore",
        });
      docker("context", "create", "remote", "--docker", "host=ssh://root@127.0.0.1:2222");
      docker(
        "context",
        "create",
        "secure",
        "--docker",
        `host=tcp://10.0.0.5:2376,ca=${cert},skip-tls-verify=true`,
      );
      docker("context", "use", "remote");
      expect(resolveEngine({ DOCKER_CONFIG })).toMatchObject({
        address: "ssh://root@127.0.0.1:2222",
        context: "remote",
        source: "config.json",
      });
      expect(resolveEngine({ DOCKER_CONFIG }, { context: "secure" })).toMatchObject({
        address: "tcp://10.0.0.5:2376",
        options: { protocol: "https" },
        tls: {
          ca: path.join(
            DOCKER_CONFIG,
            "contexts",
            "tls",
            contextDirName("secure"),
            "docker",
            "ca.pem",
          ),
          skipVerify: true,
        },
      });
      docker("context", "use", "default");
      expect(resolveEngine({ DOCKER_CONFIG }).context).toBe("default");
    });
  },
);
