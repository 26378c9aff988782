import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { Duplex } from "node:stream";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  SshTransport,
  dialStdioCommand,
  parseSshUrl,
  sshFailure,
  sshFailureLine,
  sshMasterArgs,
  sshSessionArgs,
  sharedSshTransport,
} from "../../../../src/drivers/docker-api/ssh-transport.js";
import type { SshTransportOptions } from "../../../../src/drivers/docker-api/ssh-transport.js";
import { EngineError } from "../../../../src/core/errors.js";

const FAKE_SSH = path.join(path.dirname(fileURLToPath(import.meta.url)), "fake-ssh.mjs");

describe("parseSshUrl", () => {
  it("takes user, host, port and a socket path like the Docker CLI", () => {
    expect(parseSshUrl("ssh://root@10.0.0.5:2222")).toEqual({
      url: "ssh://root@10.0.0.5:2222",
      host: "10.0.0.5",
      user: "root",
      port: 2222,
    });
    expect(parseSshUrl("ssh://prod")).toEqual({ url: "ssh://prod", host: "prod" });
    expect(parseSshUrl("ssh://prod/")).toEqual({ url: "ssh://prod", host: "prod" });
    expect(parseSshUrl("ssh://me@[::1]:22/run/user/1000/docker.sock")).toEqual({
      url: "ssh://me@[::1]:22/run/user/1000/docker.sock",
      host: "::1",
      user: "me",
      port: 22,
      socketPath: "/run/user/1000/docker.sock",
    });
  });

  it("rejects what the Docker CLI rejects, and what ssh could read as an option", () => {
    for (const [url, why] of [
      ["ssh://me:secret@h", /password/],
      ["ssh://h?x=1", /query/],
      ["ssh://h#f", /fragment/],
      ["ssh://", /no host|not a valid URL/],
      ["ssh://-oProxyCommand=x", /not valid/],
      ["tcp://h:2375", /not ssh/],
    ] as const) {
      const err = (() => {
        try {
          parseSshUrl(url);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, url).toBeInstanceOf(EngineError);
      expect((err as EngineError).kind).toBe("invalid");
      expect((err as EngineError).message).toMatch(why);
    }
  });
});

describe("ssh arguments", () => {
  const target = parseSshUrl("ssh://root@h:2222");

  it("runs the Docker CLI's remote command, quoting a socket path for the remote shell", () => {
    expect(dialStdioCommand(target)).toBe("docker system dial-stdio");
    expect(dialStdioCommand(parseSshUrl("ssh://h/run/my%20dir/d.sock"))).toBe(
      "docker '--host=unix:///run/my dir/d.sock' system dial-stdio",
    );
  });

  it("starts a background master, then runs sessions over it and never becomes a master", () => {
    expect(
      sshMasterArgs(target, {
        controlPath: "/tmp/x%y/m0",
        connectTimeoutSeconds: 30,
        persistSeconds: 120,
        flags: ["-F", "cfg"],
      }),
    ).toEqual([
      "-F",
      "cfg",
      "-o",
      "ConnectTimeout=30",
      "-o",
      "ControlMaster=yes",
      "-o",
      "ControlPath=/tmp/x%%y/m0",
      "-o",
      "ControlPersist=120",
      "-N",
      "-f",
      "-T",
      "-l",
      "root",
      "-p",
      "2222",
      "--",
      "h",
    ]);
    expect(sshSessionArgs(target, { controlPath: "/tmp/c/m0", connectTimeoutSeconds: 30 })).toEqual(
      [
        "-o",
        "ConnectTimeout=30",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=/tmp/c/m0",
        "-T",
        "-l",
        "root",
        "-p",
        "2222",
        "--",
        "h",
        "docker system dial-stdio",
      ],
    );
    // Without multiplexing: exactly the Docker CLI's command.
    expect(sshSessionArgs(parseSshUrl("ssh://h"), { connectTimeoutSeconds: 30 })).toEqual([
      "-o",
      "ConnectTimeout=30",
      "-T",
      "--",
      "h",
      "docker system dial-stdio",
    ]);
  });
});

describe("ssh failures", () => {
  const target = parseSshUrl("ssh://root@h:2222");

  it("keeps the line that says why, on one line", () => {
    const hostKey =
      "No ED25519 host key is known for [h]:2222 and you have requested strict checking.\nHost key verification failed.\n";
    expect(sshFailureLine(hostKey)).toBe("Host key verification failed");
    expect(sshFailure(target, 255, hostKey).message).toBe(
      "cannot reach the engine at ssh://root@h:2222: Host key verification failed",
    );
    expect(
      sshFailureLine(
        "Warning: Permanently added 'h' (ED25519) to the list of known hosts.\r\nroot@h: Permission denied (publickey).\r\n",
      ),
    ).toBe("root@h: Permission denied (publickey)");
    const err = sshFailure(target, 255, "");
    expect(err.kind).toBe("unavailable");
    expect(err.message).toBe("cannot reach the engine at ssh://root@h:2222: ssh exited with 255");
  });

  it("blames the remote command when ssh itself worked", () => {
    expect(sshFailure(target, 127, "sh: 1: docker: not found\n").message).toBe(
      "cannot reach the engine at ssh://root@h:2222: `docker system dial-stdio` failed on the remote host (exit 127: sh: 1: docker: not found); it needs the docker CLI 18.09 or later there",
    );
  });
});

/** A fake engine on a unix socket: short requests, a stream that never ends, an upgrade. */
function fakeEngine(socketPath: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://docker");
    if (url.pathname === "/_ping") {
      res.end("OK");
    } else if (url.pathname === "/slow") {
      setTimeout(() => res.end("slow"), Number(url.searchParams.get("ms") ?? 50));
    } else if (url.pathname === "/stream") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      const timer = setInterval(() => res.write("tick\n"), 20);
      res.on("close", () => clearInterval(timer));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  // Like a hijacked exec: echo upper-cased until the client half-closes, then say goodbye.
  server.on("upgrade", (_req, socket: Duplex) => {
    socket.write("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
    socket.on("data", (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    socket.on("end", () => socket.end("bye\n"));
  });
  return new Promise((resolve) => server.listen(socketPath, () => resolve(server)));
}

function get(agent: http.Agent, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: "docker", path: urlPath }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(body));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Opens `/stream` and resolves once its first line arrived; the response stays open. */
function openStream(agent: http.Agent): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: "docker", path: "/stream" }, (res) => {
      res.once("data", () => resolve(res));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("SshTransport (with a stand-in ssh)", () => {
  let dir: string;
  let server: http.Server;
  const transports: SshTransport[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "stack-ssh-test-"));
    chmodSync(FAKE_SSH, 0o755);
    server = await fakeEngine(path.join(dir, "engine.sock"));
  });
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  function transport(
    name: string,
    options: SshTransportOptions & { readonly fail?: string; readonly remoteExit?: number } = {},
  ): { readonly t: SshTransport; readonly logins: () => number; readonly sessions: () => number } {
    const log = path.join(dir, `${name}.log`);
    writeFileSync(log, "");
    const t = new SshTransport(parseSshUrl("ssh://root@engine-host:2222"), {
      command: FAKE_SSH,
      loginQueueMs: 100,
      ...options,
      env: {
        ...process.env,
        FAKE_SSH_LOG: log,
        FAKE_SSH_ENGINE: path.join(dir, "engine.sock"),
        ...(options.fail !== undefined && { FAKE_SSH_FAIL: options.fail }),
        ...(options.remoteExit !== undefined && {
          FAKE_SSH_REMOTE_EXIT: String(options.remoteExit),
        }),
      },
    });
    transports.push(t);
    const lines = () => readFileSync(log, "utf8").split("\n");
    return {
      t,
      logins: () => lines().filter((l) => l === "login").length,
      sessions: () => lines().filter((l) => l.startsWith("session")).length,
    };
  }

  it("carries sequential requests over one login and one kept-alive session", async () => {
    const { t, logins, sessions } = transport("sequential");
    for (let i = 0; i < 5; i++) expect(await get(t.agent, "/_ping")).toBe("OK");
    expect(logins()).toBe(1);
    expect(sessions()).toBe(1);
  });

  it("queues a burst of short requests on one login's sessions instead of logging in again", async () => {
    // No further login however slow this machine is: the queue is served by sessions only.
    const { t, logins, sessions } = transport("burst", {
      sessionsPerLogin: 4,
      loginQueueMs: 60_000,
    });
    const bodies = await Promise.all(Array.from({ length: 16 }, () => get(t.agent, "/slow?ms=30")));
    expect(bodies).toEqual(Array(16).fill("slow"));
    expect(logins()).toBe(1);
    expect(sessions()).toBeLessThanOrEqual(4);
  });

  it("logs in once more when long-lived streams hold every session", async () => {
    const { t, logins } = transport("streams", { sessionsPerLogin: 3 });
    const streams = await Promise.all(Array.from({ length: 5 }, () => openStream(t.agent)));
    expect(logins()).toBe(2);
    expect(t.loginsStarted).toBe(2);
    for (const s of streams) s.destroy();
  });

  it("relays a hijacked connection in both directions, with a half-close", async () => {
    const { t } = transport("hijack");
    const socket = await new Promise<Duplex>((resolve, reject) => {
      const req = http.request({
        agent: t.agent,
        host: "docker",
        path: "/exec/x/start",
        method: "POST",
        headers: { Connection: "Upgrade", Upgrade: "tcp" },
      });
      req.on("upgrade", (_res, sock: Duplex, head: Buffer) => {
        if (head.length > 0) sock.unshift(head);
        resolve(sock);
      });
      req.on("error", reject);
      req.end();
    });
    let out = "";
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => (out += c));
    socket.write("hello ");
    socket.end("world\n");
    await new Promise((resolve) => socket.on("end", resolve));
    expect(out).toBe("HELLO WORLD\nbye\n");
  });

  it("reports a host key failure on one line, as unavailable, and does not retry the login", async () => {
    const { t } = transport("hostkey", {
      fail: "No ED25519 host key is known for [engine-host]:2222 and you have requested strict checking.\nHost key verification failed.",
    });
    const first = await get(t.agent, "/_ping").catch((e: unknown) => e);
    expect(first).toBeInstanceOf(EngineError);
    expect((first as EngineError).kind).toBe("unavailable");
    expect((first as EngineError).message).toBe(
      "cannot reach the engine at ssh://root@engine-host:2222: Host key verification failed",
    );
    // Engine calls retry unavailable engines with backoff; a refused host key stays refused.
    expect((first as EngineError).retryable).toBe(false);
    const second = await get(t.agent, "/_ping").catch((e: unknown) => e);
    expect(second).toBe(first);
    expect(t.loginsStarted).toBe(1);
  });

  it("says when the remote host has no docker CLI", async () => {
    const { t } = transport("remote", { remoteExit: 127 });
    const err = await get(t.agent, "/_ping").catch((e: unknown) => e);
    expect((err as EngineError).kind).toBe("unavailable");
    expect((err as EngineError).message).toMatch(
      /`docker system dial-stdio` failed on the remote host \(exit 127: sh: 1: docker: not found\)/,
    );
  });

  it("without multiplexing logs in once per connection, like the Docker CLI", async () => {
    const { t, logins } = transport("plain", { multiplex: false });
    await Promise.all([get(t.agent, "/slow?ms=50"), get(t.agent, "/slow?ms=50")]);
    expect(logins()).toBe(2);
    expect(t.loginsStarted).toBe(0);
  });

  it("closes its logins and removes its control directory", async () => {
    const { t } = transport("close");
    await get(t.agent, "/_ping");
    const controlDir = t.controlDirectory;
    expect(controlDir !== undefined && existsSync(path.join(controlDir, "m0"))).toBe(true);
    await t.close();
    expect(existsSync(controlDir!)).toBe(false);
    await expect(get(t.agent, "/_ping")).rejects.toThrow(/closed/);
  });
});

describe("sharedSshTransport", () => {
  it("gives every client of one engine the same transport, and a new one once closed", async () => {
    const target = parseSshUrl("ssh://shared-host");
    const first = sharedSshTransport(target);
    expect(sharedSshTransport(parseSshUrl("ssh://shared-host"))).toBe(first);
    expect(sharedSshTransport(parseSshUrl("ssh://other-host"))).not.toBe(first);
    await first.close();
    expect(first.isClosed).toBe(true);
    expect(sharedSshTransport(target)).not.toBe(first);
  });
});
