import type { ProgressEvent, ProgressSink } from "./events.js";

/** Formats milliseconds as `0.4s` / `12.0s` for progress lines. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Formats bytes as `3.0MB` (decimal, as the engine's own progress shows sizes). */
function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)}MB`;
}

/**
 * Human-readable progress as one line per event, for logs and terminals without the Ink UI.
 * Pull and push progress is one line per layer per status change (and one per image-level
 * status), so CI logs stay short.
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
      case "pull-progress":
      case "push-progress": {
        // One line per layer and status (`Downloading` 40 times is one line), and one per
        // image-level status; the image's layer summary changes too often to print.
        const label = event.type === "pull-progress" ? "pull" : "push";
        const layer = event.layer;
        const key = `${label} ${event.image} ${layer?.id ?? ""}`;
        const status = layer?.status ?? event.status;
        if (this.lastPull.get(key) === status) return undefined;
        this.lastPull.set(key, status);
        const size =
          layer?.totalBytes !== undefined &&
          layer.status !== "Downloading" &&
          layer.status !== "Pushing"
            ? ""
            : layer?.totalBytes !== undefined
              ? ` (${megabytes(layer.totalBytes)})`
              : "";
        return layer === undefined
          ? `  ${label}    ${event.image}: ${event.status}`
          : `  ${label}    ${event.image}: layer ${layer.id}: ${layer.status}${size}`;
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
