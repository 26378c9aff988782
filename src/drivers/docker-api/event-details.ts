/**
 * What `stack events` shows of an engine event besides what the watchers need: the engine's
 * time, the object's id and its attributes (labels, image, exit code, signal, ...).
 */
import type { EngineEvent } from "../../core/driver.js";

/** The fields of one `GET /events` message read here (dockerd 20.10 sends `timeNano` and `time`). */
export interface RawEventDetails {
  readonly time?: number;
  readonly timeNano?: number;
  readonly Actor?: {
    readonly ID?: string;
    readonly Attributes?: Readonly<Record<string, string>> | null;
  };
}

/** `event` with the time, id and attributes of `raw`. */
export function withEventDetails(event: EngineEvent, raw: RawEventDetails): EngineEvent {
  const ms =
    raw.timeNano !== undefined
      ? Math.floor(raw.timeNano / 1e6)
      : raw.time !== undefined
        ? raw.time * 1000
        : undefined;
  const attributes = raw.Actor?.Attributes;
  return {
    ...event,
    ...(ms !== undefined && { time: new Date(ms).toISOString() }),
    ...(raw.Actor?.ID !== undefined && { id: raw.Actor.ID }),
    ...(attributes !== undefined && attributes !== null && { attributes: { ...attributes } }),
  };
}
