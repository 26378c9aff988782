import type { ProgressEvent, ProgressSink } from "./events.js";

/** Formats milliseconds as `0.4s` / `12.0s` for progress lines. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Human-readable progress as one line per event, for logs and terminals without the Ink UI.
 * Pull progress is throttled to one line per image per status change so CI logs stay short.
 * Build output is printed line by line under a `build` label (a log is where a failed
 * step's output is read afterwards), a line repeated at once only once. A lifecycle hook's
 * output is printed as compose prints it, `CONTAINER -> LINE`.
 */
export class PlainSink implements ProgressSink {
  private readonly lastPull = new Map<string, string>();
  private readonly lastBuild = new Map<string, string>();

  constructor(private readonly write: (line: string) => void) {}

  emit(event: ProgressEvent): void {
    const line = this.format(event);
    if (line !== undefined) this.write(`${line}\n`);
  }

  async close(): Promise<void> {}

  private format(event: ProgressEvent): string | undefined {
    switch (event.type) {
      case "info":
        return event.message;
      case "warning":
        return `warning: ${event.message}`;
      case "error": {
        const logs = event.logs?.length
          ? `\n${event.logs.map((l) => `    | ${l}`).join("\n")}`
          : "";
        return `error: ${event.message}${logs}`;
      }
      case "plan": {
        const n = event.plan.operations.length;
        return n === 0
          ? `stack ${event.plan.stack} is up to date`
          : `stack ${event.plan.stack}: ${n} operation${n === 1 ? "" : "s"} to apply`;
      }
      case "op-start":
        return undefined;
      case "op-done":
        return `  done    ${event.op.text} (${seconds(event.ms)})`;
      case "op-failed": {
        const head = `  FAILED  ${event.op.text}: ${event.error}`;
        const logs = event.logs?.length
          ? `\n${event.logs.map((l) => `    | ${l}`).join("\n")}`
          : "";
        return head + logs;
      }
      case "op-skipped":
        return `  skipped ${event.op.text}: ${event.reason}`;
      case "pull-progress": {
        if (this.lastPull.get(event.image) === event.status) return undefined;
        this.lastPull.set(event.image, event.status);
        return `  pull    ${event.image}: ${event.status}`;
      }
      case "build-progress": {
        if (this.lastBuild.get(event.image) === event.line) return undefined;
        this.lastBuild.set(event.image, event.line);
        return `  build   ${event.image}: ${event.line}`;
      }
      case "hook-output":
        // As compose prints a hook's output: the container's name, an arrow, the line.
        return `${event.container} -> ${event.line}`;
      case "waiting":
        return `  waiting for ${event.target} ${event.what}`;
      case "result":
        // Failures were said already, as errors; readiness is worth one line.
        return event.status === "ready" ? `stack ${event.stack} is ready` : undefined;
      case "summary":
        return event.ok
          ? `done: ${event.done} operations in ${seconds(event.ms)}`
          : `failed: ${event.failed} failed, ${event.skipped} skipped, ${event.done} done in ${seconds(event.ms)}`;
    }
  }
}
