/**
 * Lifecycle hooks on a real engine, through the built CLI as a user runs it: what the hooks
 * did is read back from the replicas (logs, files inside) and from the named volume they
 * write to, their output from the plain progress output, failures from the exit code and the
 * containers left behind.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LABELS, stackFilter } from "../../../src/drivers/docker-api/labels.js";
import {
  cleanupStack,
  rawDocker,
  requireEngine,
  TEST_IMAGE,
  uniqueStackName,
  waitFor,
} from "./helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const engine = await requireEngine();
const docker = rawDocker();
const stacks: string[] = [];

afterAll(async () => {
  for (const s of stacks) await cleanupStack(s);
});

/** Runs the built CLI; stdout and stderr together, as a user reads them. */
function stack(args: string[]): { code: number | null; output: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 180_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A directory holding stack.yml with `text`; returns the file's path. */
function stackFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-hooks-"));
  writeFileSync(join(dir, "stack.yml"), text);
  return join(dir, "stack.yml");
}

/** Output of `cmd` in a throwaway container (with a TTY: one plain stream). */
async function runOnce(binds: string[], cmd: string[]): Promise<string> {
  const c = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: cmd,
    Tty: true,
    HostConfig: { Binds: binds },
  });
  try {
    await c.start();
    await c.wait();
    return (await c.logs({ stdout: true, stderr: true })).toString("utf8");
  } finally {
    await c.remove({ force: true });
  }
}

/** The content of `path` in the named volume `volume` ("" when missing). */
function readVolume(volume: string, path: string): Promise<string> {
  return runOnce([`${volume}:/mnt:ro`], ["sh", "-c", `cat /mnt/${path} 2>/dev/null || true`]);
}

/** `cmd`'s output in container `name` (through `docker exec`, as a user checks). */
async function execIn(name: string, cmd: string[]): Promise<string> {
  const exec = await docker
    .getContainer(name)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  const chunks: Buffer[] = [];
  await new Promise<void>((done, fail) => {
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", done);
    stream.on("error", fail);
  });
  return Buffer.concat(chunks).toString("utf8");
}

