/**
 * The built CLI reaching engines the way docker users do: `DOCKER_HOST=ssh://...` through the
 * test sshd of scripts/sshd.sh (loopback, its own keys, agent, known_hosts and ssh config)
 * in front of the default engine and in front of the test swarm's manager, and Docker
 * contexts made by the docker CLI in a private DOCKER_CONFIG. The user's ~/.ssh and
 * ~/.docker are never read or written.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { LABELS } from "../../src/drivers/docker-api/labels.js";
import {
  cleanupStack,
  rawDocker,
  requireEngine,
  TEST_IMAGE,
  uniqueStackName,
  waitFor,
} from "../integration/docker/helpers.js";
import { requireSshd, sshdLogins } from "../integration/docker/sshd.js";
import { requireCluster } from "../integration/swarm/helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const engine = await requireEngine();
const sshd = engine === undefined ? undefined : requireSshd();
const docker = rawDocker();
const stacks: string[] = [];
const images: string[] = [];

/** The environment of a `stack` run through the test sshd: never DOCKER_HOST of the caller. */
function sshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...sshd, ...extra };
  if (extra["DOCKER_HOST"] === undefined) delete env["DOCKER_HOST"];
  delete env["DOCKER_CONTEXT"];
  return env;
}

function stack(args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env, timeout: 180_000 });
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-e2e-ssh-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function containersOf(name: string) {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.stack}=${name}`] },
  });
  return list.map((c) => ({ name: c.Names[0]!.slice(1), state: c.State }));
}

afterAll(async () => {
  if (engine === undefined) return;
  for (const s of stacks) await cleanupStack(s);
  for (const image of images)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
});

describe.skipIf(sshd === undefined)("stack through ssh://", () => {
  it("deploys (with a build), shows ps live and once, follows logs of 12 replicas and removes, through ssh://stack-sshd", async () => {
    const name = uniqueStackName("e2essh");
    stacks.push(name);
    const image = `stack-test/ssh-built:${name}`;
    images.push(image);
    const dir = tempDir();
    mkdirSync(join(dir, "app"));
    writeFileSync(
      join(dir, "app", "Dockerfile"),
      `FROM ${TEST_IMAGE}\nCOPY greeting.txt /greeting.txt\n`,
    );
    writeFileSync(join(dir, "app", "greeting.txt"), `built-over-ssh-${name}\n`);
    const file = join(dir, "stack.yml");
    writeFileSync(
      file,
      [
        "services:",
        "  tick:",
        `    image: ${TEST_IMAGE}`,
        `    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick; sleep 0.5; done"]`,
        "    stop_grace_period: 1s",
        "    deploy:",
        "      replicas: 11",
        "  built:",
        "    build: ./app",
        `    image: ${image}`,
        `    command: ["sh", "-c", "cat /greeting.txt; trap 'exit 0' TERM; while true; do sleep 0.5; done"]`,
        "    stop_grace_period: 1s",
        "    volumes: ['./data:/data']",
        "",
      ].join("\n"),
    );
    const env = sshEnv({ DOCKER_HOST: sshd!["STACK_SSHD_HOST"]! });

    const before = sshdLogins(sshd!);
    const deploy = stack(["deploy", "-c", file, name, "--progress", "plain"], env);
    expect(deploy.status, deploy.stderr).toBe(0);
    // The engine's product follows the address: "(ssh://stack-sshd, Docker 20.10.24)".
    expect(deploy.stderr).toMatch(/using the docker driver \(ssh:\/\/stack-sshd, Docker /);
    // ./data is a path on the engine's host: said, by service, before anything changes.
    expect(deploy.stderr).toContain(
      `warning: services.built.volumes bind-mount source ${join(dir, "data")} is a path on the engine's host (ssh://stack-sshd is remote), not on this machine: it must exist there`,
    );
    // One login carried the whole deploy (a build, 12 creates and starts, observations).
    expect(sshdLogins(sshd!) - before).toBeLessThanOrEqual(2);
    const running = await containersOf(name);
    expect(running).toHaveLength(12);
    expect(running.every((c) => c.state === "running")).toBe(true);

    const ps = stack(["ps", name, "--format", "json"], env);
    expect(ps.status, ps.stderr).toBe(0);
    const rows = JSON.parse(ps.stdout) as { name: string; state: string }[];
    expect(rows.map((r) => r.state)).toEqual(Array(12).fill("running"));

    // logs -f of 12 replicas: 12 long-lived streams, more than one login's 10 sessions.
    const follow = spawn(process.execPath, [CLI, "logs", "-f", "--tail", "5", name], { env });
    let out = "";
    let err = "";
    follow.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    follow.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const exited = new Promise<number | null>((done) => follow.once("exit", done));
    const replicasSeen = () => new Set([...out.matchAll(/^(\S+)\s+\| /gm)].map((m) => m[1])).size;
    try {
      await waitFor(() => replicasSeen() === 12 && out.includes(`built-over-ssh-${name}`), {
        timeoutMs: 90_000,
        what: "lines from all 12 replicas, the built one's greeting among them",
      });
      // Still following: new lines keep arriving over ssh.
      const length = out.length;
      await waitFor(() => out.length > length, { timeoutMs: 30_000, what: "new log lines" });
    } finally {
      follow.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(err).not.toContain("MaxListenersExceededWarning");
    expect(err).not.toMatch(/error/i);

    await psLiveShows(name, env, [/^tick\s+11\/11\s/m, /^built\s+1\/1\s/m]);

    const rm = stack(["rm", name, "--progress", "plain"], env);
    expect(rm.status, rm.stderr).toBe(0);
    expect(await containersOf(name)).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [`${LABELS.stack}=${name}`] } })).toEqual(
      [],
    );
  });

  it("says on one line, exit 3, when the host key or the login is refused", () => {
    const unknown = stack(["ls"], sshEnv({ DOCKER_HOST: "ssh://stack-sshd-unknown-host" }));
    expect(unknown.status).toBe(3);
    expect(unknown.stderr).toBe(
      "error: cannot reach the engine at ssh://stack-sshd-unknown-host: Host key verification failed\n",
    );
    const dir = tempDir();
    writeFileSync(join(dir, "stack.yml"), `services:\n  web:\n    image: ${TEST_IMAGE}\n`);
    const noKey = stack(
      ["deploy", "-c", join(dir, "stack.yml"), uniqueStackName("e2esshkey"), "--progress", "plain"],
      sshEnv({ DOCKER_HOST: "ssh://stack-sshd-no-key" }),
    );
    expect(noKey.status).toBe(3);
    expect(noKey.stderr.trimEnd().split("\n").at(-1)).toBe(
      "error: cannot reach the engine at ssh://stack-sshd-no-key: root@127.0.0.1: Permission denied (publickey)",
    );
    expect(noKey.stderr).not.toMatch(/\n\s+at /);
  });
});

