/**
 * Reproducer for the dockerd 20.10 network deadlock that `AttachmentGate` works around (not
 * run in CI). Each trial starts a fresh private engine (scripts/bench-engine.sh, never the
 * shared one), puts `--containers` busybox containers on one user-defined network, and then
 * repeats one scenario's concurrent engine calls for `--rounds` rounds. A round whose calls
 * have not returned after `--stall` seconds while the engine still answers `/_ping` but no
 * longer answers a network inspect counts as a hang: the engine is sent SIGUSR1, its
 * goroutine dump is copied to `--out`, the lock cycle in it is printed, and the engine is
 * thrown away before the next trial.
 *
 * `--hammer N` adds N loops of network inspect + network list during every round (the reads a
 * deploy's observation or a live `ps` makes), to contend for the same locks; `--dns` makes
 * every container query the embedded DNS server in a loop (an app resolving its peers);
 * `--stress` pins the engine to one CPU with eight Go threads (see scripts/bench-engine.sh),
 * which makes an unlucky interleaving inside libnetwork far more likely.
 *
 * Scenarios (all on one user-defined bridge network, every container with an alias):
 *   stop      stop every running container at once (`--grace` seconds), then start them again
 *   kill      kill every container at once (the daemon releases the network on the exit event)
 *   exit      every container exits by itself at the same instant (no API call for the leave)
 *   restart   restart every container at once
 *   rm        force-remove every running container at once, then create and start them again
 *   churn     force-remove the running half while the other half is created and started
 *   stopjoin  stop the running half while the other half is started (joins beside leaves)
 *   connect   disconnect every container from the network at once, then connect them again
 *   netrm     force-remove every container and, at the same time, remove the network
 *             (retried until the last endpoint is gone), then recreate both
 *
 * Run: npx tsx bench/deadlock-repro.ts --engine repro-legacy --scenario stop --trials 3 --rounds 40
 *      npx tsx bench/deadlock-repro.ts --analyse FILE   (print the lock cycle in a dump)
 *      npx tsx bench/deadlock-repro.ts --inspect-binary /usr/sbin/dockerd[,OTHER]
 *        (the lock order compiled into a dockerd, read with nm + objdump)
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import Docker from "dockerode";

const SCENARIOS = [
  "stop",
  "kill",
  "exit",
  "restart",
  "rm",
  "churn",
  "stopjoin",
  "connect",
  "netrm",
] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Options {
  readonly engine: string;
  readonly scenario: Scenario;
  readonly containers: number;
  readonly rounds: number;
  readonly trials: number;
  readonly grace: number;
  readonly stallMs: number;
  readonly out: string;
  readonly image: string;
  readonly hammer: number;
  readonly dns: boolean;
}

/** What one trial ended with: every round done, or a hang with the dump that shows it. */
interface TrialResult {
  readonly rounds: number;
  readonly hung: boolean;
  readonly seconds: number;
  readonly dump?: string;
  readonly stuck?: string;
}

class Stall extends Error {}

const ENGINE_SCRIPT = resolve("scripts/bench-engine.sh");

/** Set by --stress: the engine runs pinned to one CPU with more Go threads than CPUs. */
let stress = false;

function engineScript(kind: string, action: string): string {
  return execFileSync("bash", [ENGINE_SCRIPT, kind, action], {
    encoding: "utf8",
    env: { ...process.env, STACK_BENCH_STRESS: stress ? "1" : "0" },
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Resolves with `p`, or rejects with `Stall` naming `what` when it takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Stall(what)), ms);
  });
  return Promise.race([p, stall]).finally(() => clearTimeout(timer));
}

/**
 * Errors a round expects: already stopped or gone (the race is the point), and a connection
 * the engine closed under a request (EPIPE, reset: seen here when 20.10 is under load); the
 * next round starts from whatever state the engine reached.
 */
function tolerated(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string };
  if (e.code === "EPIPE" || e.code === "ECONNRESET") return true;
  return e.statusCode === 304 || e.statusCode === 404 || e.statusCode === 409;
}

