/**
 * Side-by-side bench (not run in CI): `stack` as users run it (the built CLI, one process per
 * command) against Docker Compose v2, docker-compose v1, `docker stack deploy` on a
 * single-node swarm and the raw engine API floor, in one run, on one engine version:
 *
 *   per size (default 12 services running `sleep 3600`, which ignores SIGTERM, so every stop
 *   waits the default 10 s grace; and 50 services that exit on SIGTERM):
 *     up from empty, unchanged redeploy, scale one service 10 -> 1, rm/down;
 *   CLI start-up (`stack --version` beside `node -e ''`, `docker ps`, `docker compose version`);
 *   `stack ps --no-watch` of 100 replicas beside `docker ps` of the same containers.
 *
 * Every figure is the median of `--runs` runs; each step is checked by counting the running
 * containers afterwards, so a tool that silently did less does not look fast. Prints a
 * markdown table.
 *
 * Engines: `--host` (DOCKER_HOST form) is where stack, compose and the raw API run (default
 * DOCKER_HOST or the default socket); `--swarm-host` is an engine in swarm mode for `docker
 * stack deploy` (scripts/bench-engine.sh swarm-legacy|swarm-current up prints one): the
 * shared engine is never switched into swarm mode. The compose binaries come from
 * scripts/bench-setup.sh (`--compose-v2`, `--compose-v1` to point elsewhere).
 *
 * The raw floor runs at the same concurrency as `stack` (8): creates+starts for up, stop then
 * remove for scale-down and rm. Compose removes every container at once, so for rm it can
 * beat this floor.
 *
 * Run: npm run build && npx tsx bench/compare.ts --host unix:///run/stack-bench-legacy/docker.sock \
 *        --swarm-host unix:///run/stack-bench-swarm-legacy/docker.sock [--sizes 12,50] [--runs 3]
 *        [--ignoring 12] [--tools raw,stack,compose2,compose1,swarm] [--skip-startup]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import pLimit from "p-limit";
import { CLI, IMAGE, PARALLEL, rawDeploy } from "./scale-helpers.js";

type Tool = "raw" | "stack" | "compose2" | "compose1" | "swarm";
type Step = "up" | "redeploy" | "scale" | "rm";

const TOOLS: readonly Tool[] = ["raw", "stack", "compose2", "compose1", "swarm"];
const STEPS: readonly Step[] = ["up", "redeploy", "scale", "rm"];
const HEADERS: Record<Tool, string> = {
  raw: `raw API (${PARALLEL} at once)`,
  stack: "stack",
  compose2: "compose v2",
  compose1: "compose v1",
  swarm: "docker stack",
};
/** The service that the scale step takes from 10 replicas to 1. */
const SCALED = "svc0";
/** A command that ends at once on SIGTERM (busybox `sleep` as PID 1 ignores it). */
const EXITS_ON_TERM = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];
const IGNORES_TERM = ["sleep", "3600"];

interface Size {
  readonly services: number;
  readonly cmd: readonly string[];
}

interface Env {
  readonly host: string;
  readonly swarmHost: string | undefined;
  readonly composeV2: string;
  readonly composeV1: string;
  readonly runs: number;
}

/** Docker client for a DOCKER_HOST value (unix sockets only: every engine here is local). */
function client(host: string): Docker {
  return new Docker({ socketPath: host.replace(/^unix:\/\//, "") });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a command to its exit with DOCKER_HOST set; returns wall ms; throws on failure. */
function run(
  command: string,
  args: readonly string[],
  host: string,
  cwd?: string,
): Promise<{ ms: number; stdout: string }> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, DOCKER_HOST: host, COMPOSE_IGNORE_ORPHANS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      if (code === 0) done({ ms, stdout: out });
      else fail(new Error(`${command} ${args.join(" ")} exited ${code}: ${err.slice(-1500)}`));
    });
  });
}

/** The one file every tool reads: `services` services, `replicas` of each, `scaled` of svc0. */
function composeFile(size: Size, scaled: number): string {
  const lines = ['version: "3.8"', "services:"];
  for (let i = 0; i < size.services; i++) {
    lines.push(
      `  svc${i}:`,
      `    image: ${IMAGE}`,
      `    command: ${JSON.stringify(size.cmd)}`,
      "    deploy:",
      `      replicas: ${i === 0 ? scaled : 1}`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "stack-compare-"));
  writeFileSync(join(dir, "docker-compose.yml"), `${lines.join("\n")}\n`);
  return dir;
}