/** `stack ps NAME` live in a tmux terminal: every pattern on screen, then `q` exits 0. */
async function psLiveShows(
  name: string,
  env: NodeJS.ProcessEnv,
  patterns: readonly RegExp[],
): Promise<void> {
  if (spawnSync("tmux", ["-V"]).status !== 0)
    throw new Error("tmux is missing: the live ps test needs it (apt-get install tmux)");
  const socket = `stack-test-${name}`;
  const tmux = (...args: string[]): string => {
    const r = spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env });
    if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };
  onTestFinished(() => {
    spawnSync("tmux", ["-L", socket, "kill-server"]);
  });
  const q = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`;
  // The tmux server gets env (the ssh shim on PATH, the agent); Ink draws every frame only
  // outside CI.
  tmux(
    "new-session",
    "-d",
    "-s",
    name,
    "-x",
    "110",
    "-y",
    "40",
    `env -u CI -u CONTINUOUS_INTEGRATION ${q(process.execPath)} ${q(CLI)} ps ${name}; echo "stack-ps-exited=$?"; sleep 600`,
  );
  let last = "";
  const shows = (pattern: RegExp, what: string) =>
    waitFor(
      () => {
        last = tmux("capture-pane", "-p", "-t", name);
        return pattern.test(last) ? last : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what },
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; the screen was:\n${last}`);
    });
  for (const pattern of patterns) await shows(pattern, `${String(pattern)} in the live view`);
  tmux("send-keys", "-t", name, "q");
  await shows(/stack-ps-exited=0/, "ps to exit with 0 after q");
}

