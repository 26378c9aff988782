/**
 * The `stack ps` console on the two-node test swarm, through the built CLI in tmux with
 * DOCKER_HOST at the manager: a task's logs, a shell in a task on the manager, restart of a
 * task as a rolling update of its service (said on the status line; the task is replaced),
 * scaling up by one (the service's replica count on the manager), and a shell or inspect of
 * a task on the worker saying where it runs instead of failing silently.
 */
import { spawnSync } from "node:child_process";
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
const tmuxVersion = spawnSync("tmux", ["-V"], { encoding: "utf8" });
if (tmuxVersion.status !== 0)
  throw new Error("tmux is missing: the ps console test needs it (apt-get install tmux)");

const cluster = requireCluster();
const STACK = uniqueStackName("swcons");
const SOCKET = `stack-test-${STACK}`;
let release: (() => void) | undefined;
let file = "";

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

function screen(): string {
  return tmux("capture-pane", "-p", "-t", STACK)
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
}

async function screenShows(pattern: RegExp, what: string, timeoutMs = 90_000): Promise<string> {
  let last = "";
  try {
    return await waitFor(
      what,
      async () => {
        last = screen();
        return pattern.test(last) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}; the screen was:\n${last}`,
    );
  }
}

function keys(...k: string[]): void {
  tmux("send-keys", "-t", STACK, ...k);
}

function quote(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The running tasks of service `here`, by id. */
async function hereTasks(): Promise<string[]> {
  const tasks = await cluster!.docker.listTasks({
    filters: { service: [`${STACK}_here`], "desired-state": ["running"] },
  });
  return tasks.map((t) => t.ID as string).sort();
}

beforeAll(async () => {
  if (cluster === undefined) return;
  release = await lockCluster();
  file = tempStackFile(`services:
  here:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "echo swarm-console-hello; while true; do sleep 1; done"]
    stop_grace_period: 1s
    deploy:
      placement:
        constraints: [node.role == manager]
  there:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "while true; do sleep 1; done"]
    stop_grace_period: 1s
    deploy:
      placement:
        constraints: [node.role == worker]
`);
  const deploy = spawnSync(
    process.execPath,
    [CLI, "-p", STACK, "-f", file, "deploy", "--wait", "--progress", "plain"],
    {
      encoding: "utf8",
      env: { ...process.env, DOCKER_HOST: cluster.host },
      timeout: 300_000,
    },
  );
  if (deploy.status !== 0) throw new Error(`deploy failed: ${deploy.stderr}`);
}, 600_000);

afterAll(async () => {
  spawnSync("tmux", ["-L", SOCKET, "kill-server"]);
  try {
    if (cluster !== undefined) await cleanupSwarmStack(cluster.docker, STACK);
  } finally {
    release?.();
  }
});

describe.skipIf(cluster === undefined)("stack ps as a console on a swarm", () => {
  it("logs and a shell on the manager, restart as a service update, scale, and where a task on the worker runs", async () => {
    const command = `env -u CI -u CONTINUOUS_INTEGRATION DOCKER_HOST=${quote(cluster!.host)} ${quote(process.execPath)} ${quote(CLI)} -p ${STACK} -f ${quote(file)} ps; echo "stack-ps-exited=$?"; sleep 600`;
    tmux("new-session", "-d", "-s", STACK, "-x", "120", "-y", "30", command);
    await screenShows(/^\s+here\.1\s+stack-swarm-a\s+running\s/m, "here.1 running on the manager");
    await screenShows(/^\s+there\.1\s+stack-swarm-b\s+running\s/m, "there.1 running on the worker");

    // Rows: here, here.1, there, there.1. Enter on here.1 follows the task's logs.
    keys("j", "Enter");
    await screenShows(/swarm-console-hello/, "the line here.1 printed");
    keys("Escape");
    await screenShows(/^here\s+1\/1\s/m, "back to the list");

    // A shell in the task on the manager.
    keys("x");
    await screenShows(/^\/ #$/m, "the shell's prompt");
    keys("echo swarm-shell-$((6*7))", "Enter");
    await screenShows(/^swarm-shell-42$/m, "the shell's echo");
    keys("exit", "Enter");
    await screenShows(new RegExp(`shell in ${STACK}_here\\.1 ended`), "back in the console");

    // r on a task restarts its service, a rolling update: the task is replaced.
    const before = await hereTasks();
    keys("r");
    await screenShows(
      /here restarting \(rolling update\) \(swarm acts on whole services, not single tasks\)/,
      "the restart's result, saying why the whole service",
    );
    await waitFor(
      "here's task replaced",
      async () => {
        const now = await hereTasks();
        return now.length === 1 && now[0] !== before[0] ? true : undefined;
      },
      90_000,
    );

    // + scales here to 2 on the manager.
    await screenShows(/^\s+here\.1\s+stack-swarm-a\s+running\s/m, "here.1 running again");
    keys("g", "+");
    await screenShows(/here scaled to 2/, "scaled on the status line", 180_000);
    const service = await cluster!.docker.getService(`${STACK}_here`).inspect();
    expect(service.Spec?.Mode?.Replicated?.Replicas).toBe(2);
    await screenShows(/^\s+here\.2\s+stack-swarm-a\s+running\s/m, "here.2 in the list");

    // The last row is there.1, on the worker: the shell and inspect say where it runs.
    keys("G", "x");
    await screenShows(
      new RegExp(`shell in ${STACK}_there\\.1 failed: .*runs on node stack-swarm-b`),
      "why there is no shell",
    );
    keys("d");
    await screenShows(
      new RegExp(`^inspect ${STACK}_there\\.1\n.*runs on node stack-swarm-b`, "m"),
      "why there is no inspect",
    );
    // Esc and q sent in one write would read as Alt-q: one key at a time.
    keys("Escape");
    await screenShows(/^there\s+1\/1\s/m, "back to the list");
    keys("q");
    await screenShows(/stack-ps-exited=0/, "ps to exit with 0 after q", 10_000);
  });
});
