import type { ProgressEvent, ProgressSink } from "../progress/events.js";

/**
 * A sink that prints nothing and hands every event to `onEvent` (library calls are quiet
 * unless given a sink).
 */
export function quietSink(onEvent?: (event: ProgressEvent) => void): ProgressSink {
  return {
    emit: (event) => onEvent?.(event),
    close: () => Promise.resolve(),
  };
}