describe.skipIf(sshd === undefined)("Docker contexts", () => {
  /** A private DOCKER_CONFIG with contexts made by the docker CLI, `gone` the current one. */
  function contexts(): string {
    const config = tempDir();
    const docker = (...args: string[]) => {
      const r = spawnSync("docker", args, {
        encoding: "utf8",
        env: { ...sshEnv(), DOCKER_CONFIG: config },
      });
      if (r.status !== 0) throw new Error(`docker ${args.join(" ")} failed: ${r.stderr}`);
    };
    docker("context", "create", "gone", "--docker", "host=unix:///nonexistent/stack-e2e.sock");
    docker("context", "create", "viassh", "--docker", `host=${sshd!["STACK_SSHD_HOST"]!}`);
    // Writes currentContext into the private config.json only.
    docker("context", "use", "gone");
    return config;
  }

  it("follows the current context, DOCKER_CONTEXT and --context in the Docker CLI's order", () => {
    const config = contexts();
    const env = sshEnv({ DOCKER_CONFIG: config });

    const current = stack(["ls"], env);
    expect(current.status).toBe(3);
    expect(current.stderr).toContain("unix:///nonexistent/stack-e2e.sock, context gone");
    expect(current.stderr.trimEnd().split("\n")).toHaveLength(1);

    const byDefault = stack(["ls"], { ...env, DOCKER_CONTEXT: "default" });
    expect(byDefault.status, byDefault.stderr).toBe(0);
    expect(byDefault.stdout).toMatch(/^NAME\s+SERVICES/);

    const name = uniqueStackName("e2ectx");
    stacks.push(name);
    const dir = tempDir();
    writeFileSync(join(dir, "stack.yml"), `services:\n  web:\n    image: ${TEST_IMAGE}\n`);
    // Before the command and after it; over the current context and over DOCKER_HOST.
    const deploy = stack(
      ["--context", "viassh", "deploy", "-c", join(dir, "stack.yml"), name, "--progress", "plain"],
      { ...env, DOCKER_HOST: "unix:///nonexistent/host.sock" },
    );
    expect(deploy.status, deploy.stderr).toBe(0);
    expect(deploy.stderr).toMatch(
      /using the docker driver \(ssh:\/\/stack-sshd, context viassh, Docker /,
    );
    const listed = stack(["ls", "--context", "viassh", "--format", "json"], env);
    expect(listed.status, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((s) => s.name)).toContain(name);

    // DOCKER_CONTEXT wins over config.json's current context.
    const rm = stack(["rm", name], { ...env, DOCKER_CONTEXT: "viassh" });
    expect(rm.status, rm.stderr).toBe(0);

    const unknown = stack(["--context", "nope", "ls"], env);
    expect(unknown.status).toBe(3);
    expect(unknown.stderr).toMatch(/^error: context "nope" does not exist \(no .*meta\.json\);/);
    expect(unknown.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});

describe.skipIf(sshd === undefined)("the swarm driver through ssh://", () => {
  const cluster = sshd === undefined ? undefined : requireCluster();

  it.skipIf(cluster === undefined)(
    "deploys to the swarm manager behind ssh, shows its tasks live and once, follows its logs, and removes",
    async () => {
      const manager = cluster!;
      const socket = manager.host.replace(/^unix:\/\//, "");
      // The URL's path names the engine socket on the remote host, as in the Docker CLI.
      const env = sshEnv({ DOCKER_HOST: `${sshd!["STACK_SSHD_HOST"]!}${socket}` });
      const name = uniqueStackName("e2esshswarm");
      const dir = tempDir();
      writeFileSync(
        join(dir, "stack.yml"),
        [
          "services:",
          "  web:",
          `    image: ${TEST_IMAGE}`,
          `    command: ["sh", "-c", "echo hello-from-swarm; while true; do sleep 1; done"]`,
          "    deploy:",
          "      replicas: 2",
          "",
        ].join("\n"),
      );
      onTestFinished(() => {
        stack(["rm", name], env);
      });
      const deploy = stack(
        ["deploy", "-c", join(dir, "stack.yml"), name, "--wait", "--progress", "plain"],
        env,
      );
      expect(deploy.status, deploy.stderr).toBe(0);
      expect(deploy.stderr).toContain(`using the swarm driver (ssh://stack-sshd${socket}, Docker `);
      const services = await manager.docker.listServices({
        filters: { label: [`com.docker.stack.namespace=${name}`] },
      });
      expect(services.map((s) => s.Spec?.Name)).toEqual([`${name}_web`]);

      const ps = stack(["ps", name, "--format", "json"], env);
      expect(ps.status, ps.stderr).toBe(0);
      const tasks = JSON.parse(ps.stdout) as { state: string }[];
      expect(tasks.filter((t) => t.state === "running")).toHaveLength(2);

      await waitFor(
        () => {
          const logs = stack(["logs", name], env);
          return logs.status === 0 && logs.stdout.split("hello-from-swarm").length - 1 === 2;
        },
        { timeoutMs: 60_000, what: "both tasks' first line in stack logs" },
      );
      // Followed: both tasks' streams stay open over ssh until Ctrl-C.
      const follow = spawn(process.execPath, [CLI, "logs", "-f", name], { env });
      let out = "";
      follow.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
      const exited = new Promise<number | null>((done) => follow.once("exit", done));
      try {
        await waitFor(() => out.split("hello-from-swarm").length - 1 === 2, {
          timeoutMs: 60_000,
          what: "both tasks' first line in stack logs -f",
        });
      } finally {
        follow.kill("SIGINT");
      }
      expect(await exited).toBe(0);

      await psLiveShows(name, env, [/^web\s+2\/2\s/m]);

      const rm = stack(["rm", name], env);
      expect(rm.status, rm.stderr).toBe(0);
      expect(
        await manager.docker.listServices({
          filters: { label: [`com.docker.stack.namespace=${name}`] },
        }),
      ).toEqual([]);
    },
  );
});