/** Retries `fn` while the engine drops the connection under it (EPIPE/ECONNRESET, seen on a
 * freshly started 20.10 with dozens of creates at once); other errors go through. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= 5 || (code !== "EPIPE" && code !== "ECONNRESET")) throw err;
      await sleep(200 * attempt);
    }
  }
}

/**
 * Waits for every call of a round; returns those still pending after `ms`. A call is only
 * given up on after `ms` and then a further 9 x `ms`: on a loaded machine 20.10 can take
 * minutes over a burst of starts without being stuck, so slowness alone is not a hang.
 */
async function settle(what: string, calls: Promise<unknown>[], ms: number): Promise<string[]> {
  const stuck: string[] = [];
  const results = await Promise.allSettled(
    calls.map((c, i) =>
      within(c, ms, `${what} #${i}`)
        .catch((err: unknown) =>
          err instanceof Stall ? within(c, 9 * ms, err.message) : Promise.reject(err),
        )
        .catch((err: unknown) => {
          if (err instanceof Stall) stuck.push(err.message);
          else if (!tolerated(err)) throw err;
        }),
    ),
  );
  for (const r of results) if (r.status === "rejected") throw r.reason;
  return stuck;
}

class Trial {
  private readonly net: string;
  private readonly names: string[];

  constructor(
    private readonly docker: Docker,
    private readonly o: Options,
  ) {
    this.net = `repro_${o.scenario}`;
    this.names = Array.from({ length: o.containers }, (_, i) => `repro_${o.scenario}_${i}`);
  }

  /** A container that ends at once on SIGTERM (busybox `sleep` as PID 1 would ignore it), or
   * for `exit`, one that exits by itself at `exitAt` (epoch seconds). */
  private async create(name: string, i: number, exitAt?: number): Promise<void> {
    // --dns: every container keeps asking the engine's embedded DNS server for a service
    // name, as an app resolving its peers (or the ingress re-resolving replicas) does; each
    // answer takes libnetwork's controller lock.
    const lookup = this.o.dns ? `nslookup svc${(i + 1) % 4} 127.0.0.11 >/dev/null 2>&1; ` : "";
    const script =
      exitAt === undefined
        ? this.o.dns
          ? `trap 'exit 0' TERM; while true; do ${lookup}usleep 20000 & wait $!; done`
          : "trap 'exit 0' TERM; sleep 3600 & wait"
        : `while [ $(date +%s) -lt ${exitAt} ]; do ${lookup}usleep 20000; done`;
    await this.docker.createContainer({
      name,
      Image: this.o.image,
      Cmd: ["sh", "-c", script],
      StopTimeout: this.o.grace,
      HostConfig: { NetworkMode: this.net },
      NetworkingConfig: { EndpointsConfig: { [this.net]: { Aliases: [`svc${i % 4}`] } } },
    });
  }

  private async createNetwork(): Promise<void> {
    await this.docker.createNetwork({ Name: this.net, CheckDuplicate: true });
  }

  async setUp(): Promise<void> {
    await retrying(() => this.createNetwork());
    await Promise.all(this.names.map((n, i) => retrying(() => this.create(n, i))));
    await Promise.all(this.names.map((n) => retrying(() => this.docker.getContainer(n).start())));
  }

  private c(name: string): Docker.Container {
    return this.docker.getContainer(name);
  }

  /**
   * Runs `fn` while `--hammer` loops inspect the network and list containers: reads that take
   * libnetwork's controller and network locks, as a deploy's observation or a live `ps` does,
   * so the leaves meet contended locks.
   */
  async hammered<T>(fn: () => Promise<T>): Promise<T> {
    let done = false;
    const loops = Array.from({ length: this.o.hammer }, async () => {
      while (!done) {
        await Promise.all([
          this.docker.getNetwork(this.net).inspect(),
          this.docker.listNetworks(),
        ]).catch(() => undefined);
      }
    });
    try {
      return await fn();
    } finally {
      done = true;
      // A hammer call stuck in a hung engine must not hold the round: leave it behind.
      await Promise.race([Promise.all(loops), sleep(1000)]);
    }
  }

  /** One round of the scenario; returns the calls that had not returned in time. */
  async round(r: number): Promise<string[]> {
    return this.hammered(() => this.calls(r));
  }

