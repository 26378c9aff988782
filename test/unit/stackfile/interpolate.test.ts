import { describe, expect, it } from "vitest";
import { interpolate, interpolateTree } from "../../../src/stackfile/interpolate.js";
import { parseYamlSource, toPlainValue } from "../../../src/stackfile/yaml-source.js";
import type { SpecIssue } from "../../../src/model/types.js";

const ENV: Record<string, string> = { FOO: "first", EMPTY: "", B: "bee", PORT: "8080" };
const lookup = (name: string): string | undefined => ENV[name];

type Row = readonly [template: string, expected: string, unset?: readonly string[]];

// Each row: template, result with ENV (FOO=first, EMPTY="", B=bee, PORT=8080, UNSET unset).
const OK_ROWS: readonly Row[] = [
  ["plain text", "plain text"],
  ["$FOO", "first"],
  ["${FOO}", "first"],
  ["a-$FOO-b", "a-first-b"],
  ["$FOO-bar", "first-bar"],
  ["${FOO}bar", "firstbar"],
  ["$UNSET", "", ["UNSET"]],
  ["x${UNSET}y", "xy", ["UNSET"]],
  ["${EMPTY}", ""],
  ["$$", "$"],
  ["$${FOO}", "${FOO}"],
  ["$$FOO", "$FOO"],
  ["cost: $$5", "cost: $5"],
  ["${FOO:-def}", "first"],
  ["${UNSET:-def}", "def"],
  ["${EMPTY:-def}", "def"],
  ["${FOO-def}", "first"],
  ["${UNSET-def}", "def"],
  ["${EMPTY-def}", ""],
  ["${UNSET:-}", ""],
  ["${UNSET:-/non:-alphanumeric}", "/non:-alphanumeric"],
  ["${UNSET:-a b c}", "a b c"],
  ["${FOO:?err}", "first"],
  ["${FOO?err}", "first"],
  ["${EMPTY?err}", ""],
  ["${FOO:+alt}", "alt"],
  ["${EMPTY:+alt}", ""],
  ["${UNSET:+alt}", ""],
  ["${FOO+alt}", "alt"],
  ["${EMPTY+alt}", "alt"],
  ["${UNSET+alt}", ""],
  ["${UNSET:-${B:-x}}", "bee"],
  ["${UNSET:-${UNSET2:-x}}", "x"],
  ["${UNSET-$FOO}", "first"],
  ["${UNSET-${FOO} ${FOO}}", "first first"],
  ["${FOO:+[${B}]}", "[bee]"],
  ["${UNSET:-$${B}}", "${B}"],
  ["${UNSET-myerror?msg}", "myerror?msg"],
  ["${FOO?bar-baz}", "first"],
  // The word after an operator is only expanded when used, so nothing in it is required.
  ["${FOO:-${UNSET:?never evaluated}}", "first"],
  ["${FOO:-$NOPE}", "first"],
  ["127.0.0.1:${PORT}:80", "127.0.0.1:8080:80"],
  ["${_under_score:-u}", "u"],
];

const ERROR_ROWS: readonly (readonly [template: string, error: string])[] = [
  [
    "${UNSET:?Mandatory Variable Unset}",
    "required variable UNSET is missing a value: Mandatory Variable Unset",
  ],
  ["${EMPTY:?must be set}", "required variable EMPTY is missing a value: must be set"],
  ["${UNSET:?}", "required variable UNSET is missing a value"],
  ["${UNSET?}", "required variable UNSET is missing a value"],
  ["${UNSET?message ${FOO}}", "required variable UNSET is missing a value: message first"],
  ["${UNSET?bar-baz}", "required variable UNSET is missing a value: bar-baz"],
  ["${UNSET:-${UNSET2:?inner}}", "required variable UNSET2 is missing a value: inner"],
  ["${", 'invalid interpolation "${": missing the closing "}"'],
  ["a ${FOO", 'invalid interpolation "${FOO": missing the closing "}"'],
  ["${UNSET:-${B}", 'invalid interpolation "${UNSET:-${B}": missing the closing "}"'],
  ["${}", 'invalid interpolation "${}": "${" must be followed by a variable name'],
  ["${ }", 'invalid interpolation "${ }": "${" must be followed by a variable name'],
  ["${ foo}", 'invalid interpolation "${ foo}": "${" must be followed by a variable name'],
  ["${1A}", 'invalid interpolation "${1A}": "${" must be followed by a variable name'],
  ["${foo }", 'invalid interpolation "${foo }": unexpected " " after the variable name foo'],
  ["${foo!}", 'invalid interpolation "${foo!}": unexpected "!" after the variable name foo'],
  [
    "${VAR:x}",
    'invalid interpolation "${VAR:x}": ":" after VAR must be followed by "-", "?" or "+"',
  ],
  ["${VAR:}", 'invalid interpolation "${VAR:}": ":" after VAR must be followed by "-", "?" or "+"'],
];

