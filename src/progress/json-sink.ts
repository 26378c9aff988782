import type { ProgressEvent, ProgressSink } from "./events.js";

/**
 * Progress as JSON lines (`--progress json`), one object per event with a `time` field, for
 * tools that follow a deploy. Operations are written whole so consumers need no lookup.
 */
export class JsonSink implements ProgressSink {
  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  emit(event: ProgressEvent): void {
    this.write(`${JSON.stringify({ time: this.now().toISOString(), ...event })}\n`);
  }

  async close(): Promise<void> {}
}
