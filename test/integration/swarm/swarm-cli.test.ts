/**
 * The built CLI (`dist/cli/main.js`) against the two-node test swarm, with DOCKER_HOST set
 * to its manager as a user would: driver auto-selection, `ps` with the node of every task,
 * `services`, `ls`, `logs` from tasks on both nodes, the live `ps` (in tmux) following a
 * scale, swarm's default restart policy, global mode, dnsrr, `rm`, and Ctrl-C of `logs -f`.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TEST_IMAGE,
  cleanupSwarmStack,
  lockCluster,
  requireCluster,
  tempStackFile,
  uniqueStackName,
  waitFor,
} from "./helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
const NODES = ["stack-swarm-a", "stack-swarm-b"];

const cluster = requireCluster();
const stacks: string[] = [];
let release: (() => void) | undefined;

/** Runs the CLI against `host` (the manager; null: the default engine); never throws. */
function stack(args: string[], host: string | null = cluster?.host ?? null) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (host === null) delete env["DOCKER_HOST"];
  else env["DOCKER_HOST"] = host;
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env,
    timeout: 150_000,
  });
}

function ok(args: string[]): string {
  const r = stack(args);
  if (r.status !== 0)
    throw new Error(`stack ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface PsRow {
  readonly name: string;
  readonly service: string;
  readonly state: string;
  readonly node?: string;
}

function psRows(name: string): PsRow[] {
  return JSON.parse(ok(["ps", name, "--format", "json"])) as PsRow[];
}

beforeAll(async () => {
  if (cluster === undefined) return;
  release = await lockCluster();
  // Another swarm test file may just have brought the worker back.
  await waitFor(
    "both nodes ready",
    async () =>
      (await cluster.docker.listNodes()).filter((n) => n.Status?.State === "ready").length === 2,
    90_000,
  );
}, 600_000);

afterAll(async () => {
  try {
    if (cluster !== undefined)
      await Promise.all(stacks.map((s) => cleanupSwarmStack(cluster.docker, s)));
  } finally {
    release?.();
  }
});

describe.skipIf(cluster === undefined)("stack CLI on a swarm", () => {
  const c = cluster!;

  it("picks the swarm driver on the manager and docker on the default engine; ps, services, ls and logs show tasks on both nodes; rm removes everything", async () => {
    const name = uniqueStackName("swcli");
    stacks.push(name);
    const secret = tempStackFile("hunter2", "token.txt");
    const file = tempStackFile(`services:
  talk:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "i=0; while true; do i=$$((i+1)); echo line $$i from $$(hostname); sleep 0.5; done"]
    stop_grace_period: 1s
    secrets: [token]
    configs:
      - source: conf
        target: /etc/talk.conf
    deploy:
      replicas: 2
      placement:
        max_replicas_per_node: 1
secrets:
  token:
    file: ${secret}
configs:
  conf:
    content: "verbose=1"
`);
    const deploy = stack(["deploy", "-c", file, "--progress", "plain", "--wait", name]);
    expect(deploy.status, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain(`using the swarm driver (${c.host}, Docker `);
    const plain = stack(["deploy", "-c", file, "--progress", "plain", "--dry-run", name], null);
    expect(plain.stderr).toContain("using the docker driver");

    // No restart policy in the file: swarm's default (any), as docker stack deploy sets it.
    const service = await c.docker.getService(`${name}_talk`).inspect();
    expect(service.Spec.TaskTemplate.RestartPolicy.Condition).toBe("any");

    const rows = psRows(name);
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      [`${name}_talk.1`, "running"],
      [`${name}_talk.2`, "running"],
    ]);
    expect(rows.map((r) => r.node).sort()).toEqual(NODES);
    expect(ok(["ps", name, "--no-watch"])).toMatch(
      new RegExp(`^${name}_talk\\.1\\s+\\S+\\s+stack-swarm-[ab]\\s+running`, "m"),
    );

    expect(ok(["services", name])).toMatch(
      new RegExp(`^${name}_talk\\s+replicated\\s+2/2\\s+${TEST_IMAGE}`, "m"),
    );
    expect(ok(["ls"])).toMatch(new RegExp(`^${name}\\s+1\\s+2\\s+2\\s*$`, "m"));

    // Each task's log comes through the manager, also the one on the worker.
    const logs = await waitFor("three lines from each task", async () => {
      const out = ok(["logs", name, "talk", "--tail", "3"]);
      const lines = out.trimEnd().split("\n");
      const of = (slot: number) =>
        lines.filter((l) => new RegExp(`^${name}_talk\\.${slot} \\| line \\d+ from `).test(l));
      return of(1).length === 3 && of(2).length === 3 && lines.length === 6 ? lines : undefined;
    });
    // The two tasks run on different nodes, so their hostnames (container IDs) differ.
    const hosts = new Set(logs.map((l) => l.replace(/^.* from /, "")));
    expect(hosts.size).toBe(2);

    const label = { label: [`com.docker.stack.namespace=${name}`] };
    expect(await c.docker.listSecrets({ filters: label })).toHaveLength(1);
    expect(await c.docker.listConfigs({ filters: label })).toHaveLength(1);
    const rm = stack(["rm", "--progress", "plain", name]);
    expect(rm.status, rm.stderr).toBe(0);
    expect(await c.docker.listServices({ filters: label })).toEqual([]);
    await waitFor(
      "the stack's network, secret and config to go",
      async () =>
        (await c.docker.listNetworks({ filters: label })).length === 0 &&
        (await c.docker.listSecrets({ filters: label })).length === 0 &&
        (await c.docker.listConfigs({ filters: label })).length === 0,
    );
    expect(ok(["ls"])).not.toContain(name);
  });

  it("runs a global service once per node, and dnsrr resolves the service name to its task IPs", async () => {
    const name = uniqueStackName("swglb");
    stacks.push(name);
    const file = tempStackFile(`services:
  agent:
    image: ${TEST_IMAGE}
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    deploy:
      mode: global
  db:
    image: ${TEST_IMAGE}
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
`);
    const deploy = stack(["deploy", "-c", file, "--progress", "plain", "--wait", name]);
    expect(deploy.status, deploy.stderr).toBe(0);

    const agents = psRows(name).filter((r) => r.service === "agent");
    expect(agents.map((r) => r.state)).toEqual(["running", "running"]);
    expect(agents.map((r) => r.node).sort()).toEqual(NODES);
    expect(ok(["services", name])).toMatch(new RegExp(`^${name}_agent\\s+global\\s+2/2\\s`, "m"));

    const db = await c.docker.getService(`${name}_db`).inspect();
    expect(db.Spec.EndpointSpec.Mode).toBe("dnsrr");
    expect(db.Endpoint?.VirtualIPs ?? []).toEqual([]);

    // From the agent's task on the manager, over the stack's overlay network.
    const [local] = await c.docker.listContainers({
      filters: { label: [`com.docker.swarm.service.name=${name}_agent`] },
    });
    if (local === undefined) throw new Error("no agent task on the manager");
    const tasks = (await c.docker.listTasks({
      filters: { service: [`${name}_db`], "desired-state": ["running"] },
    })) as { NetworksAttachments?: { Addresses?: string[] }[] }[];
    const taskIps = tasks
      .flatMap((t) => t.NetworksAttachments ?? [])
      .flatMap((a) => a.Addresses ?? [])
      .map((a) => a.replace(/\/\d+$/, ""))
      .sort();
    expect(taskIps).toHaveLength(2);
    const answer = execFileSync("docker", ["-H", c.host, "exec", local.Id, "nslookup", "db"], {
      encoding: "utf8",
    });
    const resolved = [...answer.matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)]
      .map((m) => m[1])
      .sort();
    expect(resolved).toEqual(taskIps);
  });

  it("live ps shows the tasks with their nodes and follows a scale without restarting", async () => {
    const tmuxVersion = spawnSync("tmux", ["-V"], { encoding: "utf8" });
    if (tmuxVersion.status !== 0)
      throw new Error("tmux is missing: the live ps test needs it (apt-get install tmux)");
    const name = uniqueStackName("swlive");
    stacks.push(name);
    const socket = `stack-test-${name}`;
    const tmux = (...args: string[]) => {
      const r = spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${r.stderr}`);
      return r.stdout;
    };
    const screenShows = async (pattern: RegExp, what: string) => {
      let last = "";
      try {
        return await waitFor(
          what,
          async () => {
            last = tmux("capture-pane", "-p", "-t", name);
            return pattern.test(last) ? last : undefined;
          },
          45_000,
        );
      } catch (err) {
        throw new Error(`${String(err)}; the screen was:\n${last}`);
      }
    };
    const file = tempStackFile(`services:
  web:
    image: ${TEST_IMAGE}
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    deploy:
      replicas: 2
      placement:
        preferences: [spread: node.id]
`);
    try {
      const deploy = stack(["deploy", "-c", file, "--progress", "plain", "--wait", name]);
      expect(deploy.status, deploy.stderr).toBe(0);
      // Ink draws only the last frame when it thinks it runs in CI; this terminal is real.
      const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
      const command = `env -u CI -u CONTINUOUS_INTEGRATION DOCKER_HOST=${q(c.host)} ${q(process.execPath)} ${q(CLI)} ps ${name}; echo "stack-ps-exited=$?"; sleep 600`;
      tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "30", command);

      const first = await screenShows(/^web\s+2\/2\s/m, "web 2/2");
      expect(first).toMatch(/REPLICA\s+NODE\s+STATE/);
      expect(first).toMatch(/^\s+web\.1\s+stack-swarm-[ab]\s+running\s/m);
      expect(first).toMatch(/^\s+web\.2\s+stack-swarm-[ab]\s+running\s/m);
      expect(first).toContain("stack-swarm-a");
      expect(first).toContain("stack-swarm-b");

      const scale = stack(["scale", "-c", file, name, "web=3"]);
      expect(scale.status, scale.stderr).toBe(0);
      // The third task starts after the scale's service event: only the driver's task
      // polling can tell the open view that it runs.
      const scaled = await screenShows(
        /^web\s+3\/3\s[\s\S]*^\s+web\.3\s+stack-swarm-[ab]\s+running\s/m,
        "web 3/3 with web.3 running on a node",
      );
      expect(scaled).not.toContain("stack-ps-exited");

      tmux("send-keys", "-t", name, "q");
      await screenShows(/stack-ps-exited=0/, "ps to exit with 0 after q");
    } finally {
      spawnSync("tmux", ["-L", socket, "kill-server"]);
    }
  });

  it("ends logs -f of a task that prints nothing on Ctrl-C", async () => {
    // As on one engine (test/e2e/interrupt.test.ts): the follow of a silent replica ends.
    const name = uniqueStackName("swquiet");
    stacks.push(name);
    const file = tempStackFile(`services:
  quiet:
    image: ${TEST_IMAGE}
    command: ["sleep", "86400"]
    stop_grace_period: 1s
`);
    const deploy = stack(["deploy", "-c", file, "--wait", name]);
    expect(deploy.status, deploy.stderr).toBe(0);
    const child = spawn(process.execPath, [CLI, "logs", "-f", name], {
      // docker-modem's debug output says when the follow request goes out.
      env: { ...process.env, DOCKER_HOST: c.host, DEBUG: "modem" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let exit: number | null | undefined;
    child.on("close", (code) => (exit = code));
    try {
      await waitFor(
        "the follow request to be sent",
        async () => /\/tasks\/[^\n]*\/logs\?[^\n]*follow=true/.test(stderr),
        30_000,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(exit).toBeUndefined();
      child.kill("SIGINT");
      await waitFor("logs -f to end after Ctrl-C", async () => exit !== undefined, 15_000);
    } finally {
      if (exit === undefined) child.kill("SIGKILL");
    }
    expect(exit, stderr).toBe(0);
    expect(stdout).toBe("");
  });
});