describe("interpolate", () => {
  it.each(OK_ROWS.map(([template, expected, unset = []]) => ({ template, expected, unset })))(
    "$template -> $expected",
    ({ template, expected, unset }) => {
      expect(interpolate(template, lookup)).toEqual({ ok: true, value: expected, unset });
    },
  );

  it.each(ERROR_ROWS)("%s fails: %s", (template, error) => {
    expect(interpolate(template, lookup)).toEqual({ ok: false, error });
  });

  it("reports each unset variable once, in order of use", () => {
    expect(interpolate("$B1 ${A1} $B1 ${A1:-x}", () => undefined)).toEqual({
      ok: true,
      value: "   x",
      unset: ["B1", "A1"],
    });
  });

  it("shortens a long template in messages", () => {
    const long = `${"x".repeat(80)} \${`;
    const res = interpolate(long, lookup);
    expect(res).toEqual({
      ok: false,
      error: 'invalid interpolation "${": missing the closing "}"',
    });
    const longPiece = `\${${"x".repeat(80)}`;
    expect(interpolate(longPiece, lookup)).toEqual({
      ok: false,
      error: `invalid interpolation "\${${"x".repeat(55)}...": missing the closing "}"`,
    });
  });

  // compose-go's template matcher leaves a `$` it cannot read as a name or `{` alone.
  it.each([
    ["$}", "$}"],
    ["price $", "price $"],
    ["awk '{print $1}'", "awk '{print $1}'"],
    ["echo a $ b", "echo a $ b"],
    ["RUN echo $(date)", "RUN echo $(date)"],
    ["$$(date) $FOO", "$(date) first"],
  ])("keeps %s literally", (template, expected) => {
    expect(interpolate(template, lookup)).toEqual({ ok: true, value: expected, unset: [] });
  });
});

describe("interpolateTree", () => {
  const source = [
    "x-tag: &tag ${FOO}", // 1
    "services:", // 2
    "  web:", // 3
    "    image: nginx:${TAG:?set TAG}", // 4
    "    ${FOO}: key-not-interpolated", // 5
    "    environment:", // 6
    "      - A=$UNSET", // 7
    "      - B=$UNSET", // 8
    "    labels: [*tag, *tag]", // 9
    "    replicas: 3", // 10
    "    command: echo $$HOME", // 11
  ].join("\n");

  it("interpolates values, not keys, and reports problems at file:line:col path", () => {
    const issues: SpecIssue[] = [];
    const unset: string[] = [];
    const tree = parseYamlSource(source, "stack.yml");
    const out = interpolateTree(tree, lookup, {
      issue: (i) => issues.push(i),
      unset: (name, where) =>
        unset.push(`${name}@${where.pos.line}:${where.pos.col} ${where.path}`),
    });
    expect(issues).toEqual([
      {
        pos: { file: "stack.yml", line: 4, col: 12 },
        path: "services.web.image",
        message: "required variable TAG is missing a value: set TAG",
      },
    ]);
    expect(unset).toEqual([
      "UNSET@7:9 services.web.environment[0]",
      "UNSET@8:9 services.web.environment[1]",
    ]);
    expect(toPlainValue(out)).toEqual({
      "x-tag": "first",
      services: {
        web: {
          image: "nginx:${TAG:?set TAG}",
          "${FOO}": "key-not-interpolated",
          environment: ["A=", "B="],
          labels: ["first", "first"],
          replicas: 3,
          command: "echo $HOME",
        },
      },
    });
  });

  it("reports a problem in an aliased node once, at the first place that uses it", () => {
    const issues: SpecIssue[] = [];
    const tree = parseYamlSource("a: &bad ${X:?needed}\nb: *bad\nc: [*bad, *bad]\n", "f.yml");
    interpolateTree(tree, lookup, { issue: (i) => issues.push(i), unset: () => {} });
    expect(issues).toEqual([
      {
        pos: { file: "f.yml", line: 1, col: 9 },
        path: "a",
        message: "required variable X is missing a value: needed",
      },
    ]);
  });

  it("returns the same tree when there is nothing to substitute", () => {
    const tree = parseYamlSource("services:\n  web:\n    image: nginx\n", "f.yml");
    expect(interpolateTree(tree, lookup, { issue: () => {}, unset: () => {} })).toBe(tree);
  });
});
