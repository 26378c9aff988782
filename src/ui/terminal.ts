/**
 * Terminal facts the UI needs, decided once at the CLI edge: whether to run the live Ink
 * UI, how wide to lay out, and whether to colour. Kept apart from Ink so the decisions are
 * testable with plain objects.
 */

/** The parts of a stream these decisions read (process.stdout / process.stderr fit). */
export interface TerminalStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Environment variables these decisions read. */
export type TerminalEnv = Readonly<Record<string, string | undefined>>;

/** Layout width when the stream does not report one (pipes, some CI terminals). */
export const DEFAULT_WIDTH = 80;
/** Narrower than this, columns would overlap; the layout clips instead of shrinking further. */
export const MIN_WIDTH = 40;

/**
 * The width to lay out for: the stream's column count when it reports one, else
 * {@link DEFAULT_WIDTH}; never less than {@link MIN_WIDTH}.
 */
export function terminalWidth(stream: TerminalStream): number {
  const columns = stream.columns;
  if (columns === undefined || !Number.isFinite(columns) || columns <= 0) return DEFAULT_WIDTH;
  return Math.max(MIN_WIDTH, Math.floor(columns));
}

/**
 * True when output on `stream` may carry colour: `NO_COLOR` (any non-empty value, see
 * no-color.org) turns it off, `FORCE_COLOR` (any value but `0`/`false`) turns it on, and
 * otherwise colour follows whether the stream is a terminal. NO_COLOR wins over FORCE_COLOR
 * because it is the user's own opt-out.
 */
export function colorEnabled(stream: TerminalStream, env: TerminalEnv): boolean {
  const noColor = env["NO_COLOR"];
  if (noColor !== undefined && noColor !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  return stream.isTTY === true && env["TERM"] !== "dumb";
}

/**
 * True when a live, redrawing UI makes sense on `stream`: it is a terminal that can move the
 * cursor (`TERM` is not `dumb`). Scripts, pipes and CI logs get printed output instead.
 */
export function isInteractive(stream: TerminalStream, env: TerminalEnv): boolean {
  return stream.isTTY === true && env["TERM"] !== "dumb";
}