/** Every container of `name`: its name, state and role label. */
async function containers(name: string) {
  const list = await docker.listContainers({ all: true, filters: { label: [stackFilter(name)] } });
  return list
    .map((c) => ({
      name: (c.Names[0] ?? "").replace(/^\//, ""),
      state: c.State,
      role: c.Labels[LABELS.role],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

describe.skipIf(engine === undefined)("lifecycle hooks on a real engine", () => {
  const name = uniqueStackName("hooks");
  stacks.push(name);
  const volume = `${name}_data`;
  const file = stackFile(`services:
  web:
    image: ${TEST_IMAGE}
    command: [sh, -c, "cat /data/init.txt; exec sleep 3600"]
    stop_grace_period: 1s
    deploy: {replicas: 2}
    volumes: [data:/data]
    pre_start:
      - command: [sh, -c, "echo prepared-by-pre-start >> /data/init.txt"]
    post_start:
      - command: [sh, -c, "echo post-start-ran > /tmp/post; echo hello from post_start"]
        user: root
    pre_stop:
      - command: [sh, -c, "echo stopped-$$(hostname) >> /data/stops.txt"]
volumes:
  data: {}
`);

  it("pre_start prepares the volume before the service starts; post_start runs in each replica and prints to the progress output", async () => {
    const r = stack(["deploy", "-p", name, "-f", file, "--progress", "plain"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`${name}_web.1 -> hello from post_start`);
    expect(r.output).toContain(`${name}_web.2 -> hello from post_start`);
    // One pre_start run per created replica, each before its replica started.
    expect(lines(await readVolume(volume, "init.txt"))).toEqual([
      "prepared-by-pre-start",
      "prepared-by-pre-start",
    ]);
    const logs = (
      await docker.getContainer(`${name}_web.1`).logs({ stdout: true, stderr: true })
    ).toString("utf8");
    expect(logs).toContain("prepared-by-pre-start");
    expect(lines(await execIn(`${name}_web.1`, ["cat", "/tmp/post"]))).toEqual(["post-start-ran"]);
    // The hook containers are gone: only the two replicas are left.
    expect(await containers(name)).toEqual([
      { name: `${name}_web.1`, state: "running", role: "replica" },
      { name: `${name}_web.2`, state: "running", role: "replica" },
    ]);
  });

  it("an unchanged redeploy runs no hook again", async () => {
    const r = stack(["deploy", "-p", name, "-f", file, "--progress", "plain"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain("hello from post_start");
    expect(lines(await readVolume(volume, "init.txt"))).toHaveLength(2);
  });

  it("pre_stop runs in the replica a scale-down removes", async () => {
    const r = stack(["scale", "-p", name, "-f", file, "web=1"]);
    expect(r.code, r.output).toBe(0);
    const stops = lines(await readVolume(volume, "stops.txt"));
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(/^stopped-/);
    expect((await containers(name)).map((c) => c.name)).toEqual([`${name}_web.1`]);
  });

  it("pre_stop runs on rm with the stack file; the named volume keeps what it wrote", async () => {
    const r = stack(["rm", "-p", name, "-f", file, "--progress", "plain"]);
    expect(r.code, r.output).toBe(0);
    expect(await containers(name)).toEqual([]);
    expect(lines(await readVolume(volume, "stops.txt"))).toHaveLength(2);
  });
});

describe.skipIf(engine === undefined)("a failing pre_start hook on a real engine", () => {
  const name = uniqueStackName("hooks-fail");
  stacks.push(name);
  const file = stackFile(`services:
  web:
    image: ${TEST_IMAGE}
    command: [sleep, "3600"]
    volumes: [data:/data]
    pre_start:
      - command: [sh, -c, "echo first-hook-ok"]
      - command: [sh, -c, "test -f /data/ready || { echo cannot-prepare; exit 17; }"]
volumes:
  data: {}
`);

  it("fails the deploy with exit code 1, leaves the replica created and no hook container", async () => {
    const r = stack(["deploy", "-p", name, "-f", file, "--progress", "plain"]);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain("web pre_start[1]: exited with 17:");
    expect(r.output).toContain("cannot-prepare");
    expect(r.output).toContain(`${name}_web.1 -> first-hook-ok`);
    expect(await containers(name)).toEqual([
      { name: `${name}_web.1`, state: "created", role: "replica" },
    ]);
  });

  it("the next deploy runs the hooks again and starts the replica once they succeed", async () => {
    await runOnce([`${name}_data:/mnt`], ["touch", "/mnt/ready"]);
    const r = stack(["deploy", "-p", name, "-f", file, "--progress", "plain"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`${name}_web.1 -> first-hook-ok`);
    expect(await containers(name)).toEqual([
      { name: `${name}_web.1`, state: "running", role: "replica" },
    ]);
  });
});

describe.skipIf(engine === undefined)("a failing pre_stop hook on a real engine", () => {
  const name = uniqueStackName("hooks-stop");
  stacks.push(name);
  const file = stackFile(`services:
  web:
    image: ${TEST_IMAGE}
    command: [sleep, "3600"]
    stop_grace_period: 1s
    pre_stop:
      - command: [sh, -c, "echo cannot-drain; exit 4"]
`);

  it("is reported with exit code 1, and stop and rm still stop and remove the replica", async () => {
    expect(stack(["deploy", "-p", name, "-f", file, "--progress", "plain"]).code).toBe(0);
    const stop = stack(["stop", "-p", name, "-f", file]);
    expect(stop.code, stop.output).toBe(1);
    expect(stop.output).toContain("web pre_stop[0] exited with status 4");
    expect(stop.output).toContain(`${name}_web.1 -> cannot-drain`);
    expect((await containers(name)).map((c) => c.state)).toEqual(["exited"]);
    expect(stack(["start", "-p", name, "-f", file]).code).toBe(0);
    const rm = stack(["rm", "-p", name, "-f", file, "--progress", "plain"]);
    expect(rm.code, rm.output).toBe(1);
    expect(rm.output).toContain("web pre_stop[0] exited with status 4");
    expect(await containers(name)).toEqual([]);
  });
});

describe.skipIf(engine === undefined)("hooks in a rolling update and on Ctrl-C", () => {
  it("a changed hook replaces the replica: the old one's pre_stop and the new one's pre_start run", async () => {
    const name = uniqueStackName("hooks-roll");
    stacks.push(name);
    const file = (version: string) =>
      stackFile(`services:
  web:
    image: ${TEST_IMAGE}
    command: [sleep, "3600"]
    stop_grace_period: 1s
    volumes: [data:/data]
    pre_start:
      - command: [sh, -c, "echo ${version} >> /data/versions.txt"]
    pre_stop:
      - command: [sh, -c, "echo stopped >> /data/stops.txt"]
volumes:
  data: {}
`);
    expect(stack(["deploy", "-p", name, "-f", file("v1"), "--progress", "plain"]).code).toBe(0);
    const r = stack(["deploy", "-p", name, "-f", file("v2"), "--progress", "plain"]);
    expect(r.code, r.output).toBe(0);
    expect(lines(await readVolume(`${name}_data`, "versions.txt"))).toEqual(["v1", "v2"]);
    expect(lines(await readVolume(`${name}_data`, "stops.txt"))).toEqual(["stopped"]);
    expect((await containers(name)).map((c) => [c.name, c.state])).toEqual([
      [`${name}_web.1`, "running"],
    ]);
  });

  it("Ctrl-C during a pre_start hook ends the deploy with 130 and removes the hook's container", async () => {
    const name = uniqueStackName("hooks-int");
    stacks.push(name);
    const file = stackFile(`services:
  web:
    image: ${TEST_IMAGE}
    command: [sleep, "3600"]
    pre_start:
      - command: [sh, -c, "echo hook-started; exec sleep 300"]
        working_dir: /
`);
    const child = spawn(process.execPath, [
      CLI,
      "deploy",
      "-p",
      name,
      "-f",
      file,
      "--progress",
      "plain",
    ]);
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    try {
      await waitFor(() => output.includes("hook-started"), {
        what: "the pre_start hook to run",
        timeoutMs: 60_000,
      });
      expect((await containers(name)).map((c) => c.role).sort()).toEqual(["replica", "run"]);
      child.kill("SIGINT");
      expect(await exited, output).toBe(130);
    } finally {
      child.kill("SIGKILL");
    }
    expect((await containers(name)).map((c) => [c.role, c.state])).toEqual([
      ["replica", "created"],
    ]);
  });
});
