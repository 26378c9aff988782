/**
 * The ssh:// transport against a real sshd (scripts/sshd.sh: loopback only, its own keys,
 * agent, known_hosts and ssh config; the user's ~/.ssh is never read) in front of the
 * default engine: deploy, observe, logs -f, events, a hijacked exec with stdin, remove, all
 * over one login counted in sshd's log; host key and auth failures as one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { deployStack } from "../../../src/api/deploy.js";
import { removeStack } from "../../../src/api/remove.js";
import { DockerDriver } from "../../../src/drivers/docker/docker-driver.js";
import { DockerEngine } from "../../../src/drivers/docker/docker-engine.js";
import {
  loadEngineOptions,
  resolveEngine,
} from "../../../src/drivers/docker-api/engine-address.js";
import { SshTransport } from "../../../src/drivers/docker-api/ssh-transport.js";
import { EngineError } from "../../../src/core/errors.js";
import { nullSink } from "../../../src/progress/events.js";
import { cleanupStack, requireEngine, TEST_IMAGE, uniqueStackName, waitFor } from "./helpers.js";
import { requireSshd, sshdLogins } from "./sshd.js";

const engine = await requireEngine();
const sshd = engine === undefined ? undefined : requireSshd();

describe.skipIf(sshd === undefined)("ssh:// transport through a real sshd", () => {
  const env = { ...process.env, ...sshd };
  // A client key of its own: the e2e tests log in as stack-sshd at the same time.
  const logins = () => sshdLogins(sshd!, "stack-sshd-transport");
  const stack = uniqueStackName("ssh");
  const transports: SshTransport[] = [];

  function connect(host: string): { docker: Dockerode; engine: DockerEngine; t: SshTransport } {
    const resolved = resolveEngine({ ...env, DOCKER_HOST: host });
    const t = new SshTransport(resolved.ssh!, { env });
    transports.push(t);
    const dockerOptions = loadEngineOptions(resolved, t);
    return {
      t,
      docker: new Dockerode(dockerOptions),
      engine: new DockerEngine({ address: resolved.address, dockerOptions }),
    };
  }

  beforeAll(() => cleanupStack(stack));
  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await cleanupStack(stack);
    // The sshd stays up for the other ssh tests; scripts/test.sh stops it when the run ends.
  });

  it("deploys, follows logs and events, execs with stdin and removes over one login", async () => {
    const before = logins();
    const { docker, engine: remote, t } = connect("ssh://stack-sshd-transport");
    const dir = mkdtempSync(path.join(tmpdir(), "stack-ssh-e2e-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "stack.yml");
    const services = Array.from({ length: 4 }, (_, i) => [
      `  svc${i}:`,
      `    image: ${TEST_IMAGE}`,
      `    command: ["sh", "-c", "while true; do echo tick-${i}; sleep 0.2; done"]`,
      `    stop_grace_period: 1s`,
    ]).flat();
    writeFileSync(file, ["services:", ...services, ""].join("\n"));

    const events: string[] = [];
    const watching = new AbortController();
    const watch = (async () => {
      for await (const e of remote.events(stack, watching.signal))
        events.push(`${e.type}:${e.action}`);
    })().catch(() => undefined);

    const result = await deployStack({
      files: [file],
      envFiles: [],
      cwd: dir,
      env: {},
      stack: stack,
      driver: () => new DockerDriver(remote),
      sink: nullSink,
    });
    expect(result.ok).toBe(true);
    const observed = await remote.observe(stack);
    expect(observed.containers.map((c) => c.state).sort()).toEqual(Array(4).fill("running"));

    // logs -f of every replica at once: each one a long-lived stream.
    const following = new AbortController();
    const seen = new Set<string>();
    const follows = observed.containers.map(async (c) => {
      for await (const line of remote.logs(c.id, {
        follow: true,
        tail: 1,
        signal: following.signal,
      }))
        if (line.text.startsWith("tick-")) seen.add(line.text);
    });
    await waitFor(() => seen.size === 4, { timeoutMs: 60_000, what: "a line from every replica" });
    following.abort();
    await Promise.all(follows);

    // An attached exec: stdin in, half-close, output back (docker-modem's hijack path).
    const exec = await docker.getContainer(observed.containers[0]!.id).exec({
      Cmd: ["sh", "-c", "read line; echo got:$line; cat; echo done"],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const socket = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    let output = "";
    socket.on("data", (chunk: Buffer) => (output += chunk.toString("latin1")));
    const ended = new Promise((resolve) => socket.on("end", resolve));
    socket.write("hello\n");
    socket.end("more\n");
    await ended;
    expect(output).toContain("got:hello");
    expect(output).toContain("more");
    expect(output).toContain("done");

    await removeStack({ driver: new DockerDriver(remote), stack, volumes: true, sink: nullSink });
    expect((await remote.observe(stack)).containers).toEqual([]);
    // The event stream stayed open over ssh the whole time, and saw the removals.
    await waitFor(() => events.includes("container:destroy"), {
      timeoutMs: 30_000,
      what: "container destroy events over ssh",
    });
    watching.abort();
    await watch;

    expect(t.loginsStarted).toBe(1);
    expect(logins() - before).toBe(1);
  });

  it("reports a host key failure on one line, as unavailable", async () => {
    const { engine: remote } = connect("ssh://stack-sshd-unknown-host");
    const err = await remote.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).kind).toBe("unavailable");
    expect((err as EngineError).message).toBe(
      "cannot reach the engine at ssh://stack-sshd-unknown-host: Host key verification failed",
    );
  });

  it("reports an authentication failure on one line, as unavailable", async () => {
    const { engine: remote } = connect("ssh://stack-sshd-no-key");
    const err = await remote.ping().catch((e: unknown) => e);
    expect((err as EngineError).kind).toBe("unavailable");
    expect((err as EngineError).message).toMatch(
      /^cannot reach the engine at ssh:\/\/stack-sshd-no-key: root@127\.0\.0\.1: Permission denied \(publickey\)$/,
    );
  });
});
