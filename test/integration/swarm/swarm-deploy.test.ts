/**
 * The swarm driver on a real two-node swarm (scripts/swarm-cluster.sh): the get-started
 * stack, idempotent redeploys, rolling env changes, automatic rollback of a change whose
 * healthcheck fails, `rm`, interplay with `docker stack`, placement across two nodes and a
 * node going down. One file, run in order: the node-down test would disturb others.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeStack } from "../../../src/api/remove.js";
import { stackReplicas } from "../../../src/api/status.js";
import { LABELS } from "../../../src/drivers/docker-api/labels.js";
import {
  CollectingSink,
  TEST_IMAGE,
  clusterScript,
  cleanupSwarmStack,
  deploySwarm,
  lockCluster,
  requireCluster,
  runningTasks,
  tempStackFile,
  uniqueStackName,
  waitFor,
} from "./helpers.js";

const EXAMPLE = resolve("examples/getstartedlab/stack.yml");
const OFFLINE = resolve("test/fixtures/deploy/getstartedlab-offline.yml");
const ENV = { WEB_IMAGE: TEST_IMAGE, REDIS_IMAGE: TEST_IMAGE };

const cluster = requireCluster();
const stacks: string[] = [];
let release: (() => void) | undefined;

beforeAll(async () => {
  if (cluster !== undefined) release = await lockCluster();
}, 600_000);

afterAll(async () => {
  if (cluster === undefined) return;
  try {
    clusterScript("start-worker");
    await Promise.all(stacks.map((s) => cleanupSwarmStack(cluster.docker, s)));
  } finally {
    release?.();
  }
});

describe.skipIf(cluster === undefined)("swarm driver", () => {
  const c = cluster!;

  it("deploys the get-started stack: 5 tasks over both nodes, limits in the spec; a redeploy changes nothing; an env change rolls; rm removes it", async () => {
    const stack = uniqueStackName("sw-gsl");
    stacks.push(stack);
    const first = await deploySwarm(c, stack, [EXAMPLE, OFFLINE], {
      env: ENV,
      wait: true,
      timeoutMs: 90_000,
    });
    expect(first.result.ok).toBe(true);
    // The address, and the engine behind it.
    expect(first.sink.events).toContainEqual({
      type: "info",
      message: expect.stringMatching(/^using the swarm driver \(.+, Docker \S+\)$/),
    });
    expect(first.sink.events).toContainEqual({
      type: "info",
      message: expect.stringContaining(`using the swarm driver (${c.host}, `),
    });

    const web = await c.docker.getService(`${stack}_web`).inspect();
    expect(web.Spec.Labels["com.docker.stack.namespace"]).toBe(stack);
    expect(web.Spec.TaskTemplate.Resources.Limits).toMatchObject({
      NanoCPUs: 100_000_000,
      MemoryBytes: 50 * 1024 * 1024,
    });
    expect(web.Spec.TaskTemplate.RestartPolicy.Condition).toBe("on-failure");
    const tasks = await runningTasks(c.docker, `${stack}_web`);
    expect(tasks).toHaveLength(5);
    expect(new Set(tasks.map((t) => t.node))).toEqual(new Set(["stack-swarm-a", "stack-swarm-b"]));
    const net = await c.docker.getNetwork(`${stack}_webnet`).inspect();
    expect(net).toMatchObject({ Driver: "overlay", Attachable: true, Scope: "swarm" });

    // swarm's own tools see the stack, and `stack ps` shows the node of each task.
    const ps = execFileSync(
      "docker",
      ["-H", c.host, "stack", "ps", stack, "--format", "{{.Name}}"],
      { encoding: "utf8" },
    );
    expect(ps.split("\n").filter((l) => l.startsWith(`${stack}_web.`))).toHaveLength(5);
    const rows = await stackReplicas(c.driver, stack);
    expect(
      rows
        .filter((r) => r.service === "web" && r.state === "running")
        .map((r) => r.node)
        .sort(),
    ).toHaveLength(5);
    expect(rows.every((r) => r.node === "stack-swarm-a" || r.node === "stack-swarm-b")).toBe(true);

    const again = await deploySwarm(c, stack, [EXAMPLE, OFFLINE], { env: ENV });
    expect(again.result.plan.operations).toEqual([]);
    expect(again.result.changed).toBe(false);
    expect((await c.docker.getService(`${stack}_web`).inspect()).Version.Index).toBe(
      web.Version.Index,
    );

    const named = tempStackFile(
      "services:\n  web:\n    environment:\n      NAME: swarm\n    deploy:\n      update_config:\n        parallelism: 2\n        delay: 100ms\n",
    );
    const rolled = await deploySwarm(c, stack, [EXAMPLE, OFFLINE, named], {
      env: ENV,
      wait: true,
      timeoutMs: 120_000,
    });
    expect(rolled.result.ok).toBe(true);
    expect(rolled.result.plan.operations.map((op) => `${op.kind} ${op.id}`)).toEqual([
      `update-service service:web:update`,
    ]);
    const after = await c.docker.getService(`${stack}_web`).inspect();
    expect(after.Spec.UpdateConfig).toMatchObject({ Parallelism: 2, Delay: 100_000_000 });
    const newTasks = await runningTasks(c.docker, `${stack}_web`);
    expect(newTasks).toHaveLength(5);
    expect(newTasks.every((t) => t.env.includes("NAME=swarm"))).toBe(true);
    // redis was not touched.
    const redis = await c.docker.getService(`${stack}_redis`).inspect();
    expect(redis.Version.Index).toBeLessThan(after.Version.Index);

    const removed = await removeStack({
      driver: c.driver,
      stack,
      volumes: false,
      sink: new CollectingSink(),
    });
    expect(removed.ok).toBe(true);
    expect(
      await c.docker.listServices({ filters: { label: [`com.docker.stack.namespace=${stack}`] } }),
    ).toEqual([]);
    await waitFor(
      "the stack's network to go",
      async () =>
        (
          await c.docker.listNetworks({
            filters: { label: [`com.docker.stack.namespace=${stack}`] },
          })
        ).length === 0,
    );
  });

  it("rolls back a change whose healthcheck fails, and --wait fails naming the service", async () => {
    const stack = uniqueStackName("sw-rb");
    stacks.push(stack);
    const file = (test: string) =>
      tempStackFile(`services:
  api:
    image: ${TEST_IMAGE}
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD-SHELL", "${test}"]
      interval: 1s
      timeout: 1s
      retries: 1
    deploy:
      replicas: 2
      update_config:
        parallelism: 1
        failure_action: rollback
        monitor: 3s
      rollback_config:
        parallelism: 0
`);
    const good = await deploySwarm(c, stack, [file("true")], { wait: true, timeoutMs: 90_000 });
    expect(good.result.ok).toBe(true);
    const before = await c.docker.getService(`${stack}_api`).inspect();
    const hash = before.Spec.Labels[LABELS.configHash];

    const bad = await deploySwarm(c, stack, [file("exit 1")], { wait: true, timeoutMs: 150_000 });
    expect(bad.result.ok).toBe(false);
    expect(bad.result.timedOut).toBe(false);
    const message = bad.sink.events.find(
      (e) => e.type === "error" && e.message.startsWith("service api:"),
    );
    expect(message).toMatchObject({
      message: expect.stringMatching(/^service api: update of .*_api (rolled back|paused)/),
    });
    const now = await c.docker.getService(`${stack}_api`).inspect();
    expect(now.UpdateStatus?.State).toMatch(/^rollback_/);
    await waitFor(
      "the rollback to complete",
      async () =>
        (await c.docker.getService(`${stack}_api`).inspect()).UpdateStatus?.State ===
        "rollback_completed",
      60_000,
    );
    const rolledBack = await c.docker.getService(`${stack}_api`).inspect();
    expect(rolledBack.Spec.Labels[LABELS.configHash]).toBe(hash);
    expect(rolledBack.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test).toEqual([
      "CMD-SHELL",
      "true",
    ]);
  });

  it("creates secrets and configs named by content; changing one rolls the service and removes the old one", async () => {
    const stack = uniqueStackName("sw-sec");
    stacks.push(stack);
    const secretFile = tempStackFile("s3cret-1", "token.txt");
    const file = tempStackFile(`services:
  app:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "cat /run/secrets/token /etc/app.conf && exec sleep 86400"]
    stop_grace_period: 1s
    secrets: [token]
    configs:
      - source: conf
        target: /etc/app.conf
secrets:
  token:
    file: ${secretFile}
configs:
  conf:
    content: "level=1"
`);
    const first = await deploySwarm(c, stack, [file], { wait: true, timeoutMs: 90_000 });
    expect(first.result.ok).toBe(true);
    const secrets = async () =>
      (
        await c.docker.listSecrets({ filters: { label: [`com.docker.stack.namespace=${stack}`] } })
      ).map((x) => x.Spec?.Name);
    const [oldName] = await secrets();
    expect(oldName).toMatch(new RegExp(`^${stack}_token-[0-9a-f]{8}$`));
    const configs = await c.docker.listConfigs({
      filters: { label: [`com.docker.stack.namespace=${stack}`] },
    });
    expect(configs.map((x) => x.Spec?.Name)).toEqual([
      expect.stringMatching(new RegExp(`^${stack}_conf-[0-9a-f]{8}$`)),
    ]);

    const { writeFileSync } = await import("node:fs");
    writeFileSync(secretFile, "s3cret-2");
    const second = await deploySwarm(c, stack, [file], { wait: true, timeoutMs: 90_000 });
    expect(second.result.ok).toBe(true);
    expect(second.result.plan.operations.map((op) => op.kind)).toEqual([
      "create-secret",
      "update-service",
      "remove-secret",
    ]);
    const [newName] = await secrets();
    expect(newName).not.toBe(oldName);
    const svc = await c.docker.getService(`${stack}_app`).inspect();
    expect(
      svc.Spec.TaskTemplate.ContainerSpec.Secrets.map((x: { SecretName: string }) => x.SecretName),
    ).toEqual([newName]);
  });

  it("places tasks by constraint and max_replicas_per_node, and reschedules when a node goes down", async () => {
    const stack = uniqueStackName("sw-pl");
    stacks.push(stack);
    const file = tempStackFile(`services:
  pinned:
    image: ${TEST_IMAGE}
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    deploy:
      replicas: 2
      placement:
        constraints: [node.role == worker]
  spread:
    image: ${TEST_IMAGE}
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    deploy:
      replicas: 4
      placement:
        max_replicas_per_node: 2
  roam:
    image: ${TEST_IMAGE}
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    # No restart policy: swarm's default (any) applies, which reschedules off a down node.
    deploy:
      replicas: 2
      placement:
        preferences: [spread: node.id]
`);
    const { result } = await deploySwarm(c, stack, [file], { wait: true, timeoutMs: 90_000 });
    expect(result.ok).toBe(true);
    const pinned = await runningTasks(c.docker, `${stack}_pinned`);
    expect(pinned.map((t) => t.node)).toEqual(["stack-swarm-b", "stack-swarm-b"]);
    const spread = await runningTasks(c.docker, `${stack}_spread`);
    const count = (node: string) => spread.filter((t) => t.node === node).length;
    expect([count("stack-swarm-a"), count("stack-swarm-b")]).toEqual([2, 2]);
    const roam = await runningTasks(c.docker, `${stack}_roam`);
    expect(roam.map((t) => t.node).sort()).toEqual(["stack-swarm-a", "stack-swarm-b"]);

    // A third replica per node is not allowed: with 2 nodes and max 2, 5 replicas leave one pending.
    const warn = tempStackFile(
      `services:\n  spread:\n    deploy:\n      replicas: 5\n`,
      "five.yml",
    );
    const five = await deploySwarm(c, stack, [file, warn], { dryRun: true });
    expect(
      five.sink.events.some((e) => e.type === "warning" && e.message.includes("will stay pending")),
    ).toBe(true);

    clusterScript("stop-worker");
    try {
      // roam's task on the worker moves to the manager; spread (2 per node at most) and
      // pinned (workers only) have nowhere to go.
      await waitFor(
        "the worker's node to be down and roam's task rescheduled to the manager",
        async () => {
          const node = (await c.docker.listNodes()).find(
            (n) => n.Description?.Hostname === "stack-swarm-b",
          );
          if (node?.Status?.State !== "down") return false;
          const tasks = await runningTasks(c.docker, `${stack}_roam`);
          return tasks.length === 2 && tasks.every((t) => t.node === "stack-swarm-a");
        },
        90_000,
      );
      expect(
        (await runningTasks(c.docker, `${stack}_spread`)).filter((t) => t.node === "stack-swarm-a"),
      ).toHaveLength(2);
      const rows = await stackReplicas(c.driver, stack);
      expect(
        rows
          .filter((r) => r.service === "pinned")
          .every((r) => r.state !== "running" || r.node === "stack-swarm-b"),
      ).toBe(true);
    } finally {
      clusterScript("start-worker");
    }
  });
});
