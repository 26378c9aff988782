import type { DocPath } from "../document.js";
import type { HealthcheckSpec } from "../../model/types.js";
import { parseDuration } from "../units.js";
import type { NormaliseContext } from "./normalise-context.js";
import { bool, int, isObject } from "./values.js";

const TEST_KINDS = new Set(["CMD", "CMD-SHELL", "NONE"]);

/**
 * Normalises `healthcheck:`. `test` as a string becomes `["CMD-SHELL", s]`; a list must start
 * with `CMD`, `CMD-SHELL` or `NONE`. `disable: true` and `test: ["NONE"]` both become
 * `{disable: true}` so the two spellings hash the same. A healthcheck with timings but no
 * `test` keeps `test: []`, which tells the engine to use the image's own test with these
 * timings. Durations are converted to milliseconds.
 */
export function normaliseHealthcheck(
  value: unknown,
  path: DocPath,
  ctx: NormaliseContext,
): HealthcheckSpec | { readonly disable: true } | undefined {
  if (!isObject(value)) return undefined;
  if (bool(value["disable"]) === true) return { disable: true };
  const rawTest = value["test"];
  let test: string[] = [];
  if (typeof rawTest === "string") test = ["CMD-SHELL", rawTest];
  else if (Array.isArray(rawTest)) {
    test = rawTest.map((t) => String(t));
    const kind = test[0];
    if (kind === undefined || !TEST_KINDS.has(kind)) {
      ctx.error(
        [...path, "test"],
        `a healthcheck test list must start with CMD, CMD-SHELL or NONE (got ${JSON.stringify(kind ?? "")})`,
      );
      return undefined;
    }
    if (kind === "NONE") return { disable: true };
    if (test.length < 2) {
      ctx.error([...path, "test"], `a ${kind} healthcheck test needs a command`);
      return undefined;
    }
  }
  const duration = (key: string): number | undefined => {
    const v = value[key];
    return typeof v === "string" || typeof v === "number"
      ? ctx.unit(parseDuration(v), [...path, key])
      : undefined;
  };
  const intervalMs = duration("interval");
  const timeoutMs = duration("timeout");
  const startPeriodMs = duration("start_period");
  const startIntervalMs = duration("start_interval");
  const retries = int(value["retries"]);
  return {
    test,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(retries !== undefined ? { retries } : {}),
    ...(startPeriodMs !== undefined ? { startPeriodMs } : {}),
    ...(startIntervalMs !== undefined ? { startIntervalMs } : {}),
  };
}
