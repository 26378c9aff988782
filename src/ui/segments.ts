/**
 * Lines as lists of styled segments, clipped to a width before Ink sees them, so a frame is
 * exactly as wide as the terminal allows and never wraps into a mess on narrow screens.
 */
import type { Tone } from "./ps-view-model.js";

/** A run of text with one style. */
export interface Segment {
  readonly text: string;
  readonly tone?: Tone;
  readonly bold?: boolean;
  readonly dim?: boolean;
  /** Swapped foreground and background: the console's cursor row. */
  readonly inverse?: boolean;
}

/** The ellipsis marking clipped text. */
export const ELLIPSIS = "…";

/**
 * `segments` cut to at most `width` characters, the last kept character replaced by
 * {@link ELLIPSIS} when anything was cut; trailing spaces are removed so frames compare well.
 */
export function clipSegments(segments: readonly Segment[], width: number): Segment[] {
  const total = segments.reduce((n, s) => n + s.text.length, 0);
  const out: Segment[] = [];
  if (total <= width) {
    out.push(...segments);
  } else {
    let room = Math.max(0, width - 1);
    for (const s of segments) {
      if (room <= 0) break;
      const text = s.text.slice(0, room);
      room -= text.length;
      out.push({ ...s, text });
    }
    // No blank before the ellipsis: "out of…", not "out of …".
    while (out.length > 0 && out[out.length - 1]!.text.trimEnd() === "") out.pop();
    const last = out.pop();
    if (last !== undefined) out.push({ ...last, text: last.text.trimEnd() });
    out.push({ text: ELLIPSIS });
  }
  // Trim trailing blanks across segment boundaries.
  while (out.length > 0) {
    const last = out[out.length - 1]!;
    const trimmed = last.text.replace(/\s+$/, "");
    if (trimmed === "") {
      out.pop();
      continue;
    }
    out[out.length - 1] = { ...last, text: trimmed };
    break;
  }
  return out;
}

/** `text` shortened to `width` with an ellipsis, or padded with spaces to `width`. */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length > width) return width === 1 ? ELLIPSIS : `${text.slice(0, width - 1)}${ELLIPSIS}`;
  return text.padEnd(width);
}
