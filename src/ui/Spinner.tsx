import { Text } from "ink";
import { useEffect, useState } from "react";

/** Braille frames, as most terminal spinners use; ASCII fallback when colour is off. */
export const SPINNER_FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const;

/** Props of {@link Spinner}. */
export interface SpinnerProps {
  /** ms per frame; 0 keeps the first frame (tests, CI). */
  readonly intervalMs?: number;
  readonly color: boolean;
}

/**
 * A one-character spinner advancing every `intervalMs`. Its animation is local state only
 * (a timer), never data from the engine, so it does not break the props -> frame rule.
 */
export function Spinner({ intervalMs = 80, color }: SpinnerProps) {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    if (intervalMs <= 0) return undefined;
    const timer = setInterval(() => setFrame((f) => (f + 1) % SPINNER_FRAMES.length), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  const glyph = SPINNER_FRAMES[frame] ?? SPINNER_FRAMES[0];
  return color ? <Text color="cyan">{glyph}</Text> : <Text>{glyph}</Text>;
}
