/**
 * Unit parsers for the compose values that carry units: byte sizes, durations and CPUs.
 *
 * Each parser returns a `UnitResult`: the number in the spec's fixed unit (bytes, ms,
 * nano-CPUs) or an error message for the caller to locate. They never throw, so a
 * normaliser can report every bad value in a file at once.
 */

/** The result of parsing a unit value: the number, or a message saying what is wrong. */
export type UnitResult =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly message: string };

function ok(value: number): UnitResult {
  return { ok: true, value };
}

function fail(message: string): UnitResult {
  return { ok: false, message };
}

const BYTE_MULTIPLIERS: Readonly<Record<string, number>> = {
  "": 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

// go-units RAMInBytes, which compose uses for mem_limit, memory, shm_size and tmpfs sizes:
// `50M`, `50m`, `50mb`, `50MiB`, `1.5g`, `512 k` are all binary (1024-based) units.
const BYTE_PATTERN = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;

/**
 * Parses a byte size as compose does (binary units: `50M` = 52428800, `1gb` = 1073741824);
 * a number is a count of bytes. Fractions are truncated to whole bytes like go-units.
 */
export function parseByteSize(value: string | number): UnitResult {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0)
      return fail(`invalid size ${value}: must be a non-negative number of bytes`);
    return ok(Math.trunc(value));
  }
  const m = BYTE_PATTERN.exec(value.trim());
  if (!m)
    return fail(
      `invalid size "${value}": expected a number with an optional unit b, k, m, g, t or p (e.g. 50M)`,
    );
  const amount = Number(m[1]);
  const multiplier = BYTE_MULTIPLIERS[(m[2] ?? "").toLowerCase()] ?? 1;
  return ok(Math.trunc(amount * multiplier));
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go-style duration (`1m30s`, `500ms`, `1h`, `2.5s`, `1h2m3.5s`) to milliseconds,
 * rounded to the nearest millisecond. Like compose (which calls Go's `time.ParseDuration`),
 * a bare number is rejected unless it is 0: `interval: 30` is ambiguous, so the message asks
 * for a unit instead of guessing seconds.
 */
export function parseDuration(value: string | number): UnitResult {
  const text = typeof value === "number" ? String(value) : value.trim();
  if (text === "0") return ok(0);
  if (text === "") return fail(`invalid duration "": expected e.g. 10s, 1m30s or 500ms`);
  let total = 0;
  DURATION_PART.lastIndex = 0;
  let index = 0;
  while (index < text.length) {
    DURATION_PART.lastIndex = index;
    const m = DURATION_PART.exec(text);
    if (!m || m.index !== index) {
      const hint = /^\d+(\.\d+)?$/.test(text) ? ` (missing unit: write ${text}s for seconds)` : "";
      return fail(`invalid duration "${text}"${hint}: expected e.g. 10s, 1m30s or 500ms`);
    }
    total += Number(m[1]) * (DURATION_UNITS_MS[m[2] ?? ""] ?? 0);
    index = DURATION_PART.lastIndex;
  }
  return ok(Math.round(total));
}

/**
 * Parses a CPU count (`"0.1"`, `0.5`, `2`) to nano-CPUs (`0.1` -> 100000000), rounded to
 * the nearest integer so float noise (`0.1 * 1e9`) never leaks into a config hash.
 */
export function parseCpus(value: string | number): UnitResult {
  const n =
    typeof value === "number"
      ? value
      : /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isFinite(n) || n < 0)
    return fail(
      `invalid cpus ${JSON.stringify(value)}: expected a non-negative number such as 0.5`,
    );
  return ok(Math.round(n * 1e9));
}

/**
 * Parses a duration to milliseconds like parseDuration, throwing an Error with the message
 * when it is invalid (for command-line flags such as `--timeout 90s`).
 */
export function parseDurationMs(value: string | number): number {
  const result = parseDuration(value);
  if (!result.ok) throw new Error(result.message);
  return result.value;
}
