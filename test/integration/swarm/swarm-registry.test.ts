/**
 * The seeds' path on the two-node test swarm through the built CLI (DOCKER_HOST = the
 * manager) and the local registries (scripts/registry.sh, reachable from both nodes as
 * 127.0.0.1:PORT): a tag is pinned to its registry digest so both nodes run the same image;
 * an unchanged tag redeploys as "up to date"; a moved tag (a new image pushed) is an update
 * that rolls both nodes to the new digest, unless `--resolve-image never`; a service with
 * `build:` is built on the manager, pushed and deployed, and its page answers on both nodes;
 * `--with-registry-auth` lets the worker pull from the registry behind basic auth, and the
 * password shows in neither the output nor `docker service inspect`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestDigest, requireRegistry } from "../registry.js";
import {
  cleanupSwarmStack,
  lockCluster,
  requireCluster,
  uniqueStackName,
  waitFor,
} from "./helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const cluster = requireCluster();
const registry = await requireRegistry();
const worker = new Dockerode({ socketPath: "/run/stack-swarm/b.sock" });
const suffix = randomBytes(3).toString("hex");
const root = mkdtempSync(join(tmpdir(), "stack-swarm-registry-"));
const noCredentials = mkdtempSync(join(tmpdir(), "stack-swarm-noauth-"));
const stacks: string[] = [];
const localTags: string[] = [];
let release: (() => void) | undefined;

/** Runs the CLI against the manager from `cwd`; never throws. */
function stack(cwd: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, DOCKER_HOST: cluster!.host, DOCKER_CONFIG: noCredentials, ...env },
    timeout: 300_000,
  });
}

/** Builds `FROM stack-test/busybox` plus `text` as a page on the default engine, pushes it as `tag`. */
function pushPage(tag: string, text: string, config?: string): void {
  const dir = mkdtempSync(join(root, "img-"));
  writeFileSync(join(dir, "index.html"), text);
  writeFileSync(
    join(dir, "Dockerfile"),
    "FROM stack-test/busybox:latest\nCOPY index.html /www/index.html\n",
  );
  execFileSync("docker", ["build", "-q", "-t", tag, dir], { stdio: "ignore" });
  execFileSync("docker", ["push", "-q", tag], {
    stdio: "ignore",
    env: { ...process.env, ...(config !== undefined && { DOCKER_CONFIG: config }) },
  });
  localTags.push(tag);
}

/** A stack file serving /www on port 8080 from 2 replicas, one per node. */
function webStack(image: string, extra = ""): string {
  return [
    "services:",
    "  web:",
    `    image: ${image}`,
    '    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]',
    extra,
    "    deploy:",
    "      replicas: 2",
    "      placement:",
    "        max_replicas_per_node: 1",
    "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}

function project(name: string, yml: string, files: Record<string, string> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "stack.yml"), yml);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

interface TaskRow {
  readonly node: string;
  readonly image: string;
  readonly container: string;
}

/** Running tasks of `service` with their node, spec image and container id. */
async function tasks(service: string): Promise<TaskRow[]> {
  const docker = cluster!.docker;
  const nodes = new Map(
    (await docker.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? ""]),
  );
  const list = (await docker.listTasks({
    filters: { service: [service], "desired-state": ["running"] },
  })) as {
    NodeID?: string;
    Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
    Spec?: { ContainerSpec?: { Image?: string } };
  }[];
  return list
    .filter((t) => t.Status?.State === "running")
    .map((t) => ({
      node: nodes.get(t.NodeID ?? "") ?? "",
      image: t.Spec?.ContainerSpec?.Image ?? "",
      container: t.Status?.ContainerStatus?.ContainerID ?? "",
    }))
    .sort((a, b) => a.node.localeCompare(b.node));
}

/** Waits until both nodes run a task of `service` from `image`; returns them. */
function onBothNodes(service: string, image: string): Promise<TaskRow[]> {
  return waitFor(
    `${service} on both nodes from ${image}`,
    async () => {
      const rows = await tasks(service);
      return rows.length === 2 &&
        new Set(rows.map((r) => r.node)).size === 2 &&
        rows.every((r) => r.image === image)
        ? rows
        : undefined;
    },
    180_000,
  );
}