  private async calls(r: number): Promise<string[]> {
    const ms = this.o.stallMs;
    const all = this.names;
    const half = r % 2 === 0 ? all.filter((_, i) => i % 2 === 0) : all.filter((_, i) => i % 2);
    const other = all.filter((n) => !half.includes(n));
    const stuck: string[] = [];
    const run = async (what: string, calls: Promise<unknown>[]) =>
      stuck.push(...(await settle(what, calls, ms)));
    const recreate = (names: readonly string[]) =>
      names.map(async (n) => {
        await this.create(n, all.indexOf(n));
        await this.c(n).start();
      });
    switch (this.o.scenario) {
      case "stop":
        await run(
          "stop",
          all.map((n) => this.c(n).stop({ t: this.o.grace })),
        );
        if (stuck.length === 0)
          await run(
            "start",
            all.map((n) => this.c(n).start()),
          );
        break;
      case "kill":
        await run(
          "kill",
          all.map((n) => this.c(n).kill()),
        );
        if (stuck.length === 0)
          await run(
            "wait",
            all.map((n) => this.c(n).wait()),
          );
        if (stuck.length === 0)
          await run(
            "start",
            all.map((n) => this.c(n).start()),
          );
        break;
      case "exit": {
        await run(
          "rm",
          all.map((n) => this.c(n).remove({ force: true })),
        );
        if (stuck.length > 0) break;
        const exitAt = Math.ceil(Date.now() / 1000) + 3;
        await run(
          "create",
          all.map((n, i) => this.create(n, i, exitAt)),
        );
        if (stuck.length === 0)
          await run(
            "start",
            all.map((n) => this.c(n).start()),
          );
        if (stuck.length === 0)
          await run(
            "wait",
            all.map((n) => this.c(n).wait()),
          );
        break;
      }
      case "restart":
        await run(
          "restart",
          all.map((n) => this.c(n).restart({ t: this.o.grace })),
        );
        break;
      case "rm":
        await run(
          "rm",
          all.map((n) => this.c(n).remove({ force: true })),
        );
        if (stuck.length === 0) await run("create+start", recreate(all));
        break;
      case "churn": {
        // The other half was removed last round: bring it back while this half goes.
        const running = await retrying(() =>
          this.docker.listContainers({ filters: { name: [this.net] } }),
        );
        const up = new Set(running.map((c) => c.Names[0]?.slice(1)));
        await run("rm|create+start", [
          ...half.filter((n) => up.has(n)).map((n) => this.c(n).remove({ force: true })),
          ...recreate(other.filter((n) => !up.has(n))),
        ]);
        break;
      }
      case "stopjoin":
        await run("stop|start", [
          ...half.map((n) => this.c(n).stop({ t: this.o.grace })),
          ...other.map((n) => this.c(n).start()),
        ]);
        break;
      case "connect": {
        const net = this.docker.getNetwork(this.net);
        await run(
          "disconnect",
          all.map((n) => net.disconnect({ Container: n, Force: true })),
        );
        if (stuck.length === 0)
          await run(
            "connect",
            all.map((n, i) =>
              net.connect({
                Container: n,
                EndpointConfig: { Aliases: [`svc${i % 4}`] },
              }),
            ),
          );
        break;
      }
      case "netrm": {
        const removeNet = async () => {
          for (;;) {
            try {
              return await this.docker.getNetwork(this.net).remove();
            } catch (err) {
              // 403 "has active endpoints" until the last container has left.
              if ((err as { statusCode?: number }).statusCode !== 403) throw err;
              await sleep(5);
            }
          }
        };
        await run("rm|network rm", [
          ...all.map((n) => this.c(n).remove({ force: true })),
          removeNet(),
        ]);
        if (stuck.length > 0) break;
        await this.createNetwork();
        await run("create+start", recreate(all));
        break;
      }
    }
    return stuck;
  }
}

