import { Text } from "ink";
import type { Tone } from "./ps-view-model.js";
import { clipSegments, type Segment } from "./segments.js";

/** Colour names Ink understands, by tone; neutral text keeps the terminal's colour. */
const TONE_COLOR: Readonly<Record<Tone, string | undefined>> = {
  good: "green",
  warn: "yellow",
  bad: "red",
  neutral: undefined,
};

/** Props of {@link Line}. */
export interface LineProps {
  readonly segments: readonly Segment[];
  readonly width: number;
  /** False drops every colour and style (NO_COLOR, pipes). */
  readonly color: boolean;
}

/**
 * One terminal line: `segments` clipped to `width`, styled by tone only when `color` allows,
 * so NO_COLOR output carries no escape codes at all. An empty line renders as one space so
 * Ink keeps it.
 */
export function Line({ segments, width, color }: LineProps) {
  const clipped = clipSegments(segments, width);
  if (clipped.length === 0) return <Text> </Text>;
  if (!color) return <Text wrap="truncate-end">{clipped.map((s) => s.text).join("")}</Text>;
  return (
    <Text wrap="truncate-end">
      {clipped.map((s, i) => {
        const tone = s.tone === undefined ? undefined : TONE_COLOR[s.tone];
        return (
          <Text
            key={i}
            {...(tone !== undefined && { color: tone })}
            {...(s.bold === true && { bold: true })}
            {...(s.dim === true && { dimColor: true })}
            {...(s.inverse === true && { inverse: true })}
          >
            {s.text}
          </Text>
        );
      })}
    </Text>
  );
}
