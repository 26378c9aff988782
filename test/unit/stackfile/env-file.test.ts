import { describe, expect, it } from "vitest";
import { parseEnvFile } from "../../../src/stackfile/env-file.js";
import { SpecError } from "../../../src/stackfile/errors.js";

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).message;
  }
  throw new Error("expected a SpecError");
}

describe("parseEnvFile", () => {
  it.each([
    ["KEY=VAL", { KEY: "VAL" }],
    ["export KEY=VAL", { KEY: "VAL" }],
    ["  export   KEY = VAL  ", { KEY: "VAL" }],
    ["KEY: VAL", { KEY: "VAL" }],
    ["KEY=", { KEY: "" }],
    ["KEY=a=b=c", { KEY: "a=b=c" }],
    ["KEY=value # comment", { KEY: "value" }],
    ["KEY=value\t# comment", { KEY: "value" }],
    ["KEY=value#not-a-comment", { KEY: "value#not-a-comment" }],
    ["KEY=#starts-with-hash", { KEY: "#starts-with-hash" }],
    ["KEY=with spaces inside  ", { KEY: "with spaces inside" }],
    ["KEY='single $FOO \\n kept'", { KEY: "single $FOO \\n kept" }],
    ["KEY='it\\'s'", { KEY: "it's" }],
    ["KEY='a # b' # comment", { KEY: "a # b" }],
    ['KEY="line1\\nline2"', { KEY: "line1\nline2" }],
    ['KEY="tab\\there"', { KEY: "tab\there" }],
    ['KEY="say \\"hi\\""', { KEY: 'say "hi"' }],
    ['KEY="back\\\\slash"', { KEY: "back\\slash" }],
    ['KEY="keep \\q"', { KEY: "keep \\q" }],
    ['KEY="dollar \\$FOO"', { KEY: "dollar $FOO" }],
    ['KEY="multi\nline"\nNEXT=1', { KEY: "multi\nline", NEXT: "1" }],
    ['KEY="a" # comment', { KEY: "a" }],
    ['KEY=""', { KEY: "" }],
    ["# comment\n\n   \nA=1\n# another\nB=2\n", { A: "1", B: "2" }],
    ["A=1\r\nB=2\r\n", { A: "1", B: "2" }],
    ["\ufeffA=1", { A: "1" }],
    ["A=1\nA=2", { A: "2" }],
    ["my.key-1[0]=x", { "my.key-1[0]": "x" }],
    ["__proto__=x", { ["__proto__"]: "x" }],
  ])("%j", (text, expected) => {
    const parsed = parseEnvFile(text, ".env");
    expect(parsed).toEqual(expected);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it("interpolates earlier values and the lookup, but not in single quotes", () => {
    const text = [
      "A=one",
      "B=${A}-two",
      'C="$A ${MISSING:-dflt}"',
      "D='${A}'",
      "E=${FROM_ENV}",
      "F=$${A}",
      "G=${A:+set}",
    ].join("\n");
    expect(parseEnvFile(text, ".env", (n) => (n === "FROM_ENV" ? "env" : undefined))).toEqual({
      A: "one",
      B: "one-two",
      C: "one dflt",
      D: "${A}",
      E: "env",
      F: "${A}",
      G: "set",
    });
  });

  it("prefers this file's earlier value over the lookup when interpolating", () => {
    expect(parseEnvFile("A=file\nB=$A", ".env", () => "outer")).toEqual({ A: "file", B: "file" });
  });

  it("takes a bare KEY from the lookup and skips it when the lookup has none", () => {
    const lookup = (n: string): string | undefined => (n === "HOME_DIR" ? "/home/u" : undefined);
    expect(parseEnvFile("HOME_DIR\nNOT_THERE\nX=1", ".env", lookup)).toEqual({
      HOME_DIR: "/home/u",
      X: "1",
    });
    expect(parseEnvFile("ONLY", ".env")).toEqual({});
  });

  it("unset variables become empty strings", () => {
    expect(parseEnvFile("A=x${NOPE}y", ".env")).toEqual({ A: "xy" });
  });

  it("reports every bad line with file:line:col", () => {
    const text = [
      "GOOD=1", // 1
      "BAD KEY=1", // 2
      "=novalue", // 3
      'Q="abc" trailing', // 4
      "R=${REQ:?set REQ}", // 5
      "S=${", // 6
      "T=ok", // 7
      'U="never closed', // 8
      "V=1",
    ].join("\n");
    expect(errorOf(() => parseEnvFile(text, "config/.env"))).toBe(
      [
        'config/.env:2:5 BAD unexpected character "K" in variable name "BAD"',
        'config/.env:3:1 missing variable name before "="',
        "config/.env:4:9 Q unexpected text after the closing quote (quote the whole value)",
        "config/.env:5:3 R required variable REQ is missing a value: set REQ",
        'config/.env:6:3 S invalid interpolation "${": missing the closing "}"',
        "config/.env:8:3 U unterminated double-quoted value",
      ].join("\n"),
    );
  });

  it("reports an unterminated single quote", () => {
    expect(errorOf(() => parseEnvFile("A='x\nB=2\n", ".env"))).toBe(
      ".env:1:3 A unterminated single-quoted value",
    );
  });
});
