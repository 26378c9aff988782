import type { DocPath } from "../document.js";
import type { NormaliseContext } from "./normalise-context.js";

/** One `links:` entry: the linked service and the DNS name it is reached by. */
export interface LinkDraft {
  readonly service: string;
  readonly alias: string;
  readonly path: DocPath;
}

/**
 * Normalises `links:` entries `svc` and `svc:alias` (alias defaults to the service name).
 * How an alias becomes resolvable is decided by the normaliser (see normaliseDocument).
 */
export function normaliseLinks(value: unknown, path: DocPath, ctx: NormaliseContext): LinkDraft[] {
  if (!Array.isArray(value)) return [];
  const out: LinkDraft[] = [];
  value.forEach((item, i) => {
    const at = [...path, i];
    if (typeof item !== "string") {
      ctx.error(at, "expected `service` or `service:alias`");
      return;
    }
    const parts = item.split(":");
    const service = parts[0] ?? "";
    const alias = parts.length > 1 ? (parts[1] ?? "") : service;
    if (parts.length > 2 || service === "" || alias === "") {
      ctx.error(at, `invalid link "${item}": expected service or service:alias`);
      return;
    }
    out.push({ service, alias, path: at });
  });
  return out;
}
