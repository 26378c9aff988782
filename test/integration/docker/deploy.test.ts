/**
 * The reconciler against a real Docker engine, through the programmatic API: the get-started
 * example (run offline on the busybox test image), idempotent redeploys, rolling env changes,
 * scaling, dependency failures and `rm`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerDriver } from "../../../src/drivers/docker/docker-driver.js";
import { deployStack, type DeployOptions } from "../../../src/api/deploy.js";
import { removeStack } from "../../../src/api/remove.js";
import type { DockerEngine } from "../../../src/drivers/docker/docker-engine.js";
import { LABELS } from "../../../src/drivers/docker-api/labels.js";
import type { ProgressEvent, ProgressSink } from "../../../src/progress/events.js";
import { cleanupStack, rawDocker, requireEngine, TEST_IMAGE, uniqueStackName } from "./helpers.js";

const EXAMPLE = resolve("examples/getstartedlab/stack.yml");
const OFFLINE = resolve("test/fixtures/deploy/getstartedlab-offline.yml");
const ENV = { WEB_IMAGE: TEST_IMAGE, REDIS_IMAGE: TEST_IMAGE };
/** The files of the stack's latest deploy; later tests build on what earlier ones left. */
let current = [EXAMPLE, OFFLINE];

class CollectingSink implements ProgressSink {
  readonly events: ProgressEvent[] = [];
  emit(event: ProgressEvent): void {
    this.events.push(event);
  }
  async close(): Promise<void> {}
}

const engine: DockerEngine | undefined = await requireEngine();
const docker = rawDocker();
const stacks: string[] = [];

function tempFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "stack-test-")), "stack.yml");
  writeFileSync(file, text);
  return file;
}

function deploy(stack: string, files: string[], extra: Partial<DeployOptions> = {}) {
  const sink = new CollectingSink();
  const run = deployStack({
    files,
    envFiles: [],
    cwd: process.cwd(),
    env: ENV,
    stack: stack,
    driver: () => new DockerDriver(engine!),
    sink,
    parallel: 4,
    ...extra,
  });
  return run.then((result) => ({ result, events: sink.events }));
}

