/**
 * Engine event stream -> stack events. Checked on dockerd 20.10: container events carry the
 * container's labels in Actor.Attributes (so `stack.name` identifies the stack), but network
 * and volume events carry no labels: network events have `name` (and `container` on
 * connect/disconnect), volume events only the volume name as Actor.ID. A `label=` filter on
 * the engine side would therefore drop every network and volume event; the driver asks for
 * container, network and volume events and filters here. Networks and volumes are matched
 * by the `<stack>_` name prefix, so one with a custom `name:` is missed; events are only a
 * trigger to re-observe, so a missed one delays nothing that the next observation misses.
 * Killing a container yields `kill` then `die` (attribute exitCode), then `stop` if stopped.
 * Podman 4.3 differs: volume events have an empty Actor.ID and the name in
 * Actor.Attributes.name; networks send no create/remove events (connect/disconnect only,
 * naming the network); a restart by the engine's own policy comes as `restart`.
 */
import { LABELS } from "./labels.js";
import type { EngineEvent } from "../../core/driver.js";

/** The fields of one `GET /events` message this driver reads. */
export interface RawEngineEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly Actor?: {
    readonly ID?: string;
    readonly Attributes?: Readonly<Record<string, string>> | null;
  };
}

/**
 * The stack event for `raw`, or undefined when it concerns another stack (or another kind
 * of object). Exec events (`exec_start: sh -c ...`) are reduced to their action word.
 */
export function toStackEvent(raw: RawEngineEvent, stack: string): EngineEvent | undefined {
  const attributes = raw.Actor?.Attributes ?? {};
  const action = (raw.Action ?? "").split(":")[0]?.trim() ?? "";
  const prefix = `${stack}_`;
  switch (raw.Type) {
    case "container": {
      if (attributes[LABELS.stack] !== stack) return undefined;
      const event: { type: "container"; action: string; name?: string; service?: string } = {
        type: "container",
        action,
      };
      const name = attributes["name"];
      const service = attributes[LABELS.service];
      if (name !== undefined) event.name = name;
      if (service !== undefined) event.service = service;
      return event;
    }
    case "network": {
      const name = attributes["name"];
      if (name === undefined || !name.startsWith(prefix)) return undefined;
      return { type: "network", action, name };
    }
    case "volume": {
      const id = raw.Actor?.ID;
      const name = id !== undefined && id !== "" ? id : attributes["name"];
      if (name === undefined || !name.startsWith(prefix)) return undefined;
      return { type: "volume", action, name };
    }
    default:
      return undefined;
  }
}

/**
 * Parses a stream of newline-delimited JSON objects (the engine's event stream), tolerant of
 * objects split across chunks; a line that is not JSON is skipped.
 */
export async function* parseJsonLines(
  chunks: AsyncIterable<Buffer | string>,
): AsyncGenerator<unknown> {
  let pending = "";
  for await (const chunk of chunks) {
    pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line === "") continue;
      try {
        yield JSON.parse(line) as unknown;
      } catch {
        // a malformed line is not worth ending the stream over: events only trigger observations
      }
    }
  }
}
