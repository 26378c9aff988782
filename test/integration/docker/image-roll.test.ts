/**
 * Images that move, on a real engine: a replica runs the image ID its tag resolved to when
 * it was created, and a deploy replaces it when the tag now names another image, whether
 * `stack` rebuilt the tag (for the service that builds it and for every other service that
 * runs it) or something else moved it (a plain `docker build`); an unchanged tag changes
 * nothing. Each test builds its own tag, so no other test's images move.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deployStack, type DeployOptions } from "../../../src/api/deploy.js";
import { formatPlan } from "../../../src/core/format-plan.js";
import { DockerDriver } from "../../../src/drivers/docker/docker-driver.js";
import type { DockerEngine } from "../../../src/drivers/docker/docker-engine.js";
import { LABELS } from "../../../src/drivers/docker-api/labels.js";
import { nullSink } from "../../../src/progress/events.js";
import { cleanupStack, rawDocker, requireEngine, TEST_IMAGE, uniqueStackName } from "./helpers.js";

const engine: DockerEngine | undefined = await requireEngine();
const docker = rawDocker();
const stacks: string[] = [];
const tags: string[] = [];

afterAll(async () => {
  for (const s of stacks) await cleanupStack(s);
  for (const t of tags)
    await docker
      .getImage(t)
      .remove({ force: true })
      .catch(() => undefined);
});

/** A directory holding `files` (paths may have directories). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-image-roll-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

function deploy(stack: string, dir: string, extra: Partial<DeployOptions> = {}) {
  return deployStack({
    files: [join(dir, "stack.yml")],
    envFiles: [],
    cwd: dir,
    env: {},
    stack: stack,
    driver: () => new DockerDriver(engine!),
    sink: nullSink,
    parallel: 4,
    ...extra,
  });
}

/** Each replica of `service`: container id and the image ID it was created from, by name. */
async function replicas(stack: string, service: string) {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.stack}=${stack}`, `${LABELS.service}=${service}`] },
  });
  const out: Record<string, { id: string; image: string; state: string }> = {};
  for (const c of list) {
    const inspect = await docker.getContainer(c.Id).inspect();
    out[c.Names[0]!.slice(1)] = { id: c.Id, image: inspect.Image, state: c.State };
  }
  return out;
}

async function imageId(tag: string): Promise<string> {
  return (await docker.getImage(tag).inspect()).Id;
}

describe.skipIf(engine === undefined)("images that move, on a real engine", () => {
  it("a changed build context: one deploy rebuilds and replaces the builder and the service running its tag", async () => {
    const stack = uniqueStackName("roll-build");
    stacks.push(stack);
    const tag = `stack-test/roll-${stack}:latest`;
    tags.push(tag);
    const dir = project({
      "app/Dockerfile": `FROM ${TEST_IMAGE}\nCOPY version /version\n`,
      "app/version": "1\n",
      "stack.yml": [
        "services:",
        "  app:",
        `    image: ${tag}`,
        "    build: ./app",
        '    command: ["sleep", "3600"]',
        "    deploy:",
        "      update_config:",
        "        monitor: 500ms",
        "  worker:",
        `    image: ${tag}`,
        '    command: ["sleep", "3600"]',
        "    deploy:",
        "      replicas: 2",
        "      update_config:",
        "        monitor: 500ms",
        "",
      ].join("\n"),
    });
    expect((await deploy(stack, dir)).ok).toBe(true);
    const v1 = await imageId(tag);
    const app1 = await replicas(stack, "app");
    const worker1 = await replicas(stack, "worker");
    expect(Object.values({ ...app1, ...worker1 }).map((r) => r.image)).toEqual([v1, v1, v1]);

    writeFileSync(join(dir, "app/version"), "2\n");
    // What the dry run says is what the deploy does: build, then replace all three.
    const dry = await deploy(stack, dir, { dryRun: true });
    const short = v1.slice("sha256:".length, "sha256:".length + 12);
    expect(dry.plan.operations.map((o) => `${o.text} (${o.cause})`)).toEqual([
      `build image ${tag} (content changed)`,
      `replace container ${stack}_app.1 stop-first (config hash diverged)`,
      `replace container ${stack}_worker.1 stop-first (image changed: ${short} -> new build)`,
      `replace container ${stack}_worker.2 stop-first (image changed: ${short} -> new build)`,
    ]);

    const result = await deploy(stack, dir);
    expect(result.ok).toBe(true);
    const v2 = await imageId(tag);
    expect(v2).not.toBe(v1);
    const app2 = await replicas(stack, "app");
    const worker2 = await replicas(stack, "worker");
    // Every replica is a new container on the new image, the worker's second one included.
    for (const [name, r] of Object.entries({ ...app2, ...worker2 })) {
      expect(r.image, name).toBe(v2);
      expect(r.state, name).toBe("running");
      expect(r.id, name).not.toBe({ ...app1, ...worker1 }[name]?.id);
    }
    expect(worker2[`${stack}_worker.2`]?.image).toBe(v2);

    // Converged: the next deploy has nothing to do.
    expect((await deploy(stack, dir, { dryRun: true })).plan.operations).toEqual([]);
  });

  it("a tag moved by a plain docker build rolls its service on the next deploy; an unchanged tag nothing", async () => {
    const stack = uniqueStackName("roll-ext");
    stacks.push(stack);
    const tag = `stack-test/roll-${stack}:latest`;
    tags.push(tag);
    const context = project({ Dockerfile: `FROM ${TEST_IMAGE}\nLABEL version=1\n` });
    const build = () => execFileSync("docker", ["build", "-q", "-t", tag, context]);
    build();
    const dir = project({
      "stack.yml": [
        "services:",
        "  web:",
        `    image: ${tag}`,
        '    command: ["sleep", "3600"]',
        "    deploy:",
        "      replicas: 2",
        "      update_config:",
        "        order: start-first",
        "        monitor: 500ms",
        "",
      ].join("\n"),
    });
    expect((await deploy(stack, dir)).ok).toBe(true);
    const before = await replicas(stack, "web");

    // Unchanged tag: up to date, nothing touched.
    const same = await deploy(stack, dir);
    expect(same.plan.operations).toEqual([]);
    expect(same.changed).toBe(false);
    expect(await replicas(stack, "web")).toEqual(before);

    // Outside stack, the tag moves to a new image.
    const old = await imageId(tag);
    writeFileSync(join(context, "Dockerfile"), `FROM ${TEST_IMAGE}\nLABEL version=2\n`);
    build();
    const now = await imageId(tag);
    expect(now).not.toBe(old);
    const dry = await deploy(stack, dir, { dryRun: true });
    const cause = `image changed: ${old.slice(7, 19)} -> ${now.slice(7, 19)}`;
    expect(dry.plan.operations.map((o) => `${o.text} (${o.cause})`)).toEqual([
      `replace container ${stack}_web.1 start-first (${cause})`,
      `replace container ${stack}_web.2 start-first (${cause})`,
    ]);

    const result = await deploy(stack, dir);
    expect(result.ok).toBe(true);
    const after = await replicas(stack, "web");
    expect(Object.keys(after).sort()).toEqual([`${stack}_web.1`, `${stack}_web.2`]);
    for (const [name, r] of Object.entries(after)) {
      expect(r.image, name).toBe(now);
      expect(r.id, name).not.toBe(before[name]?.id);
    }
    expect(formatPlan((await deploy(stack, dir, { dryRun: true })).plan)).toBe(
      `No changes: stack ${stack} is up to date.\n`,
    );
  });
});