/** Running containers of a service by slot, straight from the engine. */
async function replicas(stack: string, service: string) {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.stack}=${stack}`, `${LABELS.service}=${service}`] },
  });
  return list
    .map((c) => ({
      id: c.Id,
      name: c.Names[0]!.slice(1),
      state: c.State,
      slot: Number(c.Labels[LABELS.slot]),
    }))
    .sort((a, b) => a.slot - b.slot);
}

describe.skipIf(engine === undefined)("deploy on a real engine", () => {
  const gsl = uniqueStackName("gsl");
  stacks.push(gsl);

  beforeAll(() => undefined);
  afterAll(async () => {
    for (const s of stacks) await cleanupStack(s);
  });

  it("deploys the get-started example: 5 replicas with limits and restart policy", async () => {
    const { result } = await deploy(gsl, current);
    expect(result.ok).toBe(true);
    const web = await replicas(gsl, "web");
    expect(web.map((r) => r.name)).toEqual([1, 2, 3, 4, 5].map((n) => `${gsl}_web.${n}`));
    expect(web.every((r) => r.state === "running")).toBe(true);
    const info = await docker.getContainer(web[0]!.id).inspect();
    expect(info.HostConfig.NanoCpus).toBe(100_000_000);
    expect(info.HostConfig.Memory).toBe(52_428_800);
    expect(info.HostConfig.RestartPolicy?.Name).toBe("on-failure");
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`${gsl}_webnet`]);
    const redis = await replicas(gsl, "redis");
    expect(redis).toHaveLength(1);
    const volume = await docker.getVolume(`${gsl}_redis-data`).inspect();
    expect(volume.Labels?.[LABELS.stack]).toBe(gsl);
  });

  it("redeploys an unchanged file as a no-op: empty plan, same container ids", async () => {
    const before = await replicas(gsl, "web");
    const { result } = await deploy(gsl, current);
    expect(result.ok).toBe(true);
    expect(result.plan.operations).toEqual([]);
    expect(result.changed).toBe(false);
    expect(await replicas(gsl, "web")).toEqual(before);
  });

  it("replaces replicas slot by slot when the environment changes", async () => {
    const before = await replicas(gsl, "web");
    const redisBefore = await replicas(gsl, "redis");
    const change = tempFile("services:\n  web:\n    environment:\n      NAME: changed\n");
    current = [EXAMPLE, OFFLINE, change];
    const { result, events } = await deploy(gsl, current);
    expect(result.ok).toBe(true);
    const after = await replicas(gsl, "web");
    expect(after.map((r) => r.name)).toEqual(before.map((r) => r.name));
    for (let i = 0; i < 5; i++) expect(after[i]!.id).not.toBe(before[i]!.id);
    // redis did not change, so it was not touched.
    expect(await replicas(gsl, "redis")).toEqual(redisBefore);
    const env = (await docker.getContainer(after[2]!.id).inspect()).Config.Env;
    expect(env).toContain("NAME=changed");
    // Default update_config has parallelism 1: each replacement finishes before the next starts.
    const order = events.flatMap((e) =>
      (e.type === "op-start" || e.type === "op-done") && e.op.kind === "replace-container"
        ? [`${e.type}:${(e.op as { slot?: number }).slot}`]
        : [],
    );
    expect(order).toEqual([1, 2, 3, 4, 5].flatMap((n) => [`op-start:${n}`, `op-done:${n}`]));
  });

  it("scales 5 -> 2 -> 4 without recreating the kept replicas", async () => {
    const files = current;
    const five = await replicas(gsl, "web");
    const toTwo = await deploy(gsl, files, { replicas: { web: 2 }, services: ["web"] });
    expect(toTwo.result.ok).toBe(true);
    const two = await replicas(gsl, "web");
    expect(two.map((r) => r.slot)).toEqual([1, 2]);
    expect(two.map((r) => r.id)).toEqual(five.slice(0, 2).map((r) => r.id));
    const toFour = await deploy(gsl, files, { replicas: { web: 4 }, services: ["web"] });
    expect(toFour.result.ok).toBe(true);
    const four = await replicas(gsl, "web");
    expect(four.map((r) => r.slot)).toEqual([1, 2, 3, 4]);
    expect(four.slice(0, 2).map((r) => r.id)).toEqual(two.map((r) => r.id));
    expect(four.every((r) => r.state === "running")).toBe(true);
  });

  it("rm removes containers and networks and keeps the named volume", async () => {
    const result = await removeStack({
      driver: new DockerDriver(engine!),
      stack: gsl,
      volumes: false,
      sink: new CollectingSink(),
    });
    expect(result.ok).toBe(true);
    const filters = { label: [`${LABELS.stack}=${gsl}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
    expect(volumes.map((v) => v.Name)).toEqual([`${gsl}_redis-data`]);
  });

  it("--wait returns once a healthcheck whose CMD argument has spaces passes, and only then starts its dependent", async () => {
    // Podman splits CMD arguments on whitespace: `sh -c "test -e ..."` would run `sh -c test`
    // and never pass; the driver sends it as CMD-SHELL there.
    const stack = uniqueStackName("healthy");
    stacks.push(stack);
    const file = tempFile(
      [
        "services:",
        "  db:",
        `    image: ${TEST_IMAGE}`,
        "    init: true",
        '    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 3600"]',
        "    healthcheck:",
        '      test: ["CMD", "sh", "-c", "test -e /tmp/ready && ! test -e /tmp/never"]',
        "      interval: 500ms",
        "      timeout: 2s",
        "      retries: 20",
        "  app:",
        `    image: ${TEST_IMAGE}`,
        "    init: true",
        '    command: ["sleep", "3600"]',
        "    depends_on:",
        "      db:",
        "        condition: service_healthy",
        "",
      ].join("\n"),
    );
    const { result } = await deploy(stack, [file], { wait: true, timeoutMs: 90_000 });
    expect(result.ok).toBe(true);
    const [db] = await replicas(stack, "db");
    expect((await docker.getContainer(db!.id).inspect()).State.Health?.Status).toBe("healthy");
    expect((await replicas(stack, "app")).map((r) => r.state)).toEqual(["running"]);
  });

  it("does not start a service whose dependency never becomes healthy, and --wait names it", async () => {
    const stack = uniqueStackName("unhealthy");
    stacks.push(stack);
    const file = tempFile(
      [
        "services:",
        "  db:",
        `    image: ${TEST_IMAGE}`,
        '    command: ["sleep", "3600"]',
        "    healthcheck:",
        '      test: ["CMD", "false"]',
        "      interval: 200ms",
        "      timeout: 1s",
        "      retries: 2",
        "  app:",
        `    image: ${TEST_IMAGE}`,
        '    command: ["sleep", "3600"]',
        "    depends_on:",
        "      db:",
        "        condition: service_healthy",
        "  other:",
        `    image: ${TEST_IMAGE}`,
        '    command: ["sleep", "3600"]',
        "",
      ].join("\n"),
    );
    const { result, events } = await deploy(stack, [file], { wait: true, timeoutMs: 60_000 });
    expect(result.ok).toBe(false);
    expect(await replicas(stack, "app")).toEqual([]);
    // The independent service still came up.
    expect((await replicas(stack, "other")).map((r) => r.state)).toEqual(["running"]);
    const failed = events.filter((e) => e.type === "op-failed");
    expect(failed.map((e) => (e.type === "op-failed" ? e.error : "")).join("\n")).toMatch(/db/);
    const skipped = events
      .filter((e) => e.type === "op-skipped")
      .map((e) => (e.type === "op-skipped" ? e.op.id : ""));
    expect(skipped.some((id) => id.includes("app"))).toBe(true);
  });
});
