/**
 * The everyday verbs on the two-node test swarm, through the built CLI with DOCKER_HOST at
 * the manager and the stack named with -p: exec and top reach tasks on the manager and say
 * where the others run; port gives the routing-mesh port and a host-mode port's node address
 * (which answers); restart replaces the tasks; stop/start go through a remembered replica
 * count; run is a swarm job (output, exit code, --rm); wait; images; pull on the manager;
 * kill, pause and build say why not (exit 6) and change nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
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

const cluster = requireCluster();
const STACK = uniqueStackName("swverbs");
const stacks = [STACK];
let release: (() => void) | undefined;
let file = "";
const meshPort = 20000 + Math.floor(Math.random() * 5000);
const hostPort = 25000 + Math.floor(Math.random() * 5000);

function stack(args: string[], cwd?: string) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, DOCKER_HOST: cluster?.host ?? "" },
    input: "",
    timeout: 150_000,
    ...(cwd !== undefined && { cwd }),
  });
}

function ok(args: string[]): string {
  const r = stack(args);
  if (r.status !== 0)
    throw new Error(`stack ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface Row {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly state: string;
  readonly node?: string;
  readonly role?: string;
}

function rows(): Row[] {
  return JSON.parse(ok(["-p", STACK, "ps", "--format", "json"])) as Row[];
}

/** docker against the manager's engine. */
function manager(args: string[]): string {
  return execFileSync("docker", ["-H", cluster?.host ?? "", ...args], { encoding: "utf8" });
}

beforeAll(async () => {
  if (cluster === undefined) return;
  release = await lockCluster();
  await waitFor(
    "both nodes ready",
    async () =>
      (await cluster.docker.listNodes()).filter((n) => n.Status?.State === "ready").length === 2,
    90_000,
  );
  file = tempStackFile(`services:
  here:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "echo here > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    environment:
      GREETING: hi
    ports: ["${meshPort}:80"]
    stop_grace_period: 1s
    deploy:
      placement:
        constraints: [node.role == manager]
  there:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "echo there > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports:
      - target: 80
        published: ${hostPort}
        mode: host
    stop_grace_period: 1s
    deploy:
      replicas: 1
      placement:
        constraints: [node.role == worker]
  job:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "sleep 1; exit 3"]
    deploy:
      restart_policy:
        condition: none
`);
  const deploy = stack(["-p", STACK, "-f", file, "deploy", "--wait", "--progress", "plain"]);
  if (deploy.status !== 0) throw new Error(`deploy failed: ${deploy.stderr}`);
}, 600_000);

afterAll(async () => {
  try {
    if (cluster !== undefined)
      await Promise.all(stacks.map((s) => cleanupSwarmStack(cluster.docker, s)));
  } finally {
    release?.();
  }
});

