import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { InkSink, type InkOutput } from "../../../src/ui/ink-sink.js";
import { net, plan, web1 } from "./fixtures.js";

/** A terminal-like stream that keeps everything written to it. */
function fakeTerminal(columns: number): InkOutput & { text(): string } {
  const chunks: string[] = [];
  const stream = Object.assign(new EventEmitter(), {
    isTTY: true,
    columns,
    rows: 24,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    // eslint-disable-next-line no-control-regex
    text: () => chunks.join("").replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ""),
  });
  return stream as unknown as InkOutput & { text(): string };
}

describe("InkSink", () => {
  it("draws the run on the terminal and leaves the final frame with the summary on close", async () => {
    const terminal = fakeTerminal(60);
    let now = 1000;
    const sink = new InkSink({ stream: terminal, env: { NO_COLOR: "1" }, now: () => now });
    sink.emit({ type: "plan", plan: plan([net, web1]) });
    sink.emit({ type: "op-start", op: net });
    sink.emit({ type: "op-done", op: net, ms: 120 });
    sink.emit({ type: "op-start", op: web1 });
    now = 2500;
    sink.emit({ type: "op-done", op: web1, ms: 1500 });
    sink.emit({ type: "summary", ok: true, done: 2, failed: 0, skipped: 0, ms: 1700 });
    await sink.close();
    const text = terminal.text();
    expect(text).toContain("✔ create network gsl_webnet (0.1s)");
    expect(text).toContain("✔ create container gsl_web.1 (1.5s)");
    expect(text.trimEnd().endsWith("done: 2 operations in 1.7s")).toBe(true);
    // Closing twice is harmless (the CLI closes in a finally block).
    await sink.close();
  });
});