/** True when the engine answers `/_ping` but a call that takes libnetwork's locks hangs. */
async function networkLocked(docker: Docker, net: string): Promise<boolean> {
  try {
    await within(docker.ping(), 5_000, "ping");
  } catch {
    return false;
  }
  try {
    await within(docker.getNetwork(net).inspect(), 30_000, "network inspect");
    return false;
  } catch (err) {
    return err instanceof Stall;
  }
}

async function trial(o: Options, n: number): Promise<TrialResult> {
  engineScript(o.engine, "down");
  const socket = engineScript(o.engine, "up").replace(/^unix:\/\//, "");
  const docker = new Docker({ socketPath: socket });
  const t = new Trial(docker, o);
  const t0 = performance.now();
  await t.setUp();
  for (let r = 1; r <= o.rounds; r++) {
    const stuck = await t.round(r);
    if (stuck.length > 0) {
      const locked = await networkLocked(docker, `repro_${o.scenario}`);
      const seconds = (performance.now() - t0) / 1000;
      console.log(
        `  trial ${n}: round ${r}: ${stuck.length} call(s) stuck > ${o.stallMs / 1000}s (${stuck.slice(0, 3).join(", ")}); network inspect ${locked ? "hangs" : "answers"}`,
      );
      const dumpFile = engineScript(o.engine, "dump");
      mkdirSync(o.out, { recursive: true });
      const dump = join(o.out, `${o.engine}-${o.scenario}-trial${n}-round${r}.log`);
      copyFileSync(dumpFile, dump);
      return { rounds: r, hung: locked, seconds, dump, stuck: stuck.join(", ") };
    }
    if (r % 10 === 0) console.log(`  trial ${n}: ${r} rounds, no hang`);
  }
  return { rounds: o.rounds, hung: false, seconds: (performance.now() - t0) / 1000 };
}

interface Goroutine {
  readonly header: string;
  readonly frames: readonly string[];
}

function goroutines(dump: string): Goroutine[] {
  return dump
    .split(/\n\n+/)
    .filter((g) => g.startsWith("goroutine "))
    .map((g) => {
      const [header = "", ...rest] = g.split("\n");
      // Function lines only (the file:line lines below them carry the same information).
      return { header, frames: rest.filter((l) => !l.startsWith("\t")) };
    });
}

/**
 * Reads the lock order straight from a dockerd binary (its dynamic symbol table names Go
 * functions; `nm` and `objdump` from binutils): the calls made by the watch loop's
 * `processEndpointDelete` (controller mutex, then `(*network).ID`, which takes the network
 * mutex, in the unfixed order), by `processEndpointCreate` (fixed earlier: ID first) and by
 * `getSvcRecords` (network mutex, then controller mutex). A binary without the watch loop
 * (26.1 here) cannot have this cycle.
 */
export function inspectBinary(path: string): string {
  const syms = execFileSync("nm", ["-D", "--defined-only", path], {
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  })
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f): f is [string, string, string] => f.length === 3)
    .map(([addr, , name]) => ({ addr: BigInt(`0x${addr}`), name }))
    .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  const lines = [`${path}:`];
  const calls = (suffix: string): string[] | undefined => {
    const i = syms.findIndex((s) => s.name.endsWith(suffix));
    const start = syms[i];
    const end = syms.slice(i + 1).find((s) => s.addr > (start?.addr ?? 0n));
    if (start === undefined || end === undefined) return undefined;
    const asm = execFileSync(
      "objdump",
      [
        "-d",
        "--no-show-raw-insn",
        `--start-address=0x${start.addr.toString(16)}`,
        `--stop-address=0x${end.addr.toString(16)}`,
        path,
      ],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    return [...asm.matchAll(/call\s+\S+\s+<([^>]+)>/g)]
      .map((m) =>
        (m[1] ?? "").replace(/@@Base$/, "").replace(/^github\.com\/docker\/(docker\/)?/, ""),
      )
      .filter((c) => /Mutex\)\.lockSlow|\)\.ID$|\)\.Name$|chansend|getSvcRecords/.test(c));
  };
  for (const fn of [
    "(*controller).processEndpointDelete",
    "(*controller).processEndpointCreate",
    "(*network).getSvcRecords",
    "(*Network).getSvcRecords",
  ]) {
    const seq = calls(`libnetwork.${fn}`);
    if (seq !== undefined) lines.push(`  ${fn}: ${seq.join(" -> ")}`);
  }
  if (!syms.some((s) => s.name.endsWith("processEndpointDelete")))
    lines.push(
      "  no watch loop (processEndpointDelete absent): the controller->network order is gone",
    );
  return lines.join("\n");
}

