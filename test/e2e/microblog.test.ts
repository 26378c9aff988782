/**
 * The microblog example as CI uses it, with the built CLI: examples/microblog built offline on
 * the Debian base, MariaDB from Debian for MySQL and the Elasticsearch stand-in
 * (test/es-standin/). `deploy --wait` returns only when all is healthy; a post created over
 * HTTP is found by search; a redeploy with a changed microblog env replaces only microblog and
 * keeps the posts; `stack rm` leaves no containers or networks but keeps the volume, and
 * `stack rm --volumes` removes it.
 */
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rawDocker, requireEngine, uniqueStackName } from "../integration/docker/helpers.js";
import {
  cleanupExample,
  BASE_IMAGE,
  INGRESS_IMAGE,
  freePort,
  http,
  requireCli,
  runStack,
} from "./example-helpers.js";

/** Images scripts/build-example-images.sh makes for this example. */
const MYSQL_IMAGE = "stack-example/mariadb:bookworm";
const ES_IMAGE = "stack-test/es-standin:latest";

requireCli();
const found = await requireEngine();
const docker = rawDocker();
const missing: string[] = [];
if (found !== undefined) {
  for (const image of [BASE_IMAGE, MYSQL_IMAGE, ES_IMAGE]) {
    const present = await docker
      .getImage(image)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (!present) missing.push(image);
  }
  if (missing.length > 0) {
    const problem = `${missing.join(", ")} missing: run scripts/build-example-images.sh`;
    if (process.env["CI"] === "true") throw new Error(`microblog e2e needs images: ${problem}`);
    console.warn(`skipping microblog e2e: ${problem}`);
  }
}
const engine = missing.length === 0 ? found : undefined;

const FILE = resolve("examples/microblog/stack.yml");
const stack = uniqueStackName("microblog");
const port = await freePort();
const env = {
  MICROBLOG_PORT: String(port),
  MICROBLOG_IMAGE: `stack-e2e/microblog:${stack}`,
  MICROBLOG_BASE_IMAGE: BASE_IMAGE,
  MYSQL_IMAGE,
  ES_IMAGE,
  STACK_INGRESS_IMAGE: INGRESS_IMAGE,
};

interface Post {
  readonly id: number;
  readonly author: string;
  readonly body: string;
}

async function getJson(path: string): Promise<{ posts: Post[] }> {
  const res = await http(port, path);
  expect(res.status, res.body).toBe(200);
  return JSON.parse(res.body) as { posts: Post[] };
}

/** Container id per service of the stack (one replica each). */
async function containerIds(): Promise<Record<string, string>> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`stack.name=${stack}`] },
  });
  const ids: Record<string, string> = {};
  for (const c of list) {
    const service = c.Labels["stack.service"];
    if (service !== undefined) ids[service] = c.Id;
  }
  return ids;
}

async function volumeNames(): Promise<string[]> {
  const volumes = (await docker.listVolumes({ filters: { label: [`stack.name=${stack}`] } }))
    .Volumes;
  return (volumes ?? []).map((v) => v.Name);
}

afterAll(async () => {
  if (engine !== undefined) await cleanupExample(stack, env.MICROBLOG_IMAGE);
});

describe.skipIf(engine === undefined)("examples/microblog", () => {
  const body = `deploying ${stack} with zebrafish`;
  let before: Record<string, string> = {};

  it("deploy --wait returns with every service healthy, and a new post is found by search", async () => {
    const r = runStack(["deploy", "-c", FILE, "--wait", "--progress", "plain", stack], env);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stderr + r.stdout).toContain("build image");
    // --wait already waited: no polling before the first request.
    const health = await http(port, "/health");
    expect(health.status, health.body).toBe(200);
    for (const c of await docker.listContainers({ filters: { label: [`stack.name=${stack}`] } })) {
      expect(c.Status, c.Names.join()).toContain("(healthy)");
    }

    const created = await http(port, "/posts", {
      method: "POST",
      body: `author=ci&body=${encodeURIComponent(body)}`,
    });
    expect(created.status, created.body).toBe(201);
    const hits = (await getJson("/search?q=ZEBRAFISH")).posts;
    expect(hits.map((p) => p.body)).toEqual([body]);
    expect((await getJson("/search?q=unicorn")).posts).toEqual([]);
    expect((await getJson("/posts")).posts.map((p) => p.author)).toEqual(["ci"]);
    before = await containerIds();
    expect(Object.keys(before).sort()).toEqual(["elasticsearch", "microblog", "mysql"]);
  });

  it("a redeploy with a changed microblog env replaces only microblog and keeps the posts", async () => {
    const changed = { ...env, BLOG_TITLE: "Changed in CI" };
    const r = runStack(["deploy", "-c", FILE, "--wait", "--progress", "plain", stack], changed);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const after = await containerIds();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [service, id] of Object.entries(before)) {
      if (service === "microblog") expect(after[service], service).not.toBe(id);
      else expect(after[service], service).toBe(id);
    }
    const health = await http(port, "/health");
    expect(JSON.parse(health.body)).toMatchObject({ title: "Changed in CI", posts: 1 });
    expect((await getJson("/posts")).posts.map((p) => p.body)).toEqual([body]);
    expect((await getJson("/search?q=zebrafish")).posts.map((p) => p.body)).toEqual([body]);
  });

  it("stack rm leaves no containers or networks and keeps the volume with the posts", async () => {
    const volumes = await volumeNames();
    expect(volumes).toHaveLength(1);
    const rm = runStack(["rm", stack], env);
    expect(rm.status, rm.stderr).toBe(0);
    const filters = { label: [`stack.name=${stack}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect(await volumeNames()).toEqual(volumes);

    // The MySQL data came back with the volume (the search index is not persisted).
    const again = runStack(["deploy", "-c", FILE, "--wait", stack], env);
    expect(again.status, again.stderr + again.stdout).toBe(0);
    expect((await getJson("/posts")).posts.map((p) => p.body)).toEqual([body]);
  });

  it("stack rm --volumes removes the volume too", async () => {
    const rm = runStack(["rm", "--volumes", stack], env);
    expect(rm.status, rm.stderr).toBe(0);
    const filters = { label: [`stack.name=${stack}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect(await volumeNames()).toEqual([]);
  });
});
