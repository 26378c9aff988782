import type { DocPath } from "../document.js";
import type { NormaliseContext } from "./normalise-context.js";

/** A plain JSON object (mapping) as produced by the YAML loader. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Narrows a JSON value to a mapping (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value as a mapping, or an empty one when absent/null (compose allows `webnet:` with no body). */
export function objectOrEmpty(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

/** The value when it is a string; undefined otherwise. */
export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

const TRUE_STRINGS = new Set(["y", "yes", "true", "on"]);
const FALSE_STRINGS = new Set(["n", "no", "false", "off"]);

/**
 * The value as a boolean. Interpolation leaves strings (`read_only: ${RO:-true}`), so the
 * strings compose casts are accepted too (y/yes/true/on, n/no/false/off, any case).
 */
export function bool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (TRUE_STRINGS.has(v)) return true;
    if (FALSE_STRINGS.has(v)) return false;
  }
  return undefined;
}

/** The value when it is a finite number, or a string holding an integer; undefined otherwise. */
export function int(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** The value as an array; a single scalar becomes a one-element array (compose's string_or_list). */
export function listOf(value: unknown): readonly unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A string list (`dns`, `cap_add`, ...) with non-strings stringified as compose does. */
export function stringList(value: unknown): string[] {
  return listOf(value).map((v) => scalarToString(v) ?? "");
}

/**
 * Stringifies a scalar the way compose does for environment values and labels: numbers as
 * written (`1` -> "1"), booleans as `true`/`false`. null and non-scalars give undefined.
 */
export function scalarToString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** A record with keys in sorted (code unit) order, so JSON of a spec is canonical. */
export function sortedRecord<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const list = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, T> = {};
  for (const [k, v] of list) out[k] = v;
  return out;
}

/** How a bare `KEY` (no `=`) in a list, or `KEY: null` in a map, is treated. */
export type BareKeyMode = "empty" | "null" | "drop";

/**
 * Reads compose's list_or_dict (`["A=1", "B"]` or `{A: 1, B: null}`) into entries in file
 * order. A bare key becomes "" (`empty`, labels), null (`null`, environment) or is left
 * out (`drop`). Keys may contain dots (`discovery.type=single-node`); the value is
 * everything after the first `=`.
 */
export function listOrDict(
  value: unknown,
  path: DocPath,
  ctx: NormaliseContext,
  bare: BareKeyMode,
): [string, string | null][] {
  const out: [string, string | null][] = [];
  const bareValue = (): string | null | undefined =>
    bare === "empty" ? "" : bare === "null" ? null : undefined;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const text = scalarToString(item);
      if (text === undefined) {
        ctx.error([...path, i], "expected a KEY=VALUE string");
        return;
      }
      const eq = text.indexOf("=");
      if (eq === 0) {
        ctx.error([...path, i], `"${text}" has an empty name before "="`);
        return;
      }
      if (eq < 0) {
        const v = bareValue();
        if (v !== undefined) out.push([text, v]);
      } else out.push([text.slice(0, eq), text.slice(eq + 1)]);
    });
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) {
        const b = bareValue();
        if (b !== undefined) out.push([k, b]);
        continue;
      }
      const text = scalarToString(v);
      if (text === undefined) ctx.error([...path, k], "expected a string, number or boolean");
      else out.push([k, text]);
    }
  }
  return out;
}

/** list_or_dict as a sorted string record; bare keys become "" (labels, driver options). */
export function stringRecord(
  value: unknown,
  path: DocPath,
  ctx: NormaliseContext,
): Record<string, string> {
  return sortedRecord(listOrDict(value, path, ctx, "empty").map(([k, v]) => [k, v ?? ""] as const));
}

/** Recursively freezes a plain data tree, so a spec is read-only at run time too. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Parses an octal file mode given as a number (already decimal) or an octal string (`"0440"`). */
export function fileMode(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^(0o?)?[0-7]+$/i.test(value.trim()))
    return parseInt(value.trim().replace(/^0o/i, ""), 8);
  return undefined;
}