/** The page the task's container serves, fetched inside it on its own node. */
async function page(row: TaskRow): Promise<string> {
  const engine = row.node === "stack-swarm-a" ? cluster!.docker : worker;
  // The image ID the container runs must be the one its node holds for the digest.
  const exec = await engine.getContainer(row.container).exec({
    Cmd: ["wget", "-qO-", "http://127.0.0.1:8080/"],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  // Multiplexed frames: 8-byte headers before each chunk of output.
  let out = "";
  const all = Buffer.concat(chunks);
  for (let i = 0; i + 8 <= all.length;) {
    const size = all.readUInt32BE(i + 4);
    out += all.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  return out;
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
}, 600_000);

afterAll(async () => {
  try {
    if (cluster !== undefined)
      await Promise.all(stacks.map((s) => cleanupSwarmStack(cluster.docker, s)));
    for (const t of localTags) spawnSync("docker", ["rmi", "-f", t], { stdio: "ignore" });
  } finally {
    release?.();
  }
});

describe.skipIf(cluster === undefined || registry === undefined)(
  "images through a registry on the swarm",
  () => {
    const reg = registry!;

    it("pins the tag to its digest on both nodes; unchanged is up to date; a moved tag rolls both nodes", async () => {
      const name = uniqueStackName("sreg");
      stacks.push(name);
      const repo = `stack-swarm/web-${suffix}`;
      const tag = `${reg.open}/${repo}:1`;
      pushPage(tag, "one\n");
      const first = await manifestDigest(reg, reg.open, repo, "1");
      const dir = project("moved", webStack(tag));

      const deployed = stack(dir, ["deploy", name, "--wait", "--progress", "plain"]);
      expect(deployed.status, deployed.stdout + deployed.stderr).toBe(0);
      const one = await onBothNodes(`${name}_web`, `${tag}@${first}`);
      expect(await Promise.all(one.map(page))).toEqual(["one\n", "one\n"]);
      const version = async () =>
        (await cluster!.docker.getService(`${name}_web`).inspect()).Version.Index as number;
      const before = await version();

      const again = stack(dir, ["deploy", name, "--dry-run"]);
      expect(again.status).toBe(0);
      expect(again.stdout + again.stderr).toContain(`stack ${name} is up to date`);
      expect(stack(dir, ["deploy", name, "--progress", "plain"]).status).toBe(0);
      expect(await version()).toBe(before);

      pushPage(tag, "two\n");
      const second = await manifestDigest(reg, reg.open, repo, "1");
      expect(second).not.toBe(first);
      // Not asking the registry keeps what runs.
      const never = stack(dir, ["deploy", name, "--resolve-image", "never", "--dry-run"]);
      expect(never.stdout + never.stderr).toContain(`stack ${name} is up to date`);

      const moved = stack(dir, ["deploy", name, "--wait", "--progress", "plain"]);
      expect(moved.status, moved.stdout + moved.stderr).toBe(0);
      expect(moved.stdout + moved.stderr).toMatch(/update service .*_web/);
      const two = await onBothNodes(`${name}_web`, `${tag}@${second}`);
      expect(await Promise.all(two.map(page))).toEqual(["two\n", "two\n"]);
    }, 600_000);

    it("builds a service's image on the manager, pushes it and runs it on both nodes (the seeds' flow)", async () => {
      const name = uniqueStackName("sbld");
      stacks.push(name);
      const repo = `stack-swarm/app-${suffix}`;
      const tag = `${reg.open}/${repo}:1`;
      const dir = project("build", webStack(tag, "    build: ./app"), {
        "app/Dockerfile": "FROM stack-test/busybox:latest\nCOPY index.html /www/index.html\n",
        "app/index.html": `built on the manager ${suffix}\n`,
      });
      const deployed = stack(dir, ["deploy", name, "--wait", "--progress", "plain"]);
      const out = deployed.stdout + deployed.stderr;
      expect(deployed.status, out).toBe(0);
      expect(out).toContain(`building ${tag} (service web) on the manager`);
      expect(out).toMatch(/push {4}\S+: layer [0-9a-f]{12}: Pushed/);
      const digest = await manifestDigest(reg, reg.open, repo, "1");
      expect(out).toContain(`pushed ${tag} (${digest})`);
      const rows = await onBothNodes(`${name}_web`, `${tag}@${digest}`);
      const built = `built on the manager ${suffix}\n`;
      expect(await Promise.all(rows.map(page))).toEqual([built, built]);
      // Unchanged: neither built nor pushed again, nothing updated.
      const again = stack(dir, ["deploy", name, "--progress", "plain"]);
      expect(again.stdout + again.stderr).not.toContain("building");
      expect(again.stdout + again.stderr).toContain(`stack ${name} is up to date`);
    }, 600_000);

    it("--with-registry-auth lets the worker pull from the auth registry; the password is never shown", async () => {
      const name = uniqueStackName("sauth");
      stacks.push(name);
      const repo = `stack-swarm/private-${suffix}`;
      const tag = `${reg.auth}/${repo}:1`;
      pushPage(tag, "private\n", reg.dockerConfig);
      const digest = await manifestDigest(reg, reg.auth, repo, "1");
      const dir = project("auth", webStack(tag));
      const withConfig = { DOCKER_CONFIG: reg.dockerConfig };

      const warned = stack(dir, ["deploy", name, "--dry-run"], withConfig);
      expect(warned.stdout + warned.stderr).toContain("deploy with --with-registry-auth");

      const deployed = stack(
        dir,
        ["deploy", name, "--with-registry-auth", "--wait", "--progress", "plain"],
        withConfig,
      );
      const out = deployed.stdout + deployed.stderr;
      expect(deployed.status, out).toBe(0);
      const rows = await onBothNodes(`${name}_web`, `${tag}@${digest}`);
      expect(await Promise.all(rows.map(page))).toEqual(["private\n", "private\n"]);
      const inspected = JSON.stringify(await cluster!.docker.getService(`${name}_web`).inspect());
      for (const text of [out, inspected]) {
        expect(text).not.toContain(reg.password);
        expect(text).not.toContain(
          Buffer.from(`${reg.username}:${reg.password}`).toString("base64"),
        );
      }
    }, 600_000);
  },
);