describe.skipIf(cluster === undefined)("the everyday verbs on a swarm", () => {
  const c = cluster!;

  it("exec runs in a task on the manager; a task on the worker gets exit 6 naming its node", async () => {
    const r = stack(["-p", STACK, "exec", "here", "sh", "-c", "echo $GREETING; exit 7"]);
    expect([r.status, r.stdout], r.stderr).toEqual([7, "hi\n"]);
    const there = stack(["-p", STACK, "exec", "there", "true"]);
    expect(there.status).toBe(6);
    expect(there.stderr).toMatch(/runs on node stack-swarm-b/);
    const missing = stack([
      "-p",
      `nosuch-${randomBytes(2).toString("hex")}`,
      "exec",
      "here",
      "true",
    ]);
    expect(missing.status).toBe(5);
  });

  it("port gives the routing mesh's port, and a host-mode port at its node's address, which answers", () => {
    expect(ok(["-p", STACK, "port", "here", "80"]).trim()).toBe(`0.0.0.0:${meshPort}`);
    const address = ok(["-p", STACK, "port", "there", "80"]).trim();
    expect(address).toBe(`10.231.0.2:${hostPort}`);
    // From the manager's network namespace (the host has no route into the test swarm).
    const body = manager([
      "run",
      "--rm",
      "--network",
      "host",
      TEST_IMAGE,
      "wget",
      "-qO-",
      `http://${address}/`,
    ]);
    expect(body).toBe("there\n");
  });

  it("top shows the processes of tasks on the manager and where the others run", () => {
    const top = ok(["-p", STACK, "top", "here", "there"]);
    expect(top).toMatch(/httpd -f -p 80/);
    expect(top).toMatch(
      new RegExp(`${STACK}_there\\.1\\n\\(top: task .* runs on node stack-swarm-b`),
    );
  });

  it("restart replaces the tasks of the services named (a forced rolling update)", async () => {
    const before = rows().find((r) => r.service === "here" && r.state === "running");
    ok(["-p", STACK, "restart", "here"]);
    const after = await waitFor("a new running task of here", async () =>
      rows().find((r) => r.service === "here" && r.state === "running" && r.id !== before?.id),
    );
    expect(after.name).toBe(`${STACK}_here.1`);
    const there = (await c.docker.getService(`${STACK}_there`).inspect()) as {
      Spec: { TaskTemplate: { ForceUpdate?: number } };
    };
    expect(there.Spec.TaskTemplate.ForceUpdate ?? 0).toBe(0);
  });

  it("stop scales to 0 and remembers the count; start brings it back", async () => {
    const r = stack(["-p", STACK, "stop", "there"]);
    expect(r.stderr).toMatch(/scaled to 0 \(was 1\)/);
    const stopped = (await c.docker.getService(`${STACK}_there`).inspect()) as {
      Spec: { Mode: { Replicated: { Replicas: number } }; Labels: Record<string, string> };
    };
    expect(stopped.Spec.Mode.Replicated.Replicas).toBe(0);
    expect(stopped.Spec.Labels["stack.stopped-replicas"]).toBe("1");
    await waitFor("no running task of there", async () =>
      rows().every((row) => row.service !== "there" || row.state !== "running"),
    );
    ok(["-p", STACK, "start", "there"]);
    await waitFor("there running again", async () =>
      rows().some((row) => row.service === "there" && row.state === "running"),
    );
    const started = (await c.docker.getService(`${STACK}_there`).inspect()) as {
      Spec: { Labels: Record<string, string> };
    };
    expect(started.Spec.Labels["stack.stopped-replicas"]).toBeUndefined();
  });

  it("kill, pause and build say why not (exit 6) and change nothing", async () => {
    const version = (await c.docker.getService(`${STACK}_here`).inspect()).Version.Index;
    const buildFile = tempStackFile(`services:\n  app:\n    build: .\n`);
    for (const args of [
      ["-f", file, "kill"],
      ["-f", file, "pause", "here"],
      ["-f", buildFile, "build"],
    ]) {
      const r = stack(["-p", STACK, ...args]);
      expect(r.status, args.join(" ")).toBe(6);
      // One error line saying why (build names what it was about to build first).
      expect(
        r.stderr.split("\n").filter((l) => l.startsWith("error:")),
        r.stderr,
      ).toHaveLength(1);
    }
    expect((await c.docker.getService(`${STACK}_here`).inspect()).Version.Index).toBe(version);
  });

  it("run is a swarm job: its output, its exit code, and with --rm nothing left", async () => {
    const r = stack(
      [
        "-p",
        STACK,
        "-f",
        file,
        "run",
        "--rm",
        "here",
        "sh",
        "-c",
        "echo $GREETING; echo e >&2; exit 4",
      ],
      dirname(file),
    );
    expect([r.status, r.stdout], r.stderr).toEqual([4, "hi\n"]);
    expect(r.stderr).toContain("e\n");
    const label = { label: [`com.docker.stack.namespace=${STACK}`] };
    const names = async () =>
      (await c.docker.listServices({ filters: label })).map((s) => s.Spec?.Name);
    expect((await names()).sort()).toEqual([`${STACK}_here`, `${STACK}_job`, `${STACK}_there`]);

    expect(stack(["-p", STACK, "-f", file, "run", "job", "true"]).status).toBe(0);
    expect(rows().filter((row) => row.role === "run")).toHaveLength(1);
    expect(await names()).toHaveLength(4);
  });

  it("wait returns the exit code of the task that ended", () => {
    const r = stack(["-p", STACK, "wait", "job"]);
    expect(r.status, r.stderr).toBe(3);
  });

  it("images lists the image of every task; pull pulls onto the manager", async () => {
    const images = JSON.parse(ok(["-p", STACK, "images", "--format", "json"])) as {
      container: string;
      image: string;
    }[];
    expect(images.map((i) => i.container)).toContain(`${STACK}_here.1`);
    expect(images.every((i) => i.image.startsWith(TEST_IMAGE))).toBe(true);

    const address = spawnSync("bash", ["scripts/registry.sh", "address", "open"], {
      encoding: "utf8",
    });
    if (address.status !== 0) {
      if (process.env["CI"] === "true")
        throw new Error(`the test registry is not up: ${address.stderr}`);
      return;
    }
    const image = `${address.stdout.trim()}/${TEST_IMAGE}`;
    const pullFile = tempStackFile(`services:\n  app:\n    image: ${image}\n`);
    spawnSync("docker", ["-H", c.host, "rmi", image], { stdio: "ignore" });
    const r = stack(["-p", `${STACK}-pull`, "-f", pullFile, "pull", "--progress", "plain"]);
    expect(r.status, r.stderr).toBe(0);
    expect(manager(["image", "inspect", "-f", "{{.Id}}", image])).toMatch(/^sha256:/);
  });

  it("rm removes the stack with its one-off jobs", async () => {
    ok(["-p", STACK, "rm", "--progress", "plain"]);
    const label = { label: [`com.docker.stack.namespace=${STACK}`] };
    expect(await c.docker.listServices({ filters: label })).toEqual([]);
  });
});
