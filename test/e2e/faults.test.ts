/**
 * Fault injection on the default engine through the built CLI: replicas killed with SIGKILL,
 * containers and networks removed by hand, an image removed, a service that cannot start.
 * Each is detected, `ps` shows it, and the engine policy or the next deploy repairs it
 * without touching what runs.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LABELS } from "../../src/drivers/docker-api/labels.js";
import {
  cleanupStack,
  rawDocker,
  requireEngine,
  TEST_IMAGE,
  TEST_IMAGE_V2,
  uniqueStackName,
  waitFor,
} from "../integration/docker/helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const engine = await requireEngine();
const docker = rawDocker();
const stacks: string[] = [];

function stack(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 180_000 });
}

function tempFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "stack-faults-")), "stack.yml");
  writeFileSync(file, text);
  return file;
}

interface PsRow {
  name: string;
  state: string;
  exitCode?: number;
  restartCount: number;
}

function ps(name: string): PsRow[] {
  const r = stack(["ps", name, "--format", "json"]);
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as PsRow[]).sort((a, b) => a.name.localeCompare(b.name));
}

async function ids(name: string, service?: string) {
  const label = [`${LABELS.stack}=${name}`, ...(service ? [`${LABELS.service}=${service}`] : [])];
  const list = await docker.listContainers({ all: true, filters: { label } });
  return new Map(list.map((c) => [c.Names[0]!.slice(1), { id: c.Id, state: c.State }]));
}

afterAll(async () => {
  if (engine) for (const s of stacks) await cleanupStack(s);
});

describe.skipIf(engine === undefined)("faults on the default engine", () => {
  it("a replica killed with SIGKILL shows its exit and restart in ps and is restarted by the engine", async () => {
    const name = uniqueStackName("sigkill");
    stacks.push(name);
    const file = tempFile(
      `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    restart: always\n    deploy:\n      replicas: 2\n`,
    );
    expect(stack(["deploy", "-c", file, name]).status).toBe(0);
    const victim = (await ids(name)).get(`${name}_web.1`)!;
    const pid = (await docker.getContainer(victim.id).inspect()).State.Pid;
    // From the host, as the OOM killer or an operator would: `docker kill` would count as
    // stopped-by-user on dockerd 20.10 and not be restarted.
    process.kill(pid, "SIGKILL");
    const row = await waitFor(
      () =>
        ps(name).find(
          (r) => r.name === `${name}_web.1` && r.restartCount >= 1 && r.state === "running",
        ),
      { timeoutMs: 30_000, what: "the killed replica restarted" },
    );
    expect(row.restartCount).toBeGreaterThanOrEqual(1);
    expect((await docker.getContainer(victim.id).inspect()).State.Pid).not.toBe(pid);
    // Same container, restarted in place: nothing for deploy to do.
    expect(stack(["deploy", "-c", file, name, "--dry-run"]).stdout).toContain("up to date");
  });

  it("containers and the network removed by hand are recreated by the next deploy; the rest keeps running", async () => {
    const name = uniqueStackName("byhand");
    stacks.push(name);
    const file = tempFile(
      `services:\n  a:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    deploy:\n      replicas: 2\n  b:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    network_mode: none\n`,
    );
    expect(stack(["deploy", "-c", file, name]).status).toBe(0);
    const before = await ids(name);
    // Remove every container on the stack's network, then the network itself.
    for (const n of [`${name}_a.1`, `${name}_a.2`])
      await docker.getContainer(before.get(n)!.id).remove({ force: true });
    await docker.getNetwork(`${name}_default`).remove();
    expect(ps(name).map((r) => r.name)).toEqual([`${name}_b.1`]);

    const r = stack(["deploy", "-c", file, name]);
    expect(r.status).toBe(0);
    const after = await ids(name);
    expect([...after.keys()].sort()).toEqual([`${name}_a.1`, `${name}_a.2`, `${name}_b.1`]);
    expect([...after.values()].every((c) => c.state === "running")).toBe(true);
    expect(after.get(`${name}_b.1`)!.id).toBe(before.get(`${name}_b.1`)!.id);
    const nets = await docker.listNetworks({ filters: { name: [`${name}_default`] } });
    expect(nets).toHaveLength(1);
  });

  it("an image that cannot be had: the error names it, other services converge, nothing running is torn down", async () => {
    const name = uniqueStackName("noimage");
    stacks.push(name);
    const tag = `stack-test/busybox:gone-${name}`;
    await docker.getImage(TEST_IMAGE_V2).tag({ repo: "stack-test/busybox", tag: `gone-${name}` });
    const v1 = tempFile(
      `services:\n  keep:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n  app:\n    image: ${tag}\n    command: ["sleep", "3600"]\n`,
    );
    expect(stack(["deploy", "-c", v1, name]).status).toBe(0);
    const running = await ids(name);
    // The image disappears (pruned by hand); a change now needs it, and no registry has it.
    await docker.getImage(tag).remove({ force: true });
    const v2 = tempFile(
      `services:\n  keep:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n  app:\n    image: ${tag}\n    command: ["sleep", "7200"]\n  extra:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n`,
    );
    const r = stack(["deploy", "-c", v2, name, "--progress", "plain"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(tag);
    const after = await ids(name);
    // The old app replica still runs (not torn down for a replacement that cannot start),
    // and the service that needs no missing image converged.
    expect(after.get(`${name}_app.1`)?.id).toBe(running.get(`${name}_app.1`)!.id);
    expect(after.get(`${name}_app.1`)?.state).toBe("running");
    expect(after.get(`${name}_keep.1`)?.id).toBe(running.get(`${name}_keep.1`)!.id);
    expect(after.get(`${name}_extra.1`)?.state).toBe("running");

    // The image is back (re-tagged locally, as a pull or a build would): the next deploy repairs.
    await docker.getImage(TEST_IMAGE_V2).tag({ repo: "stack-test/busybox", tag: `gone-${name}` });
    expect(stack(["deploy", "-c", v2, name]).status).toBe(0);
    const repaired = await ids(name);
    expect(repaired.get(`${name}_app.1`)?.id).not.toBe(running.get(`${name}_app.1`)!.id);
    expect(repaired.get(`${name}_app.1`)?.state).toBe("running");
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it("a service whose container exits at once: the others converge, --wait reports its last log lines, exit 1", async () => {
    const name = uniqueStackName("exits");
    stacks.push(name);
    const ok = tempFile(
      `services:\n  ok:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n`,
    );
    expect(stack(["deploy", "-c", ok, name]).status).toBe(0);
    const before = await ids(name);
    const file = tempFile(
      `services:\n  ok:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n  more:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n  bad:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", "echo cannot-open-config-file >&2; exit 7"]\n`,
    );
    const r = stack([
      "deploy",
      "-c",
      file,
      name,
      "--wait",
      "--timeout",
      "60s",
      "--progress",
      "plain",
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${name}_bad.1`);
    expect(r.stderr).toContain("cannot-open-config-file");
    const after = await ids(name);
    expect(after.get(`${name}_ok.1`)).toEqual(before.get(`${name}_ok.1`));
    expect(after.get(`${name}_more.1`)?.state).toBe("running");
    expect(ps(name).find((row) => row.name === `${name}_bad.1`)).toMatchObject({
      state: "exited",
      exitCode: 7,
    });
  });
});
