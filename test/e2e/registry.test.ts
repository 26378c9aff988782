/**
 * Images through a real registry (Debian's docker-registry, scripts/registry.sh), on the built
 * CLI and the real engine: `stack push` lands a built image in the registry with per-layer
 * progress; `stack pull` fetches it back layer by layer (lines in plain, layer events in JSON
 * whose byte counts never go backwards); a missing tag and a denied pull fail the deploy with
 * exit 1 naming the image and the registry's answer while the rest of the stack converges;
 * credentials from a docker config (DOCKER_CONFIG) make pulls and pushes to the registry
 * behind basic auth work, and the password shows in no output and no inspect.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupStack, rawDocker, requireEngine } from "../integration/docker/helpers.js";
import { catalog, manifestDigest, requireRegistry } from "../integration/registry.js";
import { CLI, requireCli } from "./example-helpers.js";

requireCli();
const engine = await requireEngine();
const registry = await requireRegistry();
const docker = rawDocker();

const suffix = randomBytes(4).toString("hex");
const STACK = `reg${suffix}`;
const root = mkdtempSync(join(tmpdir(), "stack-registry-"));
const emptyConfig = mkdtempSync(join(tmpdir(), "stack-registry-noauth-"));
const images: string[] = [];

afterAll(async () => {
  await cleanupStack(STACK);
  for (const image of images)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
});

/** Runs the CLI in `cwd` with `env` on top of the process's (DOCKER_CONFIG: no credentials). */
function stack(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, DOCKER_CONFIG: emptyConfig, ...env },
    timeout: 180_000,
  });
}

/** A project directory with `stack.yml` and a build context `ctx/` of 3 MB of fresh bytes. */
function project(name: string, yml: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "ctx"), { recursive: true });
  writeFileSync(join(dir, "stack.yml"), yml);
  writeFileSync(join(dir, "ctx", "blob"), randomBytes(3_000_000));
  writeFileSync(
    join(dir, "ctx", "Dockerfile"),
    "FROM stack-test/busybox:latest\nCOPY blob /blob\n",
  );
  return dir;
}

