/**
 * `stack ps` console benchmark (issue: act from the live view).
 *
 * 1. Frame cost, in process: one cursor move (the pure reducer) plus the frame Ink renders
 *    for it (`renderToString`), for stacks of 10 to 1000 replicas on a 40-line terminal;
 *    beside the frame of the whole list that the watch-only view drew (`PsScreen`), which is
 *    what the console would cost without drawing only the rows that fit. Median of 200.
 * 2. Keypress-to-frame, end to end: the built CLI on a pseudo-terminal (`script`), against a
 *    real engine with REPLICAS (default 100) containers deployed: the time from writing `j`
 *    to the terminal until the frame with the cursor on the next replica has been written.
 *    Median and 95th percentile of 40 presses.
 *
 * Run: npm run build && npx tsx bench/ps-console.tsx   (needs a Docker engine, the test
 * images and `script` from util-linux). BENCH_SKIP_ENGINE=1 runs part 1 only.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { render } from "ink-testing-library";
import { deployStack } from "../src/api/deploy.js";
import { removeStack } from "../src/api/remove.js";
import type { ObservedContainer } from "../src/core/replica.js";
import { connectDriver } from "../src/drivers/connect-driver.js";
import { nullSink } from "../src/progress/events.js";
import { ConsoleScreen } from "../src/ui/ConsoleScreen.js";
import { PsScreen } from "../src/ui/PsScreen.js";
import {
  consoleKey,
  initialConsoleState,
  reduceConsole,
  type ConsoleState,
} from "../src/ui/console-model.js";
import { initialPsState, psView } from "../src/ui/ps-view-model.js";

const IMAGE = process.env.BENCH_IMAGE ?? "stack-test/busybox:latest";
const REPLICAS = Number(process.env.REPLICAS ?? 100);
const CLI = resolve("dist/cli/main.js");
const NOW = Date.parse("2026-01-01T00:10:00Z");
const ROWS = 40;
const COLUMNS = 120;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** `count` running replicas spread over four services. */
function replicas(count: number): ObservedContainer[] {
  return Array.from({ length: count }, (_, i) => {
    const service = `svc${i % 4}`;
    const slot = Math.floor(i / 4) + 1;
    return {
      id: `${service}-${slot}`,
      name: `bench_${service}.${slot}`,
      service,
      slot,
      configHash: "h",
      image: IMAGE,
      state: "running",
      createdAt: "2026-01-01T00:00:00Z",
      startedAt: "2026-01-01T00:09:15Z",
      restartCount: 0,
      ports: [],
    };
  });
}

/**
 * Medians over `presses` cursor moves: the reducer alone, and the reducer plus the frame a
 * live Ink instance renders for it (a re-render, as on the terminal); the whole list's
 * re-render (the watch-only screen, every row drawn) beside it.
 */
function frameCost(
  count: number,
  presses: number,
): { reducer: number; console: number; full: number; lines: number } {
  let state: ConsoleState = reduceConsole(
    initialConsoleState(initialPsState("bench"), {
      driver: "docker",
      scalable: true,
      height: ROWS,
    }),
    { type: "ps", action: { type: "observed", replicas: replicas(count), at: NOW } },
  );
  const screen = (s: ConsoleState) => (
    <ConsoleScreen state={s} view={psView(s.ps, NOW)} width={COLUMNS} color={true} stats={false} />
  );
  const whole = (s: ConsoleState) => (
    <PsScreen view={psView(s.ps, NOW)} width={COLUMNS} color={true} stats={false} />
  );
  const consoleInk = render(screen(state));
  const fullInk = render(whole(state));
  const reducerTimes: number[] = [];
  const consoleTimes: number[] = [];
  const fullTimes: number[] = [];
  for (let i = 0; i < presses; i++) {
    const key = { input: i % 100 < 50 ? "j" : "k" };
    const t0 = performance.now();
    state = consoleKey(state, key).state;
    reducerTimes.push(performance.now() - t0);
    consoleInk.rerender(screen(state));
    consoleTimes.push(performance.now() - t0);
    const t1 = performance.now();
    fullInk.rerender(whole(state));
    fullTimes.push(performance.now() - t1);
  }
  const lines = (consoleInk.lastFrame() ?? "").split("\n").length;
  consoleInk.unmount();
  fullInk.unmount();
  return {
    reducer: median(reducerTimes),
    console: median(consoleTimes),
    full: median(fullTimes),
    lines,
  };
}

