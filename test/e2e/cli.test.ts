/**
 * The built CLI (`dist/cli/main.js`, made by `npm run build`) against a real engine: the
 * commands users and CI type, their output and exit codes.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const engine = await requireEngine();
const docker = rawDocker();
const stacks: string[] = [];

function stack(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    ...(input !== undefined && { input }),
    timeout: 180_000,
  });
}

function tempFile(text: string, name = "stack.yml"): string {
  const file = join(mkdtempSync(join(tmpdir(), "stack-e2e-")), name);
  writeFileSync(file, text);
  return file;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? done(address.port) : fail(new Error("no port")),
      );
    });
  });
}

async function containersOf(name: string) {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.stack}=${name}`] },
  });
  return list
    .map((c) => ({ name: c.Names[0]!.slice(1), state: c.State }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

afterAll(async () => {
  if (engine) for (const s of stacks) await cleanupStack(s);
});

describe("input errors, no engine needed", () => {
  const nowhere = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };

  it("rejects an invalid file with file:line:col, exit code 2, before contacting the engine", () => {
    const file = tempFile(
      "services:\n  web:\n    image: x\n    deploy:\n      replicas: five\n    enviroment: {}\n",
    );
    const r = stack(["deploy", "-c", file, "demo"], nowhere);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `${file}:5:17 services.web.deploy.replicas must be an integer >= 0, got "five"`,
    );
    expect(r.stderr).toMatch(
      /6:5 services\.web unknown key "enviroment", did you mean "environment"\?/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects a fixed UDP host port on a service with several replicas, naming why", () => {
    // A fixed TCP port is served by the ingress proxy; UDP cannot be.
    const file = tempFile(
      "services:\n  web:\n    image: x\n    ports: ['8080:80/udp']\n    deploy:\n      replicas: 3\n",
    );
    const r = stack(["deploy", "-c", file, "demo"], nowhere);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      "services.web.ports[0] publishes host port 8080 but has 3 replicas and the ingress proxy balances TCP only",
    );
  });

  it("names the engine address and exits 3 when the engine cannot be reached", () => {
    const file = tempFile(`services:\n  web:\n    image: ${TEST_IMAGE}\n`);
    const r = stack(["deploy", "-c", file, "demo"], nowhere);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("unix:///nonexistent/docker.sock");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("stack config prints compose's form (the model with --model), reads stdin, and --quiet only validates", () => {
    const r = stack(
      ["config", "-c", "-", "--format", "json", "--name", "cfg"],
      {},
      "services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits:\n          memory: 50M\n",
    );
    expect(r.status).toBe(0);
    const config = JSON.parse(r.stdout) as {
      services: { web: { deploy: { resources: { limits: { memory: string } } } } };
      networks: { default: { name: string } };
    };
    expect(config.services.web.deploy.resources.limits.memory).toBe("52428800");
    expect(config.networks.default.name).toBe("cfg_default");
    const model = stack(
      ["config", "-c", "-", "--format", "json", "--name", "cfg", "--model"],
      {},
      "services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits:\n          memory: 50M\n",
    );
    const spec = JSON.parse(model.stdout) as {
      services: { web: { deploy: { resources: { limits: { memoryBytes: number } } } } };
    };
    expect(spec.services.web.deploy.resources.limits.memoryBytes).toBe(52_428_800);
    const quiet = stack(["config", "-q", "-c", resolve("examples/getstartedlab/stack.yml")]);
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe("");
  });

  it("runs the package's bin the way its interpreter line does, so --env-file reaches stack", () => {
    const bin = resolve("dist/cli/bin.js");
    const pkg = JSON.parse(readFileSync(resolve("package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(resolve(pkg.bin["stack"]!)).toBe(bin);
    // `#!/usr/bin/env -S node --` -> `node -- bin.js ARGS` (what the kernel and env do).
    const shebang = readFileSync(bin, "utf8").split("\n")[0]!;
    expect(shebang).toBe("#!/usr/bin/env -S node --");
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--", bin, ...args], { encoding: "utf8", env: process.env });
    const file = tempFile("services:\n  web:\n    image: ${IMG}\n");
    const vars = tempFile("IMG=from-env-file\n", "vars.env");
    const ok = run(["config", "-c", file, "--env-file", vars]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("image: from-env-file");
    const missing = run(["config", "-c", file, "--env-file", "missing.env"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("--env-file cannot read env file missing.env: no such file");
  });

  it("rejects a bad stack name with exit code 2", () => {
    const r = stack(["ps", "Bad Name"], nowhere);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('invalid stack name "Bad Name"');
  });
});

describe.skipIf(engine === undefined)("the CLI on a real engine", () => {
  it("deploys the hello example with --wait, shows it, serves the page, and rm leaves the volume", async () => {
    const name = uniqueStackName("hello");
    stacks.push(name);
    const port = String(await freePort());
    const env = { HELLO_PORT: port };
    const example = resolve("examples/hello/stack.yml");

    const dry = stack(["deploy", "-c", example, name, "--dry-run"], env);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain(`create container ${name}_web.1`);
    expect(await containersOf(name)).toEqual([]);

    const up = stack(["deploy", "-c", example, name, "--wait", "--timeout", "90s"], env);
    expect(up.stderr).not.toContain("FAILED");
    expect(up.status).toBe(0);

    const ps = stack(["ps", name, "--format", "json"]);
    expect(ps.status).toBe(0);
    const rows = JSON.parse(ps.stdout) as { name: string; state: string; health?: string }[];
    expect(rows.map((r) => r.name)).toEqual([
      `${name}_web.1`,
      `${name}_worker.1`,
      `${name}_worker.2`,
      `${name}_worker.3`,
    ]);
    expect(rows.every((r) => r.state === "running")).toBe(true);
    expect(rows[0]!.health).toBe("healthy");

    const services = stack(["services", name]);
    expect(services.stdout).toMatch(new RegExp(`${name}_worker\\s+replicated\\s+3/3`));

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);

    const again = stack(["deploy", "-c", example, name, "--dry-run"], env);
    expect(again.stdout).toContain("up to date");

    const logs = await waitFor(
      () => {
        const r = stack(["logs", name, "worker", "--tail", "5"]);
        return r.stdout.includes(`${name}_worker.1 | `) ? r.stdout : undefined;
      },
      { timeoutMs: 20_000, what: "worker log lines" },
    );
    expect(logs).toMatch(new RegExp(`${name}_worker\\.\\d \\| `));

    const ls = stack(["ls", "--format", "json"]);
    expect((JSON.parse(ls.stdout) as { name: string }[]).map((s) => s.name)).toContain(name);

    const rm = stack(["rm", name]);
    expect(rm.status).toBe(0);
    expect(await containersOf(name)).toEqual([]);
    const volumes =
      (await docker.listVolumes({ filters: { label: [`${LABELS.stack}=${name}`] } })).Volumes ?? [];
    expect(volumes).toHaveLength(1);
  });

  it("fails --wait naming the replica that exited, with its last log lines", () => {
    const name = uniqueStackName("crash");
    stacks.push(name);
    const file = tempFile(
      `services:\n  ok:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n  crash:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", "echo boom-from-crash; exit 3"]\n`,
    );
    const r = stack(["deploy", "-c", file, name, "--wait", "--timeout", "60s"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${name}_crash.1`);
    expect(r.stderr).toContain("boom-from-crash");
  });

  it("completes a deploy that was killed half way: no duplicate slots, no leftovers", async () => {
    const name = uniqueStackName("killed");
    stacks.push(name);
    const file = tempFile(
      `services:\n  a:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    deploy:\n      replicas: 8\n  b:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    deploy:\n      replicas: 8\n`,
    );
    const child = spawn(process.execPath, [CLI, "deploy", "-c", file, name, "--parallel", "2"], {
      stdio: "ignore",
    });
    await waitFor(async () => (await containersOf(name)).length >= 3, {
      timeoutMs: 60_000,
      what: "first containers",
    });
    child.kill("SIGKILL");
    await new Promise((done) => child.once("exit", done));
    expect((await containersOf(name)).length).toBeLessThan(16);

    const r = stack(["deploy", "-c", file, name]);
    expect(r.status).toBe(0);
    const expected = ["a", "b"]
      .flatMap((s) => [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${name}_${s}.${n}`))
      .sort();
    const after = await containersOf(name);
    expect(after.map((c) => c.name)).toEqual(expected);
    expect(after.every((c) => c.state === "running")).toBe(true);
    const again = stack(["deploy", "-c", file, name, "--dry-run"]);
    expect(again.stdout).toContain("up to date");
  });
});