/**
 * Prints the goroutines of a dump that wait on a mutex inside libnetwork, with the frames
 * that show which lock each holds and which it wants (the deadlock's two lock orders).
 */
export function analyse(file: string): string {
  const waiting = goroutines(readFileSync(file, "utf8")).filter(
    (g) =>
      /semacquire/.test(g.header) &&
      g.frames.some((f) => f.includes("libnetwork")) &&
      g.frames.some((f) => /sync\.\(\*(RW)?Mutex\)\.(R)?Lock/.test(f)),
  );
  const short = (f: string) =>
    f
      .replace(/^github\.com\/docker\/docker\/vendor\//, "")
      .replace(/^github\.com\/docker\/(docker\/)?/, "")
      .replace(/\(0x[0-9a-f, .]*\)$|\(\.\.\.\)$/, "()")
      .replace(/\(0x[^)]*\)$/, "()");
  const lines = [`${waiting.length} goroutine(s) blocked on a mutex inside libnetwork:`];
  const seen = new Map<string, number>();
  for (const g of waiting) {
    const frames = g.frames
      .map(short)
      .filter((f) => !f.startsWith("sync.") && !f.startsWith("runtime."));
    const key = frames.slice(0, 6).join(" <- ");
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const [key, count] of seen) lines.push(`  x${count}: ${key}`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engine: { type: "string", default: "repro-legacy" },
      scenario: { type: "string", default: "stop" },
      containers: { type: "string", default: "16" },
      rounds: { type: "string", default: "40" },
      trials: { type: "string", default: "1" },
      grace: { type: "string", default: "0" },
      stall: { type: "string", default: "30" },
      out: { type: "string", default: ".cache/deadlock" },
      image: { type: "string", default: "stack-test/busybox:latest" },
      hammer: { type: "string", default: "0" },
      dns: { type: "boolean", default: false },
      stress: { type: "boolean", default: false },
      analyse: { type: "string" },
      "inspect-binary": { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  if (values.analyse !== undefined) {
    console.log(analyse(values.analyse));
    return;
  }
  if (values["inspect-binary"] !== undefined) {
    for (const path of values["inspect-binary"].split(",")) console.log(inspectBinary(path));
    return;
  }
  stress = values.stress;
  const scenarios = values.scenario.split(",");
  for (const s of scenarios)
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(", ")}`);
  try {
    for (const scenario of scenarios as Scenario[]) {
      const o: Options = {
        engine: values.engine,
        scenario,
        containers: Number(values.containers),
        rounds: Number(values.rounds),
        trials: Number(values.trials),
        grace: Number(values.grace),
        stallMs: Number(values.stall) * 1000,
        out: values.out,
        image: values.image,
        hammer: Number(values.hammer),
        dns: values.dns,
      };
      console.log(
        `${o.engine} ${scenario}: ${o.containers} containers on one network, ${o.rounds} rounds x ${o.trials} trials`,
      );
      const results: TrialResult[] = [];
      for (let n = 1; n <= o.trials; n++) {
        const r = await trial(o, n);
        results.push(r);
        if (r.dump !== undefined) console.log(analyse(r.dump).replace(/^/gm, "    "));
      }
      const hung = results.filter((r) => r.hung);
      const rounds = results.reduce((s, r) => s + r.rounds, 0);
      console.log(
        `RESULT ${o.engine} ${scenario} containers=${o.containers} grace=${o.grace} hammer=${o.hammer} dns=${o.dns} stress=${stress}: hung in ${hung.length}/${results.length} trials, ${rounds} rounds in all` +
          (hung.length > 0 ? ` (at rounds ${hung.map((r) => r.rounds).join(", ")})` : ""),
      );
    }
  } finally {
    if (!values.keep) engineScript(values.engine, "down");
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
