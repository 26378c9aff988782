/**
 * `up()` as a test author uses it, against a real engine, through the package's main entry:
 * the published port answers HTTP, exec returns output and exit codes, logs and container
 * info, restart/stop/start, `down()` (and `await using`) leaves no container, network or
 * volume (volumes kept with `volumes: false`), a failed wait throws an UpError naming the
 * replica with its log lines and removes what it made, and a stack left by a test process
 * that died is removed by the next `up()`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SpecError, up, UpError } from "../../../src/index.js";
import { cleanupStack, rawDocker, requireEngine, TEST_IMAGE, uniqueStackName } from "./helpers.js";

const engine = await requireEngine();
const docker = rawDocker();
const names: string[] = [];

/** A web server on container port 8080 published on a random loopback port, and a worker. */
const WEB = `
services:
  web:
    image: ${TEST_IMAGE}
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo hello from $$(hostname) > /www/index.html && echo web-started && exec httpd -f -p 8080 -h /www"]
    ports: ["127.0.0.1::8080"]
    volumes: ["data:/data"]
  worker:
    image: ${TEST_IMAGE}
    init: true
    command: ["sh", "-c", "echo worker says hi; echo to-stderr >&2; exec sleep 3600"]
volumes:
  data:
`;

/** Everything on the engine labelled with stack `name`. */
async function leftOf(
  name: string,
): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = { label: [`stack.name=${name}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { headers: { connection: "close" } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

afterAll(async () => {
  if (engine !== undefined) for (const name of names) await cleanupStack(name);
});

describe.skipIf(engine === undefined)("up() on a real engine", () => {
  it("deploys and waits: the published port answers, exec, logs, container, control, down", async () => {
    const env = await up({ yaml: WEB, stack: uniqueStackName("up-handle") });
    names.push(env.name);
    try {
      // up() returned only once the port answered: no polling here.
      const { host, port } = await env.port("web", 8080);
      expect(host).toBe("127.0.0.1");
      const res = await get(await env.url("web", 8080));
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/^hello from \S+\n$/);
      expect(await env.url("web", 8080, { path: "/index.html" })).toBe(
        `http://127.0.0.1:${port}/index.html`,
      );

      expect(await env.exec("web", ["sh", "-c", "echo out; echo err >&2; exit 3"])).toEqual({
        exitCode: 3,
        stdout: "out\n",
        stderr: "err\n",
      });
      expect(await env.exec("worker", "echo $GREETING", { env: { GREETING: "hi" } })).toEqual({
        exitCode: 0,
        stdout: "hi\n",
        stderr: "",
      });

      expect(await env.logs("worker")).toContain("worker says hi\n");
      expect(await env.logs("worker")).toContain("to-stderr\n");
      expect(await env.logs("web", { index: 1 })).toContain("web-started");

      const web = await env.container("web", 1);
      expect(web.name).toBe(`${env.name}_web.1`);
      expect(web.state).toBe("running");
      expect((await env.services()).map((s) => [s.name, s.running])).toEqual([
        ["web", 1],
        ["worker", 1],
      ]);

      const stopped = await env.stop(["worker"], { timeoutSeconds: 0 });
      expect(stopped.every((o) => o.ok)).toBe(true);
      expect((await env.container("worker")).state).toBe("exited");
      await env.start(["worker"]);
      expect((await env.container("worker")).state).toBe("running");
      await env.restart(["worker"], { timeoutSeconds: 0 });
      expect((await env.exec("worker", "true")).exitCode).toBe(0);

      await expect(env.port("worker", 8080)).rejects.toThrow(/not published/);
      await expect(env.exec("nope", "true")).rejects.toThrow(/no replicas of service "nope"/);
    } finally {
      await env.down();
    }
    expect(await leftOf(env.name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    // Idempotent: a second down() is the first one's promise.
    await env.down();
  });

  it("await using removes the stack at the end of the scope; down({ volumes: false }) keeps volumes", async () => {
    let name = "";
    {
      await using env = await up({ yaml: WEB, stack: uniqueStackName("up-using") });
      name = env.name;
      names.push(name);
      expect((await leftOf(name)).containers).toBe(2);
    }
    expect(await leftOf(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });

    const kept = await up({ yaml: WEB, stack: uniqueStackName("up-keep") });
    names.push(kept.name);
    await kept.down({ volumes: false });
    expect(await leftOf(kept.name)).toEqual({ containers: 0, networks: 0, volumes: 1 });
  });

  it("names the stack after the file with a unique suffix; takes a file or a spec object", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-up-"));
    writeFileSync(join(dir, "compose.yaml"), `name: upfile\n${WEB}`);
    const a = await up({ cwd: dir, wait: false });
    names.push(a.name);
    const b = await up({
      spec: { services: { one: { image: TEST_IMAGE, command: ["sleep", "3600"], init: true } } },
      cwd: dir,
      stack: uniqueStackName("up-spec"),
    });
    names.push(b.name);
    try {
      expect(a.name).toMatch(/^upfile-up-[0-9a-f]{8}$/);
      expect((await b.exec("one", "echo from-spec")).stdout).toBe("from-spec\n");
    } finally {
      await Promise.all([a.down(), b.down()]);
    }
  });

  it("a replica that exits makes up() throw an UpError naming it, with its logs; nothing is left", async () => {
    const stack = uniqueStackName("up-fail");
    names.push(stack);
    const yaml = `
services:
  ok:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    init: true
  db:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "echo cannot open /var/lib/db: permission denied; exit 3"]
    restart: "no"
`;
    const error = await up({ yaml, stack, timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpError);
    const e = error as UpError;
    expect(e.message).toContain(`stack ${stack} did not come up`);
    expect(e.message).toContain(`${stack}_db.1`);
    expect(e.message).toContain("exited with code 3");
    expect(e.message).toContain("cannot open /var/lib/db: permission denied");
    expect(e.message).not.toMatch(/--|-c FILE|command line/);
    expect(e.service).toBe("db");
    expect(e.replica).toBe(`${stack}_db.1`);
    expect(e.reason).toBe("failed");
    expect(e.logs).toContain("cannot open /var/lib/db: permission denied");
    expect(await leftOf(stack)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("a dependency that fails its gate is named with its replica and logs", async () => {
    const stack = uniqueStackName("up-gate");
    names.push(stack);
    const yaml = `
services:
  db:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "echo disk full; exit 2"]
    restart: "no"
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  app:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    depends_on:
      db:
        condition: service_healthy
`;
    const e = (await up({ yaml, stack, timeoutMs: 60_000 }).catch((x: unknown) => x)) as UpError;
    expect(e).toBeInstanceOf(UpError);
    expect([e.service, e.replica, e.reason]).toEqual(["db", `${stack}_db.1`, "failed"]);
    expect(e.message).toContain("disk full");
    expect(await leftOf(stack)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("a service that never gets healthy makes up() time out naming it; keepOnFailure leaves it", async () => {
    const stack = uniqueStackName("up-unhealthy");
    names.push(stack);
    const yaml = `
services:
  api:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    init: true
    healthcheck:
      test: ["CMD-SHELL", "echo no database yet; exit 1"]
      interval: 1s
      retries: 100
`;
    const error = await up({ yaml, stack, timeoutMs: 5_000, keepOnFailure: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpError);
    const e = error as UpError;
    expect(e.reason).toBe("timed-out");
    expect(e.service).toBe("api");
    expect(e.message).toContain(`stack ${stack} did not come up`);
    expect(e.message).toContain("api");
    expect((await leftOf(stack)).containers).toBe(1);
    await cleanupStack(stack);
  });

  it("a published port nothing listens on makes up() throw, naming the port and replica", async () => {
    const stack = uniqueStackName("up-silent");
    names.push(stack);
    const yaml = `
services:
  api:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    init: true
    ports: ["127.0.0.1::9999"]
`;
    const error = await up({ yaml, stack, timeoutMs: 4_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpError);
    const e = error as UpError;
    expect(e.reason).toBe("timed-out");
    expect(e.replica).toBe(`${stack}_api.1`);
    expect(e.message).toMatch(
      new RegExp(
        `port 9999/tcp of replica ${stack}_api\\.1 \\(published on 127\\.0\\.0\\.1:\\d+\\) did not answer`,
      ),
    );
    expect(await leftOf(stack)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("invalid input throws a located SpecError and creates nothing", async () => {
    const stack = uniqueStackName("up-invalid");
    const error = await up({
      yaml: "services:\n  web:\n    image: x\n    replicaz: 2\n",
      stack,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect((error as Error).message).toContain("<yaml>:4:5");
    expect(await leftOf(stack)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    await expect(up({ cwd: tmpdir() + "/no-such-dir-for-up" })).rejects.toThrow(
      /pass file, files, yaml or spec/,
    );
  });

  it("a name another live up() uses is refused at once, naming the owner", async () => {
    const env = await up({ yaml: WEB, stack: uniqueStackName("up-twice"), wait: false });
    names.push(env.name);
    try {
      await expect(up({ yaml: WEB, stack: env.name })).rejects.toThrow(
        new RegExp(`stack ${env.name} is in use by another up\\(\\): .* pid ${process.pid} `),
      );
      expect((await leftOf(env.name)).containers).toBe(2);
    } finally {
      await env.down();
    }
  });

  it("a stack left by a test process that died is removed by the next up()", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-up-crash-"));
    const script = join(dir, "crash.mts");
    const entry = resolve("src/index.ts");
    writeFileSync(
      script,
      `import { up } from ${JSON.stringify(entry)};
const env = await up({ spec: { name: "upcrash", services: { s: { image: ${JSON.stringify(TEST_IMAGE)}, command: ["sleep", "3600"], init: true } } } });
process.stdout.write(env.name);
process.exit(0); // no down(): as a test run killed midway
`,
    );
    const child = spawnSync(process.execPath, ["--import", "tsx", script], {
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const stale = child.stdout.trim();
    expect(stale).toMatch(/^upcrash-up-[0-9a-f]{8}$/);
    names.push(stale);
    expect((await leftOf(stale)).containers).toBe(1);

    const env = await up({ yaml: WEB });
    names.push(env.name);
    // A live owner's stack is not touched.
    expect((await leftOf(env.name)).containers).toBe(2);
    await env.down(); // waits for the removal of stale stacks up() started
    expect(await leftOf(stale)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
