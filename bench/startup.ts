/**
 * Start-up bench (issue 19, not run in CI): the built CLI spawned once per run, hyperfine
 * style (warm-up runs, then rounds that interleave every command so all see the same machine
 * load, medians reported), beside `node -e ''` (the floor of any Node CLI), `docker
 * --version` and `docker ps` of the same containers. Commands: `--version`, `--help`,
 * `config` and `ls` (what start-up alone costs), an unchanged `deploy` of a 12-service stack
 * and `ps --no-watch` of a 100-replica stack (what users wait for most). Each run goes
 * through `bash -c` so the wall time excludes nothing but bash's own fork, and bash's `times`
 * gives the command's CPU time (user + sys), which a busy shared machine disturbs less than
 * wall time. A second pass sends each command through a counting proxy of the engine socket
 * and reports the engine calls it makes. The load average is printed before and after: read
 * the figures against it.
 *
 * Run: npm run build && npx tsx bench/startup.ts   (needs a Docker engine and the test images)
 * STACK_CLI=PATH measures another build of the CLI; STACK_CLI_BASELINE=PATH adds a second
 * build's rows to the same rounds (before/after); STARTUP_RUNS=N sets the rounds (default 15).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { cleanup } from "./scale-helpers.js";

const CLI = resolve(process.env["STACK_CLI"] ?? "dist/cli/main.js");
// Another build measured in the same rounds, e.g. one of main: a fair before/after on a
// machine whose load changes from minute to minute.
const BASELINE =
  process.env["STACK_CLI_BASELINE"] === undefined
    ? undefined
    : resolve(process.env["STACK_CLI_BASELINE"]);
const RUNS = Number(process.env["STARTUP_RUNS"] ?? 15);
const WARMUP = 2;
const IMAGE = process.env["BENCH_IMAGE"] ?? "stack-test/busybox:latest";
const SERVICES = 12;
const REPLICAS = 100;

/** One measured command: how to run it, and what a correct run prints. */
interface Case {
  readonly label: string;
  readonly argv: readonly string[];
  /** Lines on stdout a correct run prints (checked once before timing), if fixed. */
  readonly lines?: number;
  /** Whether it talks to the engine (counted through the proxy). */
  readonly engine?: boolean;
}

interface Run {
  readonly wallMs: number;
  readonly cpuMs: number;
}