/** The label each tool puts on its containers, to count what it really runs. */
function labelOf(tool: Tool, project: string): string {
  switch (tool) {
    case "raw":
      return `bench.raw=${project}`;
    case "stack":
      return `stack.name=${project}`;
    case "swarm":
      return `com.docker.stack.namespace=${project}`;
    default:
      return `com.docker.compose.project=${project}`;
  }
}

async function running(docker: Docker, label: string): Promise<number> {
  const list = await docker.listContainers({ filters: { label: [label], status: ["running"] } });
  return list.length;
}

async function existing(docker: Docker, label: string): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [label] } })).length;
}

/** Polls until `probe` is true (swarm converges after its CLI returns); throws at 10 min. */
async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops then removes containers at `PARALLEL` at once: the floor for scale-down and rm. */
async function rawRemove(docker: Docker, ids: readonly string[]): Promise<void> {
  const limit = pLimit(PARALLEL);
  await Promise.all(
    ids.map((id) =>
      limit(async () => {
        const c = docker.getContainer(id);
        await c.stop().catch(() => undefined);
        await c.remove({ v: true });
      }),
    ),
  );
}

/** One tool's four steps on one size; returns ms per step (undefined: not applicable). */
async function measure(
  tool: Tool,
  size: Size,
  env: Env,
  project: string,
): Promise<Partial<Record<Step, number>>> {
  const host = tool === "swarm" ? env.swarmHost! : env.host;
  const docker = client(host);
  const label = labelOf(tool, project);
  const total = size.services;
  const dirOne = composeFile(size, 1);
  const dirTen = composeFile(size, 10);
  const file = (dir: string) => join(dir, "docker-compose.yml");
  const expect = async (n: number, step: string) => {
    if (tool === "swarm")
      await until(
        `${n} running after ${step}`,
        async () => (await running(docker, label)) === n && (await existing(docker, label)) === n,
      );
    const got = await running(docker, label);
    if (got !== n) throw new Error(`${tool} ${step}: ${got} containers running, expected ${n}`);
  };
  const timed = async (step: string, n: number, work: () => Promise<unknown>) => {
    const t0 = performance.now();
    await work();
    await expect(n, step);
    return performance.now() - t0;
  };
  const out: Partial<Record<Step, number>> = {};
  switch (tool) {
    case "raw": {
      out.up = await rawDeploy(project, total, 1, {
        client: docker,
        cmd: size.cmd,
        stopTimeout: undefined,
      });
      await expect(total, "up");
      // Scale: 9 more replicas of svc0 made untimed, then the 9 stopped and removed.
      const extra = `${project}x`;
      await rawDeploy(extra, 1, 9, { client: docker, cmd: size.cmd, stopTimeout: undefined });
      const ids = (await docker.listContainers({ filters: { label: [`bench.raw=${extra}`] } })).map(
        (c) => c.Id,
      );
      const t0 = performance.now();
      await rawRemove(docker, ids);
      out.scale = performance.now() - t0;
      await docker.getNetwork(`${extra}_default`).remove();
      out.rm = await timed("rm", 0, async () => {
        const all = await docker.listContainers({ all: true, filters: { label: [label] } });
        await rawRemove(
          docker,
          all.map((c) => c.Id),
        );
        await docker.getNetwork(`${project}_default`).remove();
      });
      return out;
    }
    case "stack": {
      const deploy = (dir: string) =>
        run(
          process.execPath,
          [CLI, "deploy", "-c", file(dir), project, "--progress", "quiet"],
          host,
        );
      out.up = await timed("up", total, () => deploy(dirOne));
      out.redeploy = await timed("redeploy", total, () => deploy(dirOne));
      await deploy(dirTen);
      await expect(total + 9, "scale up");
      out.scale = await timed("scale", total, () =>
        run(process.execPath, [CLI, "scale", "-c", file(dirOne), project, `${SCALED}=1`], host),
      );
      out.rm = await timed("rm", 0, () =>
        run(process.execPath, [CLI, "rm", project, "--progress", "quiet"], host),
      );
      return out;
    }
    case "compose2":
    case "compose1": {
      const bin = tool === "compose2" ? env.composeV2 : env.composeV1;
      const compose = (dir: string, ...args: string[]) =>
        run(bin, ["-p", project, "-f", file(dir), ...args], host, dir);
      // v1 ignores deploy.replicas without --compatibility: --scale says it to both.
      const up = (n: number) => compose(dirOne, "up", "-d", "--scale", `${SCALED}=${n}`);
      out.up = await timed("up", total, () => up(1));
      out.redeploy = await timed("redeploy", total, () => up(1));
      await up(10);
      await expect(total + 9, "scale up");
      out.scale = await timed("scale", total, () => up(1));
      out.rm = await timed("rm", 0, () => compose(dirOne, "down"));
      return out;
    }
    case "swarm": {
      const deploy = (dir: string) =>
        run("docker", ["stack", "deploy", "-c", file(dir), project], host, dir);
      out.up = await timed("up", total, () => deploy(dirOne));
      out.redeploy = await timed("redeploy", total, () => deploy(dirOne));
      await deploy(dirTen);
      await expect(total + 9, "scale up");
      out.scale = await timed("scale", total, () =>
        run("docker", ["service", "scale", `${project}_${SCALED}=1`], host),
      );
      // `docker stack rm` returns before the tasks are gone: done when no container and no
      // network of the stack is left.
      out.rm = await timed("rm", 0, async () => {
        await run("docker", ["stack", "rm", project], host);
        await until("stack removed", async () => {
          const nets = await docker.listNetworks({ filters: { label: [label] } });
          return (await existing(docker, label)) === 0 && nets.length === 0;
        });
      });
      return out;
    }
  }
}

