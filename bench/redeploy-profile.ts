/**
 * Where an unchanged redeploy spends its time once the process is running (issue 19; not
 * run in CI): a 12-service stack is deployed once, then redeployed unchanged many times in
 * this one process through the library, with every step timed: loading the file, choosing
 * the driver (ping), preflight, prepare, each observation and plan, and the whole
 * `deployStack`. The driver is reached through a counting proxy of the engine socket, which
 * reports each engine call with the time to its first response byte. bench/startup.ts
 * measures the same command as a user runs it, process start included.
 *
 * Run: npx tsx bench/redeploy-profile.ts   (needs a Docker engine and the test images)
 * PROFILE_RUNS=N sets the redeploys (default 20).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { deployStack } from "../src/api/deploy.js";
import type { Driver } from "../src/core/driver.js";
import { selectDriver } from "../src/drivers/select-driver.js";
import { nullSink } from "../src/progress/events.js";
import { loadStack } from "../src/stackfile/load-stack.js";
import { cleanup, IMAGE } from "./scale-helpers.js";

const RUNS = Number(process.env["PROFILE_RUNS"] ?? 20);
const SERVICES = 12;

type Times = Map<string, number[]>;

function record(times: Times, name: string, ms: number): void {
  const list = times.get(name) ?? [];
  list.push(ms);
  times.set(name, list);
}

/**
 * `target` with every method call timed into `times` under `prefix.method`; the deployment
 * `prepare` resolves to is wrapped the same way, so its `observe` and `plan` are timed too.
 */
function timed<T extends object>(target: T, prefix: string, times: Times): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(obj, args);
        const done = (result: unknown) => {
          record(times, `${prefix}.${String(prop)}`, performance.now() - t0);
          return prop === "prepare" && typeof result === "object" && result !== null
            ? timed(result, "deployment", times)
            : result;
        };
        return out instanceof Promise ? out.then(done) : done(out);
      };
    },
  });
}

interface EngineCall {
  readonly request: string;
  readonly ms: number;
}

/**
 * A unix socket forwarding to the engine that records each request line and the time to
 * the first byte of its response (requests on one connection are answered in order).
 */
function proxy(target: string, path: string): Promise<{ server: Server; calls: EngineCall[] }> {
  const calls: EngineCall[] = [];
  const server = createServer((client: Socket) => {
    const engine = createConnection(target);
    const pending: { request: string; t0: number }[] = [];
    client.on("data", (chunk: Buffer) => {
      for (const m of chunk.toString("latin1").matchAll(/^([A-Z]+) (\S+) HTTP\/1\.[01]\r$/gm))
        pending.push({
          request: `${m[1]} ${m[2]!.replace(/\?.*/, "").replace(/\/v[\d.]+\//, "/")}`,
          t0: performance.now(),
        });
    });
    engine.on("data", (chunk: Buffer) => {
      if (/^HTTP\/1\.[01] \d{3}/.test(chunk.toString("latin1", 0, 16))) {
        const p = pending.shift();
        if (p) calls.push({ request: p.request, ms: performance.now() - p.t0 });
      }
    });
    client.pipe(engine).pipe(client);
    const close = () => {
      client.destroy();
      engine.destroy();
    };
    client.on("error", close);
    engine.on("error", close);
  });
  return new Promise((done) => server.listen(path, () => done({ server, calls })));
}

function endpoint(request: string): string {
  return request
    .replace(/^(\w+ \/images\/).+(\/json)$/, "$1{name}$2")
    .replace(/\/(containers|networks|volumes)\/(?!json$|create$|prune$)[^/]+/, "/$1/{id}");
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "stack-bench-profile-"));
  const file = join(dir, "stack.yml");
  const lines = ["services:"];
  for (let i = 0; i < SERVICES; i++)
    lines.push(`  svc${i}:`, `    image: ${IMAGE}`, `    command: ["sleep", "3600"]`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  const name = `benchprofile${process.pid}`;
  const socket = join(dir, "engine.sock");
  const host = process.env["DOCKER_HOST"];
  const target =
    host === undefined || host === "" ? "/var/run/docker.sock" : host.replace(/^unix:\/\//, "");
  const { server, calls } = await proxy(target, socket);
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  const load = {
    files: [file],
    envFiles: [],
    cwd: dir,
    env: {},
    stack: name,
  };
  console.log(`unchanged redeploy of ${SERVICES} services in one process, ${RUNS} runs`);
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  try {
    const first = await deployStack({
      ...load,
      driver: async () => (await selectDriver(env)).driver,
      sink: nullSink,
    });
    if (!first.ok) throw new Error("the first deploy failed");
    const times: Times = new Map();
    const perRun: EngineCall[][] = [];
    for (let i = 0; i < RUNS; i++) {
      calls.length = 0;
      let t0 = performance.now();
      await loadStack(load);
      record(times, "loadStack (alone)", performance.now() - t0);
      t0 = performance.now();
      const result = await deployStack({
        ...load,
        driver: async () => {
          const t = performance.now();
          const driver: Driver = (await selectDriver(env)).driver;
          record(times, "selectDriver (ping)", performance.now() - t);
          return timed(driver, "driver", times);
        },
        sink: nullSink,
      });
      record(times, "deployStack (total)", performance.now() - t0);
      if (!result.ok || result.changed) throw new Error("the redeploy was not a no-op");
      perRun.push([...calls]);
    }
    console.log("\nstep                           median      min   calls/run");
    for (const [step, list] of times)
      console.log(
        `${step.padEnd(30)}${`${median(list).toFixed(1)} ms`.padStart(9)}${`${Math.min(...list).toFixed(1)} ms`.padStart(9)}${String(list.length / RUNS).padStart(8)}`,
      );
    const byEndpoint = new Map<string, number[]>();
    for (const run of perRun)
      for (const c of run) {
        const list = byEndpoint.get(endpoint(c.request)) ?? [];
        list.push(c.ms);
        byEndpoint.set(endpoint(c.request), list);
      }
    console.log("\nengine call                              per run   median to first byte");
    for (const [e, list] of [...byEndpoint].sort((a, b) => b[1].length - a[1].length))
      console.log(
        `${e.padEnd(40)}${String(list.length / RUNS).padStart(8)}${`${median(list).toFixed(1)} ms`.padStart(12)}`,
      );
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
  } finally {
    server.close();
    await cleanup(`stack.name=${name}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