function jsonEvents(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(engine === undefined || registry === undefined)("images through a registry", () => {
  const reg = registry!;
  const repo = `stack-e2e/app-${suffix}`;
  const image = `${reg.open}/${repo}:1`;
  images.push(image);
  const dir = project("push", `services:\n  app:\n    build: ./ctx\n    image: ${image}\n`);

  it("push lands the built image in the registry, with per-layer progress", () => {
    const build = stack(dir, ["build", "--progress", "plain"]);
    expect(build.status, build.stderr).toBe(0);
    const push = stack(dir, ["push", "--progress", "json"]);
    expect(push.status, push.stderr).toBe(0);
    const events = jsonEvents(push.stdout + push.stderr);
    const layers = events.filter((e) => e["type"] === "push-progress" && e["layer"] !== undefined);
    expect(layers.map((e) => (e["layer"] as { status: string }).status)).toContain("Pushed");
    expect(
      events.some(
        (e) => e["type"] === "info" && String(e["message"]).startsWith(`pushed ${image} (sha256:`),
      ),
    ).toBe(true);
  });

  it("the registry's catalog lists the pushed repository, its tag names the pushed digest", async () => {
    expect(await catalog(reg, reg.open)).toContain(repo);
    const digest = await manifestDigest(reg, reg.open, repo, "1");
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // What the engine recorded for the local image after the push.
    const inspect = await docker.getImage(image).inspect();
    expect(inspect.RepoDigests).toContain(`${reg.open}/${repo}@${digest}`);
  });

  it("pull fetches it back layer by layer: lines in plain, events with growing bytes in JSON", async () => {
    const pullDir = join(root, "pull");
    mkdirSync(pullDir);
    writeFileSync(join(pullDir, "stack.yml"), `services:\n  app:\n    image: ${image}\n`);
    await docker.getImage(image).remove({ force: true });
    const plain = stack(pullDir, ["pull", "--progress", "plain"]);
    expect(plain.status, plain.stderr).toBe(0);
    const out = plain.stdout + plain.stderr;
    expect(out).toMatch(/pull {4}\S+: layer [0-9a-f]{12}: Downloading \(3\.0MB\)/);
    expect(out).toMatch(/layer [0-9a-f]{12}: Pull complete/);
    expect(out).toMatch(/layer [0-9a-f]{12}: Already exists/);

    await docker.getImage(image).remove({ force: true });
    const json = stack(pullDir, ["pull", "--progress", "json"]);
    expect(json.status, json.stderr).toBe(0);
    const pulls = jsonEvents(json.stdout + json.stderr).filter(
      (e) => e["type"] === "pull-progress",
    );
    const bytes = pulls.flatMap((e) =>
      typeof e["currentBytes"] === "number" ? [e["currentBytes"]] : [],
    );
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    expect(bytes.at(-1)).toBe(pulls.at(-1)?.["totalBytes"] ?? bytes.at(-1));
    expect((await docker.getImage(image).inspect()).Id).toMatch(/^sha256:/);
  });

  it("a missing tag and a denied pull fail the deploy (exit 1) naming image and answer; the rest converges", async () => {
    const failDir = join(root, "fail");
    mkdirSync(failDir);
    const missing = `${reg.open}/${repo}:nope`;
    const denied = `${reg.auth}/stack-test/busybox:v2`;
    writeFileSync(
      join(failDir, "stack.yml"),
      [
        "services:",
        "  ok:",
        `    image: ${image}`,
        '    command: ["sleep", "600"]',
        "  missing:",
        `    image: ${missing}`,
        "  denied:",
        `    image: ${denied}`,
        "",
      ].join("\n"),
    );
    const res = stack(failDir, ["deploy", "-p", STACK, "--progress", "plain"]);
    expect(res.status, res.stdout + res.stderr).toBe(1);
    const out = res.stdout + res.stderr;
    expect(out).toContain(
      `cannot pull image ${missing}: the registry has no such image (manifest for ${missing} not found`,
    );
    expect(out).toContain(`cannot pull image ${denied}: the registry refused access (`);
    expect(out).toContain("no basic auth credentials");
    const running = await docker.listContainers({
      filters: { label: [`stack.name=${STACK}`] },
    });
    expect(running.map((c) => c.Image)).toEqual([image]);
  });

  it("with credentials from DOCKER_CONFIG a pull and a push to the auth registry work; the password is never shown", async () => {
    const authImage = `${reg.auth}/stack-e2e/app-${suffix}:1`;
    images.push(authImage);
    const authDir = project(
      "auth",
      `services:\n  app:\n    build: ./ctx\n    image: ${authImage}\n    command: ["sleep", "600"]\n`,
    );
    expect(stack(authDir, ["build", "--progress", "quiet"]).status).toBe(0);
    const refused = stack(authDir, ["push", "--progress", "plain"]);
    expect(refused.status).toBe(1);
    expect(refused.stdout + refused.stderr).toContain(
      `cannot push image ${authImage}: registry ${reg.auth} refused access`,
    );

    const withAuth = { DOCKER_CONFIG: reg.dockerConfig };
    const outputs: string[] = [];
    const pushed = stack(authDir, ["push", "--progress", "json"], withAuth);
    outputs.push(pushed.stdout, pushed.stderr);
    expect(pushed.status, pushed.stderr).toBe(0);
    expect(await manifestDigest(reg, reg.auth, `stack-e2e/app-${suffix}`, "1")).toMatch(/^sha256:/);

    await docker.getImage(authImage).remove({ force: true });
    const authStack = `${STACK}auth`;
    try {
      const deployed = stack(authDir, ["deploy", "-p", authStack, "--progress", "plain"], withAuth);
      outputs.push(deployed.stdout, deployed.stderr);
      expect(deployed.status, deployed.stdout + deployed.stderr).toBe(0);
      const pulled = stack(authDir, ["pull", "--progress", "json"], withAuth);
      outputs.push(pulled.stdout, pulled.stderr);
      expect(pulled.status).toBe(0);
      const containers = await docker.listContainers({
        filters: { label: [`stack.name=${authStack}`] },
      });
      expect(containers).toHaveLength(1);
      const inspected = JSON.stringify(await docker.getContainer(containers[0]!.Id).inspect());
      const imageInspected = JSON.stringify(await docker.getImage(authImage).inspect());
      for (const text of [...outputs, inspected, imageInspected]) {
        expect(text).not.toContain(reg.password);
        expect(text).not.toContain(
          Buffer.from(`${reg.username}:${reg.password}`).toString("base64"),
        );
      }
    } finally {
      await cleanupStack(authStack);
    }
  });

  it("an unreachable registry is retried, then fails naming the image (exit 1)", () => {
    const downDir = join(root, "down");
    mkdirSync(downDir);
    const gone = "127.0.0.1:15419/stack-test/busybox:latest";
    writeFileSync(join(downDir, "stack.yml"), `services:\n  app:\n    image: ${gone}\n`);
    const res = stack(downDir, ["pull", "--progress", "plain"]);
    expect(res.status).toBe(1);
    const out = res.stdout + res.stderr;
    expect(out).toMatch(/retrying \(attempt 2\)/);
    expect(out).toContain(`error: cannot pull image ${gone}: the registry cannot be reached`);
  });

  it("pull_policy: always pulls a moved tag and replaces the replica; missing does not; a refresh pulls once per period", async () => {
    const repo2 = `stack-e2e/policy-${suffix}`;
    const tag = `${reg.open}/${repo2}:1`;
    images.push(tag);
    // v1 and v2 in the registry under one tag; the engine keeps v1 under it.
    const push = (dir: string) => {
      expect(stack(dir, ["build", "--progress", "quiet"]).status).toBe(0);
      expect(stack(dir, ["push", "--progress", "quiet"]).status).toBe(0);
    };
    const yml = `services:\n  app:\n    build: ./ctx\n    image: ${tag}\n`;
    push(project("policy-v1", yml));
    const v1 = (await docker.getImage(tag).inspect()).Id;
    push(project("policy-v2", yml));
    const v2 = (await docker.getImage(tag).inspect()).Id;
    expect(v2).not.toBe(v1);
    await docker.getImage(v1).tag({ repo: `${reg.open}/${repo2}`, tag: "1" });

    const run = (policy: string) =>
      `services:\n  app:\n    image: ${tag}\n    pull_policy: ${policy}\n    command: ["sleep", "600"]\n`;
    const dir = join(root, "policy");
    mkdirSync(dir);
    const policyStack = `${STACK}pol`;
    const running = async () =>
      (await docker.listContainers({ filters: { label: [`stack.name=${policyStack}`] } })).map(
        (c) => c.ImageID,
      );
    try {
      writeFileSync(join(dir, "stack.yml"), run("missing"));
      expect(stack(dir, ["deploy", "-p", policyStack, "--progress", "plain"]).status).toBe(0);
      expect(await running()).toEqual([v1]);

      writeFileSync(join(dir, "stack.yml"), run("always"));
      const dry = stack(dir, ["deploy", "-p", policyStack, "--dry-run"]);
      expect(dry.stdout).toContain(`pull image ${tag}`);
      expect(dry.stdout).toContain("pull_policy always");
      const always = stack(dir, ["deploy", "-p", policyStack, "--progress", "plain"]);
      expect(always.status, always.stdout + always.stderr).toBe(0);
      expect(await running()).toEqual([v2]);

      // every_1h: the pull just made is the last one (the engine's LastTagTime), so no pull.
      writeFileSync(join(dir, "stack.yml"), run("every_1h"));
      const fresh = stack(dir, ["deploy", "-p", policyStack, "--dry-run"]);
      expect(fresh.stdout + fresh.stderr).toContain(`stack ${policyStack} is up to date`);
      // An image the engine never had: pulled as missing, and that pull is recorded too (a
      // fresh pull alone leaves LastTagTime unset on dockerd 20.10).
      const tag3 = `${reg.open}/${repo2}:3`;
      images.push(tag3);
      push(project("policy-v3", yml.replace(tag, tag3)));
      await docker.getImage(tag3).remove({ force: true });
      writeFileSync(join(dir, "stack.yml"), run("every_1h").replace(tag, tag3));
      const pulled = stack(dir, ["deploy", "-p", policyStack, "--progress", "plain"]);
      expect(pulled.status, pulled.stdout + pulled.stderr).toBe(0);
      expect(pulled.stdout + pulled.stderr).toContain(`pull image ${tag3}`);
      const tagged = (await docker.getImage(tag3).inspect()) as {
        Metadata?: { LastTagTime?: string };
      };
      expect(
        Date.now() - Date.parse(tagged.Metadata?.LastTagTime ?? "0001-01-01T00:00:00Z"),
      ).toBeLessThan(600_000);
      const after = stack(dir, ["deploy", "-p", policyStack, "--dry-run"]);
      expect(after.stdout + after.stderr).toContain(`stack ${policyStack} is up to date`);
    } finally {
      await cleanupStack(policyStack);
    }
  });

  it("pull_policy: never with the image missing stops the deploy (exit 2) before any change; a bad value is located", async () => {
    const dir = join(root, "never");
    mkdirSync(dir);
    const missing = `${reg.open}/stack-e2e/never-${suffix}:1`;
    writeFileSync(
      join(dir, "stack.yml"),
      `services:\n  app:\n    image: ${missing}\n    pull_policy: never\n`,
    );
    const neverStack = `${STACK}nev`;
    const res = stack(dir, ["deploy", "-p", neverStack, "--progress", "plain"]);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(`image ${missing} is not on the engine and pull_policy is never`);
    expect(
      await docker.listContainers({ all: true, filters: { label: [`stack.name=${neverStack}`] } }),
    ).toEqual([]);
    writeFileSync(
      join(dir, "stack.yml"),
      `services:\n  app:\n    image: ${missing}\n    pull_policy: sometimes\n`,
    );
    const bad = stack(dir, ["config"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/stack\.yml:4:\d+.*pull_policy "sometimes" is not one of/);
  });
});
