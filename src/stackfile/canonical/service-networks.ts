import type { DocPath } from "../document.js";
import type { NormaliseContext } from "./normalise-context.js";
import { isObject, str, stringList } from "./values.js";

/** A service's membership of one network before link aliases are folded in. */
export interface ServiceNetworkDraft {
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  /** Where the entry was written (or the service, for the implicit `default`). */
  readonly path: DocPath;
}

/**
 * Normalises a service's `networks:` (a list of keys, or a map of key to `{aliases,
 * ipv4_address, ipv6_address}` or null) in file order. A service with neither `networks:`
 * nor `network_mode:` joins `default`, as in compose. With `network_mode:` the result is
 * empty (the container shares another network stack).
 */
export function normaliseServiceNetworks(
  service: Readonly<Record<string, unknown>>,
  path: DocPath,
  ctx: NormaliseContext,
): Map<string, ServiceNetworkDraft> {
  const out = new Map<string, ServiceNetworkDraft>();
  const value = service["networks"];
  const netPath = [...path, "networks"];
  if (value === undefined || value === null) {
    if (service["network_mode"] === undefined) out.set("default", { aliases: [], path });
    return out;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item !== "string") ctx.error([...netPath, i], "expected a network name");
      else out.set(item, { aliases: [], path: [...netPath, i] });
    });
  } else if (isObject(value)) {
    for (const [key, raw] of Object.entries(value)) {
      const entry = isObject(raw) ? raw : {};
      const ipv4 = str(entry["ipv4_address"]);
      const ipv6 = str(entry["ipv6_address"]);
      out.set(key, {
        aliases: stringList(entry["aliases"]),
        ...(ipv4 !== undefined ? { ipv4Address: ipv4 } : {}),
        ...(ipv6 !== undefined ? { ipv6Address: ipv6 } : {}),
        path: [...netPath, key],
      });
    }
  }
  return out;
}