interface Output {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` to its exit; stdout and stderr are collected. */
function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Output> {
  return new Promise((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

// The command's output goes to /dev/null (a terminal or pipe would cost the reader, not the
// command); `times` prints the shell's own and then its children's user and sys time.
const WRAPPER = [
  "s=$EPOCHREALTIME",
  '"$@" >/dev/null 2>&1',
  "rc=$?",
  "e=$EPOCHREALTIME",
  "times",
  'echo "$s $e $rc"',
].join("; ");

function seconds(text: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  if (!m) throw new Error(`cannot read bash times output "${text}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** One timed run of `argv`: wall time between bash's clock readings, children's CPU time. */
async function timed(argv: readonly string[]): Promise<Run> {
  const out = await run(["bash", "-c", WRAPPER, "bash", ...argv]);
  const lines = out.stdout.trim().split("\n");
  const [start, end, rc] = (lines[2] ?? "").split(" ");
  if (rc !== "0") throw new Error(`${argv.join(" ")} exited ${rc}`);
  const [user = "", sys = ""] = (lines[1] ?? "").split(" ");
  return {
    wallMs: (Number(end) - Number(start)) * 1000,
    cpuMs: (seconds(user) + seconds(sys)) * 1000,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The engine's unix socket, from DOCKER_HOST or the default; undefined for tcp/ssh. */
function engineSocket(): string | undefined {
  const host = process.env["DOCKER_HOST"];
  if (host === undefined || host === "") return "/var/run/docker.sock";
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

/**
 * A unix socket that forwards every connection to the engine and records the request line
 * of each HTTP request sent through it (the engine API is HTTP/1.1 with keep-alive, so
 * several requests share a connection).
 */
function countingProxy(
  target: string,
  path: string,
): Promise<{ server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((client) => {
    const engine = createConnection(target);
    client.on("data", (chunk: Buffer) => {
      for (const m of chunk.toString("latin1").matchAll(/^([A-Z]+) (\S+) HTTP\/1\.[01]\r$/gm))
        requests.push(`${m[1]} ${m[2]!.replace(/\?.*/, "")}`);
    });
    client.pipe(engine).pipe(client);
    const close = () => {
      client.destroy();
      engine.destroy();
    };
    client.on("error", close);
    engine.on("error", close);
  });
  return new Promise((done) => server.listen(path, () => done({ server, requests })));
}

/** "GET /containers/{id}/json" for any id: calls grouped by endpoint. */
function endpoint(request: string): string {
  return request
    .replace(/\/v[\d.]+\//, "/")
    .replace(/^(\w+ \/images\/).+(\/json)$/, "$1{name}$2")
    .replace(
      /\/(containers|networks|volumes|services|tasks|secrets|configs)\/(?!json$|create$|prune$)[^/]+/,
      "/$1/{id}",
    );
}

function stackFile(dir: string, name: string, services: number, replicas: number): string {
  const lines = ["services:"];
  for (let i = 0; i < services; i++)
    lines.push(
      `  svc${i}:`,
      `    image: ${IMAGE}`,
      `    command: ["sleep", "3600"]`,
      "    stop_grace_period: 1s",
      "    deploy:",
      `      replicas: ${replicas}`,
    );
  const file = join(dir, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function main(): Promise<void> {
  for (const cli of [CLI, ...(BASELINE === undefined ? [] : [BASELINE])])
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const node = process.execPath;
  const stack = (...args: string[]) => [node, CLI, ...args];
  const dir = mkdtempSync(join(tmpdir(), "stack-bench-startup-"));
  const small = `benchstart${process.pid}`;
  const big = `benchstartps${process.pid}`;
  const smallFile = stackFile(dir, "small.yml", SERVICES, 1);
  const bigFile = stackFile(dir, "big.yml", 1, REPLICAS);
  console.log(`start-up bench: ${CLI}`);
  console.log(`node ${process.version}, load average before: ${load()}`);
  try {
    for (const [name, file] of [
      [small, smallFile],
      [big, bigFile],
    ] as const) {
      const up = await run(stack("deploy", "-c", file, name, "--progress", "quiet"));
      if (up.code !== 0) throw new Error(`deploy of ${name} failed: ${up.stderr}`);
    }
    const stackCases = (cli: string, tag: string): Case[] => {
      const stack = (...args: string[]) => [node, cli, ...args];
      return [
        { label: `stack --version${tag}`, argv: stack("--version"), lines: 1 },
        { label: `stack --help${tag}`, argv: stack("--help") },
        {
          label: `stack config (${SERVICES} services)${tag}`,
          argv: stack("config", "-c", smallFile),
        },
        { label: `stack ls${tag}`, argv: stack("ls"), engine: true },
        {
          label: `stack deploy, unchanged (${SERVICES} services)${tag}`,
          argv: stack("deploy", "-c", smallFile, small),
          engine: true,
        },
        {
          label: `stack ps --no-watch (${REPLICAS} replicas)${tag}`,
          argv: stack("ps", "--no-watch", big),
          lines: REPLICAS + 1,
          engine: true,
        },
      ];
    };
    const floorCase: Case = { label: "node -e ''", argv: [node, "-e", ""], lines: 0 };
    const dockerPs: Case = {
      label: `docker ps (${REPLICAS} containers)`,
      argv: ["docker", "ps", "--all", "--filter", `label=stack.name=${big}`],
      lines: REPLICAS + 1,
      engine: true,
    };
    const ours = stackCases(CLI, "");
    const cases: Case[] = [
      floorCase,
      { label: "docker --version", argv: ["docker", "--version"], lines: 1 },
      dockerPs,
      ...ours,
      ...(BASELINE === undefined ? [] : stackCases(BASELINE, " [baseline]")),
    ];
    // Correct before fast: every command once, checked.
    for (const c of cases) {
      const out = await run(c.argv);
      const lines = out.stdout === "" ? 0 : out.stdout.trimEnd().split("\n").length;
      if (out.code !== 0) throw new Error(`${c.label} exited ${out.code}: ${out.stderr}`);
      if (c.lines !== undefined && lines !== c.lines)
        throw new Error(`${c.label} printed ${lines} lines, expected ${c.lines}`);
    }
    const runs = new Map<Case, Run[]>(cases.map((c) => [c, []]));
    for (let round = 0; round < WARMUP + RUNS; round++) {
      for (const c of cases) {
        const r = await timed(c.argv);
        if (round >= WARMUP) runs.get(c)!.push(r);
      }
    }

    // Engine calls per command, through the counting proxy.
    const calls = new Map<Case, string[]>();
    const socket = engineSocket();
    if (socket !== undefined) {
      const proxyPath = join(dir, "engine.sock");
      const { server, requests } = await countingProxy(socket, proxyPath);
      try {
        for (const c of cases.filter((c) => c.engine)) {
          requests.length = 0;
          const out = await run(c.argv, { ...process.env, DOCKER_HOST: `unix://${proxyPath}` });
          if (out.code !== 0) throw new Error(`${c.label} via the proxy exited ${out.code}`);
          calls.set(c, requests.map(endpoint));
        }
      } finally {
        server.close();
      }
    }

    const floor = median(runs.get(cases[0]!)!.map((r) => r.wallMs));
    console.log(`\nmedian of ${RUNS} runs each (after ${WARMUP} warm-up rounds), interleaved`);
    console.log(
      `${"command".padEnd(44)}${"wall".padStart(9)}${"min".padStart(9)}${"CPU".padStart(9)}${"/ node".padStart(8)}${"calls".padStart(7)}`,
    );
    for (const c of cases) {
      const r = runs.get(c)!;
      const wall = median(r.map((x) => x.wallMs));
      const min = Math.min(...r.map((x) => x.wallMs));
      const cpu = median(r.map((x) => x.cpuMs));
      const n = calls.get(c)?.length;
      console.log(
        `${c.label.padEnd(44)}${`${wall.toFixed(0)} ms`.padStart(9)}${`${min.toFixed(0)} ms`.padStart(9)}${`${cpu.toFixed(0)} ms`.padStart(9)}${`${(wall / floor).toFixed(1)}x`.padStart(8)}${(n === undefined ? "" : String(n)).padStart(7)}`,
      );
    }
    const wallOf = (c: Case) => median(runs.get(c)!.map((r) => r.wallMs));
    const cpuOf = (c: Case) => median(runs.get(c)!.map((r) => r.cpuMs));
    const version = ours[0]!;
    const ps = ours[5]!;
    console.log(
      `\naims: --version / node -e '' = ${(wallOf(version) / wallOf(floorCase)).toFixed(2)}x wall, ` +
        `${(cpuOf(version) / cpuOf(floorCase)).toFixed(2)}x CPU (<= 2x); ` +
        `ps --no-watch / docker ps = ${(wallOf(ps) / wallOf(dockerPs)).toFixed(2)}x wall (<= 4x)`,
    );
    for (const [c, list] of calls) {
      const counts = new Map<string, number>();
      for (const e of list) counts.set(e, (counts.get(e) ?? 0) + 1);
      const detail = [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([e, k]) => `${k} x ${e}`)
        .join(", ");
      console.log(`engine calls of ${c.label}: ${detail}`);
    }
    console.log(`load average after: ${load()}`);
  } finally {
    // By label with forced removal: `stack rm` would stop 100 replicas that ignore SIGTERM.
    for (const name of [small, big]) await cleanup(`stack.name=${name}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
