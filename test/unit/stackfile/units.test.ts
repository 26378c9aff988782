import { describe, expect, it } from "vitest";
import {
  parseByteSize,
  parseCpus,
  parseDuration,
  parseDurationMs,
} from "../../../src/stackfile/units.js";

describe("parseByteSize", () => {
  it.each([
    ["50M", 52428800],
    ["50m", 52428800],
    ["50mb", 52428800],
    ["50MiB", 52428800],
    ["1.5g", 1610612736],
    ["512k", 524288],
    ["1gb", 1073741824],
    ["1G", 1073741824],
    ["100b", 100],
    ["100", 100],
    ["2 m", 2097152],
    ["1t", 1024 ** 4],
    [1048576, 1048576],
    [0, 0],
  ] as const)("%s -> %d bytes", (input, bytes) => {
    expect(parseByteSize(input)).toEqual({ ok: true, value: bytes });
  });

  it.each(["", "M", "50x", "-1m", "1.2.3m", "fifty"])(
    "rejects %j with a message naming the value",
    (input) => {
      const result = parseByteSize(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(`"${input}"`);
    },
  );
});

describe("parseDuration", () => {
  it.each([
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1h", 3_600_000],
    ["2.5s", 2500],
    ["1h2m3.5s", 3_723_500],
    ["1500us", 2],
    ["0", 0],
    [0, 0],
    ["90s", 90_000],
  ] as const)("%s -> %d ms", (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, value: ms });
  });

  it("rejects a bare number like compose, suggesting the unit", () => {
    const result = parseDuration("30");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain("30s");
    expect(parseDuration(30).ok).toBe(false);
  });

  it.each(["", "10", "1x", "s", "1m 30s", "-5s"])("rejects %j", (input) => {
    expect(parseDuration(input).ok).toBe(false);
  });

  it("parseDurationMs throws on an invalid duration and returns ms otherwise", () => {
    expect(parseDurationMs("5m")).toBe(300_000);
    expect(() => parseDurationMs("5 minutes")).toThrow(/invalid duration/);
  });
});

describe("parseCpus", () => {
  it.each([
    ["0.1", 100_000_000],
    [0.1, 100_000_000],
    ["2", 2_000_000_000],
    [0.5, 500_000_000],
    ["0.333", 333_000_000],
    [1.1, 1_100_000_000],
  ] as const)("%s -> %d nano-CPUs", (input, nano) => {
    expect(parseCpus(input)).toEqual({ ok: true, value: nano });
  });

  it.each(["", "half", "-1", "1,5"])("rejects %j", (input) => {
    expect(parseCpus(input).ok).toBe(false);
  });
});
