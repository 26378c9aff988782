import { JsonSink } from "../progress/json-sink.js";
import { PlainSink } from "../progress/plain-sink.js";
import { nullSink, type ProgressSink } from "../progress/events.js";
import { InkSink } from "../ui/ink-sink.js";
import { isInteractive } from "../ui/terminal.js";

export type ProgressMode = "auto" | "tty" | "plain" | "json" | "quiet";

/**
 * Picks the progress sink at the CLI edge: `tty` is the Ink terminal UI on stderr, `auto`
 * picks it only when stderr is a terminal (and TERM is not `dumb`), else plain lines. Plain
 * lines go to stderr so stdout stays for results (`--dry-run` plans, tables); JSON lines go
 * to stdout for tools to read.
 */
export function createSink(
  mode: ProgressMode,
  stderr: NodeJS.WriteStream = process.stderr,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProgressSink {
  switch (mode) {
    case "json":
      return new JsonSink((s) => process.stdout.write(s));
    case "quiet":
      return nullSink;
    case "tty":
      return new InkSink({ stream: stderr, env });
    case "auto":
      return isInteractive(stderr, env)
        ? new InkSink({ stream: stderr, env })
        : new PlainSink((s) => stderr.write(s));
    case "plain":
      return new PlainSink((s) => stderr.write(s));
  }
}