/** Removes what a failed measurement left behind (by the tool's label), so a rerun is clean. */
async function leftovers(tool: Tool, env: Env, project: string): Promise<void> {
  const host = tool === "swarm" ? env.swarmHost! : env.host;
  const docker = client(host);
  const label = labelOf(tool, project);
  if (tool === "swarm") await run("docker", ["stack", "rm", project], host).catch(() => undefined);
  for (const c of await docker.listContainers({ all: true, filters: { label: [label] } }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  for (const n of await docker.listNetworks({ filters: { name: [project] } }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
}

/** Median ms of `n` spawned runs of a command until it exits. */
async function startup(command: string, args: readonly string[], host: string, n: number) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push((await run(command, args, host)).ms);
  return median(times);
}

async function psBench(env: Env, runs: number): Promise<{ stack: number; docker: number }> {
  const project = `cmpps${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "stack-compare-ps-"));
  const file = join(dir, "stack.yml");
  writeFileSync(
    file,
    [
      "services:",
      "  app:",
      `    image: ${IMAGE}`,
      `    command: ${JSON.stringify(EXITS_ON_TERM)}`,
      "    deploy:",
      "      replicas: 100",
      "",
    ].join("\n"),
  );
  await run(
    process.execPath,
    [CLI, "deploy", "-c", file, project, "--progress", "quiet"],
    env.host,
  );
  try {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(
        (
          await run(
            process.execPath,
            [CLI, "ps", "--no-watch", "--format", "table", project],
            env.host,
          )
        ).ms,
      );
      theirs.push(
        (await run("docker", ["ps", "--all", "--filter", `label=stack.name=${project}`], env.host))
          .ms,
      );
    }
    return { stack: median(ours), docker: median(theirs) };
  } finally {
    await run(process.execPath, [CLI, "rm", project, "--progress", "quiet"], env.host);
  }
}

const fmt = (ms: number | undefined): string =>
  ms === undefined
    ? "-"
    : ms >= 10_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${(ms / 1000).toFixed(2)} s`;

async function engineVersion(host: string): Promise<string> {
  const v = await client(host).version();
  return `dockerd ${v.Version} (API ${v.ApiVersion})`;
}

async function main(): Promise<void> {
  const cache = process.env["STACK_BENCH_CACHE"] ?? "/var/cache/stack-bench";
  const { values } = parseArgs({
    options: {
      host: {
        type: "string",
        default: process.env["DOCKER_HOST"] ?? "unix:///var/run/docker.sock",
      },
      "swarm-host": { type: "string" },
      sizes: { type: "string", default: "12,50" },
      // Sizes whose containers run `sleep 3600` (ignores SIGTERM); the others exit on it.
      ignoring: { type: "string", default: "12" },
      runs: { type: "string", default: "3" },
      tools: { type: "string", default: TOOLS.join(",") },
      "compose-v2": { type: "string", default: join(cache, "compose-v2/docker-compose") },
      "compose-v1": { type: "string", default: join(cache, "compose-v1/docker-compose") },
      "startup-runs": { type: "string", default: "10" },
      "skip-startup": { type: "boolean", default: false },
    },
  });
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const env: Env = {
    host: values.host,
    swarmHost: values["swarm-host"],
    composeV2: values["compose-v2"],
    composeV1: values["compose-v1"],
    runs: Number(values.runs),
  };
  const tools = values.tools.split(",") as Tool[];
  for (const t of tools) if (!TOOLS.includes(t)) throw new Error(`unknown tool ${t}`);
  if (tools.includes("swarm") && env.swarmHost === undefined)
    throw new Error(
      "--swarm-host is needed for the docker stack column (or leave swarm out of --tools)",
    );
  for (const [t, bin] of [
    ["compose2", env.composeV2],
    ["compose1", env.composeV1],
  ] as const)
    if (tools.includes(t) && !existsSync(bin))
      throw new Error(`${bin} is missing: run scripts/bench-setup.sh`);

  console.log(`# stack vs compose vs docker stack, ${new Date().toISOString()}`);
  console.log(`engine for raw/stack/compose: ${values.host}: ${await engineVersion(values.host)}`);
  if (env.swarmHost !== undefined)
    console.log(
      `engine for docker stack (single-node swarm): ${env.swarmHost}: ${await engineVersion(env.swarmHost)}`,
    );
  console.log(
    `image ${IMAGE}; median of ${env.runs} run(s); stack --parallel ${PARALLEL} (its default)\n`,
  );

  const rows: string[] = [];
  const header = `| work | ${tools.map((t) => HEADERS[t]).join(" | ")} |`;
  rows.push(header, `|---|${tools.map(() => "---").join("|")}|`);
  // `--sizes ''` measures only the CLI start-up and ps rows.
  const sizes = values.sizes
    .split(",")
    .filter((s) => s !== "")
    .map(Number);
  for (const services of sizes) {
    const ignoring = values.ignoring.split(",").map(Number).includes(services);
    const size: Size = { services, cmd: ignoring ? IGNORES_TERM : EXITS_ON_TERM };
    const what =
      size.cmd === IGNORES_TERM
        ? `${services} services \`sleep 3600\` (ignores SIGTERM)`
        : `${services} services exiting on SIGTERM`;
    const samples = new Map<string, number[]>();
    for (let r = 0; r < env.runs; r++) {
      for (const tool of tools) {
        const project = `cmp${tool}${services}r${r}p${process.pid % 10000}`;
        const got = await measure(tool, size, env, project).catch(async (err: unknown) => {
          await leftovers(tool, env, project);
          throw err;
        });
        for (const step of STEPS) {
          const ms = got[step];
          if (ms === undefined) continue;
          const key = `${tool}/${step}`;
          samples.set(key, [...(samples.get(key) ?? []), ms]);
        }
        console.error(
          `  ${what} run ${r + 1} ${tool}: ${STEPS.map((s) => `${s} ${fmt(got[s])}`).join(", ")}`,
        );
      }
    }
    const label: Record<Step, string> = {
      up: `${what}: up`,
      redeploy: "same: unchanged redeploy",
      scale: `same: scale ${SCALED} 10 -> 1`,
      rm: "same: rm / down",
    };
    for (const step of STEPS) {
      const cells = tools.map((t) => {
        const s = samples.get(`${t}/${step}`);
        return s === undefined ? "-" : fmt(median(s));
      });
      rows.push(`| ${label[step]} | ${cells.join(" | ")} |`);
    }
  }
  if (sizes.length > 0) console.log(rows.join("\n"));

  if (!values["skip-startup"]) {
    const n = Number(values["startup-runs"]);
    const stackVersion = await startup(process.execPath, [CLI, "--version"], env.host, n);
    const node = await startup(process.execPath, ["-e", ""], env.host, n);
    const dockerPs = await startup("docker", ["ps", "-q", "--filter", "label=none"], env.host, n);
    const composeVersion = existsSync(env.composeV2)
      ? await startup(env.composeV2, ["version"], env.host, n)
      : undefined;
    const ps = await psBench(env, 5);
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    console.log(`\n| CLI (median of ${n}) | time | ratio |`);
    console.log("|---|---|---|");
    console.log(`| \`node -e ''\` | ${ms(node)} | 1.00x |`);
    console.log(
      `| \`stack --version\` | ${ms(stackVersion)} | ${(stackVersion / node).toFixed(2)}x node |`,
    );
    console.log(
      `| \`docker ps\` (empty filter) | ${ms(dockerPs)} | ${(dockerPs / node).toFixed(2)}x node |`,
    );
    if (composeVersion !== undefined)
      console.log(
        `| \`docker compose version\` | ${ms(composeVersion)} | ${(composeVersion / node).toFixed(2)}x node |`,
      );
    console.log(
      `| \`stack ps --no-watch\`, 100 replicas (median of 5) | ${ms(ps.stack)} | ${(ps.stack / ps.docker).toFixed(2)}x docker ps |`,
    );
    console.log(`| \`docker ps --all --filter label=...\`, same 100 | ${ms(ps.docker)} | 1.00x |`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
