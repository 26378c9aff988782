/**
 * Ctrl-C ends a command on any engine, however quiet the engine is: `stack logs -f` of a
 * replica that never writes (Podman sends no response headers to such a follow request
 * until the container writes), a deploy waiting for its ingress proxy to see a replica (the
 * wait follows the proxy's log the same way), and a deploy in the middle of a long image
 * build. Run against the default engine and, in the Podman project, against Podman.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LABELS } from "../../src/drivers/docker-api/labels.js";
import {
  cleanupStack,
  rawDocker,
  requireEngine,
  TEST_IMAGE,
  uniqueStackName,
  waitFor,
} from "../integration/docker/helpers.js";
import { CLI, INGRESS_IMAGE, freePort, requireCli, runStack } from "./example-helpers.js";

requireCli();
const engine = await requireEngine();
const docker = rawDocker();
const stacks: string[] = [];

afterAll(async () => {
  if (engine !== undefined) for (const s of stacks) await cleanupStack(s);
});

function tempFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "stack-e2e-")), "stack.yml");
  writeFileSync(file, text);
  return file;
}

/** The CLI started in the background, with its exit and output once it ends. */
function start(args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const ended = new Promise<void>((done) =>
    child.on("close", (code, signal) => {
      exit = { code, signal };
      done();
    }),
  );
  return {
    child,
    ended,
    exit: () => exit,
    output: () => ({ stdout, stderr }),
  };
}

/** Sends SIGINT (Ctrl-C) and waits up to `ms` for the process to end; kills it if it does not. */
async function interrupt(run: ReturnType<typeof start>, ms: number) {
  run.child.kill("SIGINT");
  await waitFor(() => run.exit() !== undefined, {
    what: "the command to end after Ctrl-C",
    timeoutMs: ms,
    intervalMs: 100,
  }).catch((error: unknown) => {
    run.child.kill("SIGKILL");
    throw error;
  });
  return run.exit()!;
}

describe.skipIf(engine === undefined)("Ctrl-C on any engine", () => {
  it("ends logs -f of a replica that prints nothing", async () => {
    const name = uniqueStackName("quiet");
    stacks.push(name);
    const file = tempFile(
      `services:\n  quiet:\n    image: ${TEST_IMAGE}\n    init: true\n    command: ["sleep", "3600"]\n`,
    );
    const up = runStack(["deploy", "-c", file, "--wait", name], {});
    expect(up.status, up.stderr).toBe(0);

    // docker-modem's debug output says when the follow request goes out: Ctrl-C comes after
    // it (earlier, it would prove less).
    const logs = start(["logs", "-f", name], { DEBUG: "modem" });
    await waitFor(() => /\/logs\?[^\n]*follow=true/.test(logs.output().stderr), {
      what: "the follow request to be sent",
      timeoutMs: 30_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(logs.exit()).toBeUndefined();
    const exit = await interrupt(logs, 15_000);
    expect(exit.code, logs.output().stderr).toBe(0);
    expect(logs.output().stdout).toBe("");
  });

  it("ends a deploy waiting for its ingress, which it removes, with exit code 130", async () => {
    const name = uniqueStackName("ingwait");
    stacks.push(name);
    const port = await freePort();
    // Two replicas behind one port, neither listening: the ingress waits up to a minute for a
    // replica to pass its health check.
    const file = tempFile(
      [
        "services:",
        "  web:",
        `    image: ${TEST_IMAGE}`,
        "    init: true",
        '    command: ["sleep", "3600"]',
        `    ports: ["127.0.0.1:${port}:80"]`,
        "    deploy:",
        "      replicas: 2",
        "",
      ].join("\n"),
    );
    const deploy = start(["deploy", "-c", file, "--progress", "plain", name], {
      STACK_INGRESS_IMAGE: INGRESS_IMAGE,
    });
    const ingress = async () =>
      (
        await docker.listContainers({
          all: true,
          filters: { label: [`${LABELS.stack}=${name}`, `${LABELS.role}=ingress`] },
        })
      )[0];
    await waitFor(async () => (await ingress())?.State === "running", {
      what: "the ingress to run",
      timeoutMs: 90_000,
      intervalMs: 250,
    });
    const exit = await interrupt(deploy, 20_000);
    expect(exit.code, deploy.output().stderr).toBe(130);
    await waitFor(async () => (await ingress()) === undefined, {
      what: "the interrupted ingress to be removed",
    });
    // The replicas stay; the next deploy completes the work.
    const replicas = await docker.listContainers({
      filters: { label: [`${LABELS.stack}=${name}`, `${LABELS.service}=web`] },
    });
    expect(replicas).toHaveLength(2);
  });

  it("ends a deploy in the middle of an image build, with exit code 130", async () => {
    const name = uniqueStackName("slowbuild");
    stacks.push(name);
    const dir = mkdtempSync(join(tmpdir(), "stack-e2e-"));
    mkdirSync(join(dir, "app"));
    // Podman 4.3 goes on building after the client is gone (dockerd stops): the step fails
    // in the end, so no image is left behind either way.
    writeFileSync(join(dir, "app", "Dockerfile"), `FROM ${TEST_IMAGE}\nRUN sleep 60 && false\n`);
    const file = join(dir, "stack.yml");
    writeFileSync(
      file,
      `services:\n  app:\n    image: stack-e2e/slowbuild:${name}\n    build: ./app\n    command: ["sleep", "3600"]\n`,
    );
    const deploy = start(["deploy", "-c", file, "--progress", "plain", name]);
    // The build reports its steps: Ctrl-C once the long one runs ("Step 2/2 : RUN sleep 60
    // && false" from dockerd, "STEP 2/2: RUN sleep 60 && false" from Podman).
    await waitFor(() => /RUN sleep 60/.test(deploy.output().stderr), {
      what: "the build to reach its long step",
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    const exit = await interrupt(deploy, 20_000);
    expect(exit.code, deploy.output().stderr).toBe(130);
    // Nothing was created from an image that was never built.
    const created = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.stack}=${name}`, `${LABELS.service}=app`] },
    });
    expect(created).toEqual([]);
  });
});
