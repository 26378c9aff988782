/**
 * The commands compose users type every day, on the built CLI against the real engine, run
 * from the stack file's directory without repeating the stack name: the stack name as compose
 * finds the project, exec, run, port (direct and through the ingress), restart, stop, start,
 * kill, pause, unpause, wait, top, images, events, pull, build, completion, and `--progress
 * json`'s last event. Each asserts what a user notices: exit codes, output, StartedAt,
 * containers left behind, ports that answer; bad input says one thing and changes nothing.
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABELS } from "../../src/drivers/docker-api/labels.js";
import { cleanupStack, rawDocker, requireEngine, waitFor } from "../integration/docker/helpers.js";
import { CLI, INGRESS_IMAGE, freePort, requireCli } from "./example-helpers.js";

requireCli();
const engine = await requireEngine();
const docker = rawDocker();

const suffix = randomBytes(4).toString("hex");
/** The project directory; its name gives the stack name (`Verbs.App_<hex>` -> `verbsapp_<hex>`). */
const dir = join(mkdtempSync(join(tmpdir(), "stack-verbs-")), `Verbs.App_${suffix}`);
const STACK = `verbsapp_${suffix}`;
const elsewhere = mkdtempSync(join(tmpdir(), "stack-verbs-other-"));
const images: string[] = [];
let lbPort = 0;

/** Runs the CLI in `cwd` (the project directory by default). */
function stack(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? dir,
    encoding: "utf8",
    env: { ...process.env, STACK_INGRESS_IMAGE: INGRESS_IMAGE, ...options.env },
    input: options.input ?? "",
    timeout: 180_000,
  });
}

function ok(args: readonly string[], options?: Parameters<typeof stack>[1]): string {
  const r = stack(args, options);
  if (r.status !== 0)
    throw new Error(`stack ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface ContainerFacts {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly startedAt: string;
  readonly exitCode: number;
  readonly role: string;
}

/** Every container of the stack, by name. */
async function containers(): Promise<Map<string, ContainerFacts>> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.stack}=${STACK}`] },
  });
  const out = new Map<string, ContainerFacts>();
  for (const c of list) {
    const i = await docker.getContainer(c.Id).inspect();
    out.set(i.Name.slice(1), {
      id: i.Id,
      name: i.Name.slice(1),
      state: i.State.Status,
      startedAt: i.State.StartedAt,
      exitCode: i.State.ExitCode,
      role: i.Config.Labels[LABELS.role] ?? "",
    });
  }
  return out;
}

async function container(name: string): Promise<ContainerFacts> {
  const c = (await containers()).get(`${STACK}_${name}`);
  if (c === undefined) throw new Error(`no container ${STACK}_${name}`);
  return c;
}

async function get(address: string): Promise<string> {
  const res = await fetch(`http://${address}/`);
  return res.text();
}

/** The stderr of a failed command is one `error:` line (after the deploy's own warnings). */
function oneErrorLine(r: SpawnSyncReturns<string>): string {
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0] as string;
}

beforeAll(async () => {
  if (engine === undefined) return;
  lbPort = await freePort();
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "compose.yaml"),
    `services:
  web:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "echo hello-$$HOSTNAME > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
    ports: ["127.0.0.1::8080"]
    environment:
      GREETING: hi
    stop_grace_period: 1s
  lb:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "echo lb > /tmp/index.html; exec httpd -f -p 80 -h /tmp"]
    ports: ["127.0.0.1:${lbPort}:80"]
    stop_grace_period: 1s
    deploy:
      replicas: 2
  db:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    stop_grace_period: 2s
  job:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "sleep 1; exit 3"]
    restart: "no"
    profiles: [jobs]
  tool:
    image: stack-test/busybox:latest
    command: ["sh", "-c", "sleep 1000"]
    depends_on: [db]
    profiles: [tools]
`,
  );
}, 60_000);

afterAll(async () => {
  if (engine === undefined) return;
  await cleanupStack(STACK);
  for (const image of images)
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => {});
});

