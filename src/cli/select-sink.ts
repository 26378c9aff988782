import { JsonSink } from "../progress/json-sink.js";
import { PlainSink } from "../progress/plain-sink.js";
import { nullSink, type ProgressSink } from "../progress/events.js";
import { isInteractive } from "../ui/terminal.js";

export type ProgressMode = "auto" | "tty" | "plain" | "json" | "quiet";

/**
 * Picks the progress sink at the CLI edge: `tty` is the Ink terminal UI on stderr, `auto`
 * picks it only when stderr is a terminal (and TERM is not `dumb`), else plain lines. Plain
 * lines go to stderr so stdout stays for results (`--dry-run` plans, tables); JSON lines go
 * to stdout for tools to read. Ink (and React) are imported only when the terminal UI is
 * picked: plain and JSON runs never load them.
 */
export async function createSink(
  mode: ProgressMode,
  stderr: NodeJS.WriteStream = process.stderr,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ProgressSink> {
  const inkSink = async () => {
    const { InkSink } = await import("../ui/ink-sink.js");
    return new InkSink({ stream: stderr, env });
  };
  switch (mode) {
    case "json":
      return new JsonSink((s) => process.stdout.write(s));
    case "quiet":
      return nullSink;
    case "tty":
      return inkSink();
    case "auto":
      return isInteractive(stderr, env) ? inkSink() : new PlainSink((s) => stderr.write(s));
    case "plain":
      return new PlainSink((s) => stderr.write(s));
  }
}