/** Presses `j` 40 times in the console on a pseudo-terminal; ms from each write to its frame. */
async function keypressLatency(stack: string): Promise<number[]> {
  const inner = `stty rows ${ROWS} cols ${COLUMNS}; exec env -u CI NO_COLOR=1 ${process.execPath} ${CLI} ps ${stack}`;
  const child = spawn("script", ["-qfec", inner, "/dev/null"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  const waiters: { pattern: RegExp; done: () => void }[] = [];
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (out.length > 200_000) out = out.slice(-100_000);
    for (const w of [...waiters])
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
  });
  const until = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((done, fail) => {
      if (pattern.test(out)) return done();
      const timer = setTimeout(
        () => fail(new Error(`no ${pattern} on the terminal; last:\n${out.slice(-2000)}`)),
        timeoutMs,
      );
      waiters.push({
        pattern,
        done: () => {
          clearTimeout(timer);
          done();
        },
      });
    });
  try {
    // Without colour the cursor row is marked with `>`; the first row is the service.
    await until(/> app {2}\d+\/\d+/);
    await until(new RegExp(`app\\.${Math.min(REPLICAS, ROWS - 8)}\\s`));
    const times: number[] = [];
    for (let slot = 1; slot <= 40; slot++) {
      out = "";
      const t0 = performance.now();
      child.stdin.write("j");
      await until(new RegExp(`> app\\.${slot}\\s`));
      times.push(performance.now() - t0);
    }
    child.stdin.write("q");
    return times;
  } finally {
    setTimeout(() => child.kill(), 2000).unref();
  }
}

async function main(): Promise<void> {
  const presses = Number(process.env.PRESSES ?? 100);
  console.log(
    `ps console, cost of one cursor move in process (${ROWS}x${COLUMNS} terminal, median of ${presses})`,
  );
  console.log(
    "  replicas  reducer     reducer + frame (lines)   whole-list frame (watch-only view)",
  );
  for (const count of [10, 100, 400, 1000]) {
    const r = frameCost(count, presses);
    console.log(
      `  ${String(count).padStart(8)}  ${r.reducer.toFixed(2).padStart(6)} ms  ${r.console.toFixed(2).padStart(8)} ms (${r.lines})  ${r.full.toFixed(2).padStart(14)} ms`,
    );
  }
  if (process.env.BENCH_SKIP_ENGINE === "1") return;

  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const name = `benchcons${process.pid}`;
  const file = join(mkdtempSync(join(tmpdir(), "stack-bench-console-")), "stack.yml");
  writeFileSync(
    file,
    [
      "services:",
      "  app:",
      `    image: ${IMAGE}`,
      `    command: ["sleep", "3600"]`,
      "    stop_grace_period: 1s",
      "    deploy:",
      `      replicas: ${REPLICAS}`,
      "",
    ].join("\n"),
  );
  const driver = connectDriver(process.env);
  try {
    const result = await deployStack({
      files: [file],
      envFiles: [],
      cwd: process.cwd(),
      env: {},
      stack: name,
      driver: () => driver,
      sink: nullSink,
      parallel: 8,
    });
    if (!result.ok) throw new Error(`deploy of ${name} failed`);
    const times = await keypressLatency(name);
    console.log(
      `keypress to frame, built CLI on a pty, ${REPLICAS} replicas, 40 presses of j: median ${median(times).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
    );
  } finally {
    await removeStack({ driver, stack: name, volumes: true, sink: nullSink });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
