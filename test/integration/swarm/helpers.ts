/**
 * Helpers for tests against the two-node test swarm of scripts/swarm-cluster.sh (two extra
 * dockerd in network namespaces; the machine's default engine never joins a swarm).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { deployStack, type DeployOptions, type DeployResult } from "../../../src/api/deploy.js";
import { SwarmDriver } from "../../../src/drivers/swarm/swarm-driver.js";
import { SwarmEngine } from "../../../src/drivers/swarm/swarm-engine.js";
import type { ProgressEvent, ProgressSink } from "../../../src/progress/events.js";

export const TEST_IMAGE = "stack-test/busybox:latest";
export const CLUSTER_SCRIPT = "scripts/swarm-cluster.sh";

/** Records every progress event. */
export class CollectingSink implements ProgressSink {
  readonly events: ProgressEvent[] = [];
  emit(event: ProgressEvent): void {
    this.events.push(event);
  }
  async close(): Promise<void> {}
}

/** The test cluster: its manager's socket, the swarm driver and a raw client on it. */
export interface TestCluster {
  readonly host: string;
  readonly driver: SwarmDriver;
  readonly docker: Dockerode;
}

/**
 * Brings the test swarm up (idempotent) and connects to its manager. When it cannot be
 * started: throws under CI=true, so CI never passes by skipping; elsewhere warns and
 * returns undefined, for `describe.skipIf`.
 */
export function requireCluster(): TestCluster | undefined {
  try {
    const host = execFileSync("bash", [CLUSTER_SCRIPT, "up"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    }).trim();
    const socketPath = host.replace(/^unix:\/\//, "");
    return {
      host,
      driver: new SwarmDriver(
        SwarmEngine.fromEnv({ DOCKER_HOST: host }, { stackVersion: "0.0.0-test" }),
      ),
      docker: new Dockerode({ socketPath }),
    };
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    const problem = `${CLUSTER_SCRIPT} up failed: ${e.stderr ?? e.message ?? String(err)}`;
    if (process.env["CI"] === "true")
      throw new Error(`swarm tests need the test swarm: ${problem}`);
    console.warn(`skipping swarm tests: ${problem}`);
    return undefined;
  }
}

/** Runs the cluster script with `command` (e.g. stop-worker). */
export function clusterScript(command: string): void {
  execFileSync("bash", [CLUSTER_SCRIPT, command], {
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 120_000,
  });
}

/** A stack name no other test uses. */
export function uniqueStackName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** Writes `text` as stack.yml into a fresh temporary directory and returns its path. */
export function tempStackFile(text: string, name = "stack.yml"): string {
  const file = join(mkdtempSync(join(tmpdir(), "stack-swarm-")), name);
  writeFileSync(file, text);
  return file;
}

/** Deploys through the programmatic API with the swarm driver. */
export async function deploySwarm(
  cluster: TestCluster,
  stack: string,
  files: string[],
  extra: Partial<DeployOptions> = {},
): Promise<{ result: DeployResult; sink: CollectingSink }> {
  const sink = new CollectingSink();
  const result = await deployStack({
    files,
    envFiles: [],
    cwd: process.cwd(),
    env: { ...extra.env },
    stack: stack,
    driver: () => cluster.driver,
    sink,
    ...extra,
  });
  return { result, sink };
}

/** Polls `fn` until it returns something truthy; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Removes every service, network, secret and config of `stack` (forced; for clean-up). */
export async function cleanupSwarmStack(docker: Dockerode, stack: string): Promise<void> {
  const filters = { label: [`com.docker.stack.namespace=${stack}`] };
  for (const s of await docker.listServices({ filters }))
    await docker
      .getService(s.ID)
      .remove()
      .catch(() => undefined);
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  for (const s of await docker.listSecrets({ filters }))
    await docker
      .getSecret(s.ID)
      .remove()
      .catch(() => undefined);
  for (const c of await docker.listConfigs({ filters }))
    await docker
      .getConfig(c.ID)
      .remove()
      .catch(() => undefined);
}

/** Running tasks of service `name` with the hostnames of their nodes. */
export async function runningTasks(
  docker: Dockerode,
  name: string,
): Promise<{ id: string; node: string; env: string[] }[]> {
  const nodes = new Map(
    (await docker.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? n.ID]),
  );
  const tasks = (await docker.listTasks({
    filters: { service: [name], "desired-state": ["running"] },
  })) as {
    ID: string;
    NodeID?: string;
    Status?: { State?: string };
    Spec?: { ContainerSpec?: { Env?: string[] } };
  }[];
  return tasks
    .filter((t) => t.Status?.State === "running")
    .map((t) => ({
      id: t.ID,
      node: nodes.get(t.NodeID ?? "") ?? "",
      env: t.Spec?.ContainerSpec?.Env ?? [],
    }));
}

const LOCK_DIR = join(tmpdir(), "stack-swarm-tests.lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the test swarm for this test file alone until the returned function is called:
 * swarm test files run in parallel workers, and one of them stops the worker node, which
 * would disturb placement and logs in another. A lock left by a dead process is taken over.
 */
export async function lockCluster(timeoutMs = 600_000): Promise<() => void> {
  const owner = join(LOCK_DIR, "pid");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(owner, String(process.pid));
      return () => rmSync(LOCK_DIR, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let pid = Number.NaN;
    try {
      pid = Number(readFileSync(owner, "utf8"));
    } catch {
      // the owner is between mkdir and writing its pid
    }
    if (Number.isInteger(pid) && (pid === process.pid || !alive(pid)))
      rmSync(LOCK_DIR, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_DIR}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