describe.skipIf(engine === undefined)("compose's everyday commands on the docker driver", () => {
  it("deploys without a stack name (the directory's, normalised) and ends --progress json with the outcome", async () => {
    const r = stack(["deploy", "--wait", "--progress", "json"]);
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; status?: string; stack?: string });
    expect(events.at(-1)).toMatchObject({
      type: "result",
      status: "ready",
      ok: true,
      stack: STACK,
    });
    const names = [...(await containers()).keys()].sort();
    expect(names).toEqual([
      `${STACK}_db.1`,
      `${STACK}_ingress`,
      `${STACK}_lb.1`,
      `${STACK}_lb.2`,
      `${STACK}_web.1`,
    ]);

    // A deploy that fails says why in its last event.
    const failed = stack(["deploy", "--progress", "json"], {
      env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" },
    });
    expect(failed.status).toBe(3);
    const last = JSON.parse(failed.stdout.trim().split("\n").at(-1) ?? "{}") as {
      type: string;
      ok: boolean;
      message: string;
    };
    expect(last).toMatchObject({ type: "result", ok: false });
    expect(last.message).toMatch(/cannot reach the Docker engine at unix:\/\/\/nonexistent/);
  });

  it("finds the stack from -p (before or after the command), COMPOSE_PROJECT_NAME, or the old NAME argument; JSON ports are objects", () => {
    const fromDir = JSON.parse(ok(["ps", "--format", "json"])) as {
      name: string;
      ports: unknown;
    }[];
    expect(fromDir.map((r) => r.name)).toContain(`${STACK}_web.1`);
    const web = fromDir.find((r) => r.name === `${STACK}_web.1`);
    expect(web?.ports).toEqual([
      { target: 8080, published: expect.any(Number), hostIp: "127.0.0.1", protocol: "tcp" },
    ]);
    for (const [args, env] of [
      [["-p", STACK, "ps", "--format", "json"], {}],
      [["ps", "-p", STACK, "--format", "json"], {}],
      [["ps", "--format", "json"], { COMPOSE_PROJECT_NAME: STACK }],
      [["ps", STACK, "--format", "json"], {}],
      [["-f", join(dir, "compose.yaml"), "ps", "--format", "json"], {}],
    ] as const) {
      const rows = JSON.parse(ok(args, { cwd: elsewhere, env })) as { name: string }[];
      expect(
        rows.map((r) => r.name),
        args.join(" "),
      ).toEqual(fromDir.map((r) => r.name));
    }
    const services = JSON.parse(ok(["services", "--format", "json"])) as {
      name: string;
      ports: unknown[];
    }[];
    expect(services.find((s) => s.name === "lb")?.ports).toEqual([{ target: 80, protocol: "tcp" }]);
  });

  it("exec runs in a replica with stdin and the command's exit code; bad names change nothing", async () => {
    const code = stack(["exec", "web", "sh", "-c", "echo $GREETING; exit 7"]);
    expect([code.status, code.stdout]).toEqual([7, "hi\n"]);
    expect(stack(["exec", "web", "cat"], { input: "piped\n" }).stdout).toBe("piped\n");
    const opts = stack([
      "exec",
      "-e",
      "X=1",
      "-w",
      "/tmp",
      "-u",
      "65534",
      "web",
      "sh",
      "-c",
      "echo $X $(pwd) $(id -u)",
    ]);
    expect(opts.stdout).toBe("1 /tmp 65534\n");
    const lb2 = await docker.getContainer(`${STACK}_lb.2`).inspect();
    expect(stack(["exec", "--index", "2", "lb", "hostname"]).stdout.trim()).toBe(
      lb2.Config.Hostname,
    );

    const before = await containers();
    const unknown = stack(["exec", "nosuch", "true"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no service "nosuch"/);
    const index = stack(["exec", "--index", "5", "lb", "true"]);
    expect(index.status).toBe(5);
    expect(oneErrorLine(index)).toMatch(/no replica 5 \(it has 1, 2\)/);
    const missing = stack(["-p", `nosuch-${suffix}`, "exec", "web", "true"], { cwd: elsewhere });
    expect(missing.status).toBe(5);
    expect(oneErrorLine(missing)).toMatch(/has no replicas on the engine/);
    expect(await containers()).toEqual(before);
  });

  it("port prints HOST:PORT that answers, through the ingress for a replicated service", async () => {
    const web = ok(["port", "web", "8080"]).trim();
    expect(web).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await get(web)).toMatch(/^hello-/);
    const lb = ok(["port", "lb", "80"]).trim();
    expect(lb).toBe(`127.0.0.1:${lbPort}`);
    expect(await get(lb)).toBe("lb\n");
    const unpublished = stack(["port", "web", "9999"]);
    expect(unpublished.status).toBe(5);
    expect(oneErrorLine(unpublished)).toMatch(/9999\/tcp .* is not published/);
    expect(stack(["port", "web", "http"]).status).toBe(2);
  });

  it("restart changes StartedAt and keeps the container; only the services named", async () => {
    const [web, db] = [await container("web.1"), await container("db.1")];
    ok(["restart", "-t", "1", "web"]);
    const [web2, db2] = [await container("web.1"), await container("db.1")];
    expect(web2.id).toBe(web.id);
    expect(web2.state).toBe("running");
    expect(web2.startedAt).not.toBe(web.startedAt);
    expect(db2.startedAt).toBe(db.startedAt);
  });

  it("stop keeps the replicas stopped, start brings the same ones back; the whole stack with its ingress", async () => {
    const db = await container("db.1");
    const stopped = stack(["stop", "db"]);
    expect(stopped.status, stopped.stderr).toBe(0);
    expect(stopped.stderr).toMatch(/db\.1\s+stopped/);
    expect((await container("db.1")).state).toBe("exited");
    expect((await container("web.1")).state).toBe("running");
    expect(stack(["stop", "db"]).stderr).toMatch(/already stopped/);
    ok(["start", "db"]);
    const back = await container("db.1");
    expect([back.id, back.state]).toEqual([db.id, "running"]);

    ok(["stop", "-t", "1"]);
    const all = await containers();
    expect([...all.values()].map((c) => c.state)).toEqual([...all.values()].map(() => "exited"));
    await expect(get(`127.0.0.1:${lbPort}`)).rejects.toThrow();
    ok(["start"]);
    await waitFor(async () => (await get(`127.0.0.1:${lbPort}`).catch(() => "")) === "lb\n", {
      what: "the ingress port answering again",
      timeoutMs: 30_000,
    });
  });

  it("kill sends the signal, pause and unpause freeze and thaw", async () => {
    ok(["kill", "-s", "SIGTERM", "db"]);
    await waitFor(async () => (await container("db.1")).state === "exited", { what: "db to exit" });
    // The trap answered SIGTERM with exit 0.
    expect((await container("db.1")).exitCode).toBe(0);
    ok(["start", "db"]);
    ok(["pause", "web"]);
    expect((await container("web.1")).state).toBe("paused");
    ok(["unpause", "web"]);
    expect((await container("web.1")).state).toBe("running");
    expect(stack(["kill", "-s", "SIGKILL", "web"]).status).toBe(0);
    await waitFor(async () => (await container("web.1")).exitCode === 137, { what: "web killed" });
    ok(["start", "web"]);
  });

  it("run: a one-off with the service's settings, its exit code, dependencies started, --rm leaving nothing", async () => {
    const r = stack(["run", "--rm", "web", "sh", "-c", "echo $GREETING; echo err >&2; exit 4"]);
    expect([r.status, r.stdout]).toEqual([4, "hi\n"]);
    expect(r.stderr).toContain("err");
    expect([...(await containers()).values()].filter((c) => c.role === "run")).toEqual([]);

    // Its dependencies come up first: db, stopped here, runs again.
    ok(["stop", "db"]);
    const tool = stack([
      "run",
      "--rm",
      "-e",
      "X=2",
      "-v",
      "./out:/out",
      "tool",
      "sh",
      "-c",
      "echo $X > /out/x",
    ]);
    expect(tool.status, tool.stderr).toBe(0);
    expect(readFileSync(join(dir, "out", "x"), "utf8")).toBe("2\n");
    expect((await container("db.1")).state).toBe("running");

    const entry = stack([
      "run",
      "--rm",
      "--no-deps",
      "--entrypoint",
      "sh -c",
      "web",
      "echo via entrypoint",
    ]);
    expect(entry.stdout).toBe("via entrypoint\n");
    expect(stack(["run", "--rm", "web", "nosuchcommand"]).status).toBe(127);

    // Without --rm it stays, shown by ps as a one-off (until rm).
    expect(stack(["run", "web", "true"]).status).toBe(0);
    const rows = JSON.parse(ok(["ps", "--format", "json"])) as { name: string; role?: string }[];
    expect(rows.filter((row) => row.role === "run")).toHaveLength(1);
  });

  it("wait blocks until the replicas exit and exits with the first one's code", async () => {
    ok(["deploy", "job", "--progress", "quiet"]);
    const r = stack(["wait", "job"]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${STACK}_job.1 exited with code 3`);
    expect(stack(["wait", "nosuch"]).status).toBe(2);
  });

  it("top lists each replica's processes; images the image each container runs", () => {
    const top = ok(["top", "web"]);
    expect(top).toContain(`${STACK}_web.1`);
    expect(top).toMatch(/httpd -f -p 8080/);
    const rows = JSON.parse(ok(["images", "--format", "json"])) as {
      container: string;
      image: string;
      id?: string;
    }[];
    const web = rows.find((row) => row.container === `${STACK}_web.1`);
    expect(web?.image).toBe("stack-test/busybox:latest");
    expect(web?.id).toMatch(/^sha256:/);
    expect(ok(["images"])).toMatch(/stack-test\/busybox\s+latest/);
  });

  it("events prints the stack's engine events as they happen, as JSON lines", async () => {
    const child = spawn(process.execPath, [CLI, "events", "--json"], { cwd: dir });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(
        async () => {
          ok(["restart", "-t", "1", "db"]);
          return out.includes('"action":"restart"');
        },
        { what: "a restart event", timeoutMs: 30_000, intervalMs: 2000 },
      );
      const event = out
        .split("\n")
        .filter((l) => l.includes('"action":"restart"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
      expect(event).toMatchObject({ type: "container", service: "db", name: `${STACK}_db.1` });
      expect(event?.["time"]).toMatch(/^\d{4}-/);
    } finally {
      child.kill("SIGINT");
    }
  });

  it("pull fetches the services' images with progress; --ignore-pull-failures goes on past a missing one", async () => {
    const address = spawnSync("bash", ["scripts/registry.sh", "address", "open"], {
      encoding: "utf8",
    });
    if (address.status !== 0) {
      if (process.env["CI"] === "true")
        throw new Error(`the test registry is not up: ${address.stderr}`);
      return;
    }
    const image = `${address.stdout.trim()}/stack-test/verbs-${suffix}:latest`;
    images.push(image);
    for (const args of [
      ["tag", "stack-test/busybox:latest", image],
      ["push", "-q", image],
      ["rmi", image],
    ])
      execFileSync("docker", args, { stdio: "ignore" });
    const pullDir = join(dir, "pull");
    mkdirSync(pullDir);
    writeFileSync(
      join(pullDir, "stack.yml"),
      `services:\n  app:\n    image: ${image}\n  gone:\n    image: ${address.stdout.trim()}/stack-test/nosuch-${suffix}:1\n`,
    );
    const failing = stack(["-p", STACK, "pull", "--progress", "plain"], { cwd: pullDir });
    expect(failing.status).toBe(1);
    expect(failing.stderr).toMatch(/nosuch/);
    expect((await docker.getImage(image).inspect()).Id).toMatch(/^sha256:/);
    await docker.getImage(image).remove();
    const ignoring = stack(["-p", STACK, "pull", "--ignore-pull-failures", "app", "gone"], {
      cwd: pullDir,
    });
    expect(ignoring.status, ignoring.stderr).toBe(0);
    expect((await docker.getImage(image).inspect()).Id).toMatch(/^sha256:/);
  });

  it("build makes the image a later deploy finds current", async () => {
    const buildDir = join(dir, "build");
    mkdirSync(join(buildDir, "ctx"), { recursive: true });
    writeFileSync(
      join(buildDir, "ctx", "Dockerfile"),
      "FROM stack-test/busybox:latest\nRUN echo built > /built\n",
    );
    const image = `stack-test/verbs-built-${suffix}:1`;
    images.push(image);
    writeFileSync(
      join(buildDir, "stack.yml"),
      `services:\n  app:\n    build: ./ctx\n    image: ${image}\n    command: ["cat", "/built"]\n`,
    );
    const built = stack(["-p", `${STACK}-b`, "build", "--no-cache", "--progress", "plain"], {
      cwd: buildDir,
    });
    expect(built.status, built.stderr).toBe(0);
    const inspect = await docker.getImage(image).inspect();
    expect(inspect.Config.Labels?.[LABELS.buildHash]).toBeTruthy();
    const plan = ok(["-p", `${STACK}-b`, "deploy", "--dry-run", "--progress", "quiet"], {
      cwd: buildDir,
    });
    expect(plan).not.toMatch(/build/);
    expect(stack(["build", "nosuch"], { cwd: buildDir }).status).toBe(2);
  });

  it("completion prints a script for bash that asks stack for the words", () => {
    const script = ok(["completion", "bash"]);
    expect(script).toContain("stack complete --");
    const words = ok(["complete", "--", "exec", ""]).split("\n");
    expect(words).toEqual(expect.arrayContaining(["web\tservice", "lb\tservice"]));
  });

  it("rm -t removes everything, one-off containers included", async () => {
    const r = stack(["rm", "-t", "1", "--progress", "plain"]);
    expect(r.status, r.stderr).toBe(0);
    expect((await containers()).size).toBe(0);
    expect(existsSync(dir)).toBe(true);
  });
});
