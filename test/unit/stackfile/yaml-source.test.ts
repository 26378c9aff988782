import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../../src/stackfile/errors.js";
import {
  MAX_EXPANDED_NODES,
  MAX_NESTING_DEPTH,
  MAX_SOURCE_BYTES,
  parseYamlSource,
  positionIn,
  toPlainValue,
} from "../../../src/stackfile/yaml-source.js";

function errorOf(text: string, file = "stack.yml"): string {
  try {
    parseYamlSource(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).message;
  }
  throw new Error("expected a SpecError");
}

function issues(text: string): string[] {
  return errorOf(text).split("\n");
}

function load(text: string): unknown {
  return toPlainValue(parseYamlSource(text, "stack.yml"));
}

function billionLaughs(levels: number): string {
  let text = 'l0: &l0 ["lol"]\n';
  for (let i = 1; i <= levels; i++) {
    text += `l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(", ")}]\n`;
  }
  return text;
}

function servicesWithDefaults(count: number): string {
  const lines = [
    "x-defaults: &defaults",
    "  restart: always",
    "  environment: {A: '1', B: two}",
    "  labels: [a=1, b=2]",
    "  deploy: {resources: {limits: {cpus: '0.5', memory: 50M}}}",
    "services:",
  ];
  for (let i = 0; i < count; i++) {
    lines.push(`  svc${i}:`, "    <<: *defaults", `    image: app${i}`);
  }
  return lines.join("\n") + "\n";
}

describe("parseYamlSource: values", () => {
  it("resolves scalars with the YAML 1.2 core schema", () => {
    expect(load("a: 1\nb: 1.5\nc: true\nd: yes\ne: null\nf: ~\ng: '1'\nh: 0x10\ni:\n")).toEqual({
      a: 1,
      b: 1.5,
      c: true,
      d: "yes",
      e: null,
      f: null,
      g: "1",
      h: 16,
      i: null,
    });
  });

  it("reads a leading-zero integer as octal, as compose does for file modes", () => {
    expect(load("mode: 0440\nother: 0o755\nzero: 0\nnot_octal: 089\n")).toEqual({
      mode: 0o440,
      other: 0o755,
      zero: 0,
      not_octal: 89,
    });
  });

  it("rejects keys YAML reads as numbers, booleans or null, as compose does", () => {
    expect(issues("80: a\ntrue: b\n1.0: c\n~: d\n'90': e\n")).toEqual([
      'stack.yml:1:1 80 mapping keys must be strings; 80 reads as a number: quote it ("80")',
      'stack.yml:2:1 true mapping keys must be strings; true reads as a boolean: quote it ("true")',
      'stack.yml:3:1 1.0 mapping keys must be strings; 1.0 reads as a number: quote it ("1.0")',
      'stack.yml:4:1 ~ mapping keys must be strings; ~ reads as null: quote it ("~")',
    ]);
    expect(issues("services:\n  web:\n    environment:\n      1: FOO\n")).toEqual([
      'stack.yml:4:7 services.web.environment.1 mapping keys must be strings; 1 reads as a number: quote it ("1")',
    ]);
  });

  it.each([
    [
      "block mappings",
      (n: number) =>
        `x:\n${Array.from({ length: n }, (_, i) => `${" ".repeat(i + 1)}k:\n`).join("")}${" ".repeat(n + 1)}v\n`,
    ],
    ["flow mappings", (n: number) => `x: ${"{a: ".repeat(n)}1${"}".repeat(n)}\n`],
    ["flow sequences", (n: number) => `x: ${"[".repeat(n)}${"]".repeat(n)}\n`],
  ])("refuses %s nested thousands of levels deep with a located error", (_name, make) => {
    for (const depth of [MAX_NESTING_DEPTH + 5, 2000, 3000]) {
      const found = issues(make(depth));
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(
        new RegExp(
          `^stack\\.yml:\\d+:\\d+ .*nests mappings and lists more than ${MAX_NESTING_DEPTH} levels deep`,
        ),
      );
    }
    expect(() => parseYamlSource(make(MAX_NESTING_DEPTH - 5), "stack.yml")).not.toThrow();
  });

  it("keeps .inf and .nan as text because JSON has no such numbers", () => {
    expect(load("a: .inf\nb: .nan\n")).toEqual({ a: ".inf", b: ".nan" });
  });

  it("turns a __proto__ key into data, not a prototype", () => {
    const value = load("__proto__: {polluted: true}\n") as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("resolves anchors and aliases", () => {
    expect(load("a: &x [1, 2]\nb: *x\nc: &s str\nd: [*s, *s]\n")).toEqual({
      a: [1, 2],
      b: [1, 2],
      c: "str",
      d: ["str", "str"],
    });
  });

  it("applies << merge keys: explicit keys win, earlier sources win", () => {
    const text = [
      "base: &base {image: a, restart: always, env: {A: 1}}",
      "more: &more {image: b, user: root, tty: true}",
      "svc:",
      "  image: own",
      "  <<: [*base, *more]",
      "  tty: false",
      "inline:",
      "  <<: {x: 1}",
      "  y: 2",
    ].join("\n");
    expect(load(text)).toMatchObject({
      svc: { image: "own", tty: false, restart: "always", env: { A: 1 }, user: "root" },
      inline: { x: 1, y: 2 },
    });
  });

  it("parses !reset and !override on scalars, sequences and mappings", () => {
    const tree = parseYamlSource(
      "a: !reset []\nb: !override {x: 1}\nc: !override [1]\nd: !reset\ne: !override 3\nf: !override '3'\n",
      "f.yml",
    );
    const tags = [...tree.entries].map(([k, e]) => [k, e.value.tag, toPlainValue(e.value)]);
    expect(tags).toEqual([
      ["a", "reset", []],
      ["b", "override", { x: 1 }],
      ["c", "override", [1]],
      ["d", "reset", null],
      ["e", "override", 3],
      ["f", "override", "3"],
    ]);
  });
});

describe("parseYamlSource: positions", () => {
  const text = [
    "x-d: &d", // 1
    "  restart: always", // 2
    "services:", // 3
    "  web:", // 4
    "    <<: *d", // 5
    "    image: nginx", // 6
    "    ports:", // 7
    '      - "80:80"', // 8
    "      - target: 443", // 9
  ].join("\n");
  const tree = parseYamlSource(text, "dir/stack.yml");
  const at = (path: (string | number)[], key = false): string => {
    const p = positionIn(tree, path, key);
    return `${p.file}:${p.line}:${p.col}`;
  };

  it("knows where values and keys are", () => {
    expect(at(["services", "web", "image"])).toBe("dir/stack.yml:6:12");
    expect(at(["services", "web", "image"], true)).toBe("dir/stack.yml:6:5");
    expect(at(["services", "web", "ports", 0])).toBe("dir/stack.yml:8:9");
    expect(at(["services", "web", "ports", 1, "target"])).toBe("dir/stack.yml:9:17");
    expect(at(["services", "web", "ports", 1, "target"], true)).toBe("dir/stack.yml:9:9");
    expect(at([])).toBe("dir/stack.yml:1:1");
  });

  it("points a merged-in key at the anchor's definition", () => {
    expect(at(["services", "web", "restart"])).toBe("dir/stack.yml:2:12");
    expect(at(["services", "web", "restart"], true)).toBe("dir/stack.yml:2:3");
  });
});

describe("parseYamlSource: errors", () => {
  it.each([
    [
      "duplicate key",
      "services:\n  web:\n    image: a\n    image: b\n",
      'stack.yml:4:5 services.web.image duplicate key "image" (first defined at line 3, column 5)',
    ],
    [
      "duplicate service",
      "services:\n  web: {}\n  web: {}\n",
      'stack.yml:3:3 services.web duplicate key "web" (first defined at line 2, column 3)',
    ],
    [
      "syntax error",
      "services:\n  web:\n    image: a: b\n",
      'stack.yml:3:12 invalid YAML: nested mappings are not allowed in compact mappings (quote a value that contains ": ")',
    ],
    [
      "unclosed flow sequence",
      "services: [a, b\n",
      "stack.yml:2:1 invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
    [
      "tab indentation",
      "services:\n\tweb: 1\n",
      "stack.yml:2:1 invalid YAML: tabs are not allowed as indentation (indent with spaces)",
    ],
    [
      "unterminated quote",
      "services:\n  web:\n    image: 'nginx\n",
      "stack.yml:4:1 invalid YAML: missing closing 'quote",
    ],
    [
      "several documents",
      "services: {}\n---\nservices: {}\n",
      "stack.yml:2:1 a stack file must hold one YAML document; found a second one here (after ---)",
    ],
    [
      "top-level sequence",
      "- a\n- b\n",
      "stack.yml:1:1 the top level must be a mapping (services:, networks:, ...), not a sequence",
    ],
    [
      "top-level scalar",
      "hello\n",
      'stack.yml:1:1 the top level must be a mapping (services:, networks:, ...), not a string ("hello")',
    ],
    [
      "empty file",
      "",
      "stack.yml:1:1 the file is empty; expected a mapping with at least `services:`",
    ],
    [
      "comments only",
      "# nothing here\n",
      "stack.yml:1:1 the file is empty; expected a mapping with at least `services:`",
    ],
    [
      "unknown anchor",
      "services:\n  web: *nope\n",
      "stack.yml:2:8 services.web alias *nope refers to no anchor &nope defined before it",
    ],
    [
      "recursive alias",
      "a: &a\n  b: *a\n",
      "stack.yml:2:6 a.b alias *a refers to a node that contains it",
    ],
    [
      "unknown tag",
      "services:\n  web: !reste {}\n",
      "stack.yml:2:8 unknown tag !reste; only !reset and !override are supported",
    ],
    [
      "bad merge value",
      "services:\n  web:\n    <<: 3\n",
      "stack.yml:3:9 services.web.<< the merge key << takes a mapping, an alias of one, or a list of them",
    ],
    [
      "complex key",
      "? [a]\n: 1\n",
      "stack.yml:1:1 mapping keys must be plain strings (no empty, complex or alias keys)",
    ],
  ])("%s", (_name, text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it("reports every duplicate key at once", () => {
    expect(errorOf("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")).toBe(
      [
        'stack.yml:2:1 a duplicate key "a" (first defined at line 1, column 1)',
        'stack.yml:5:3 b.c duplicate key "c" (first defined at line 4, column 3)',
      ].join("\n"),
    );
  });

  it("refuses an input over 10 MiB before parsing it", () => {
    const big = `x: "${"a".repeat(MAX_SOURCE_BYTES)}"\n`;
    expect(errorOf(big)).toBe(
      "stack.yml:1:1 the file is 10.0 MiB; stack files over 10 MiB are refused",
    );
  });
});

describe("parseYamlSource: alias expansion", () => {
  it("rejects a 10-level billion laughs, naming where it blows up", () => {
    // Expansion is counted before it is attempted, so the test finishes instead of exhausting memory.
    expect(errorOf(billionLaughs(10), "bomb.yml")).toBe(
      `bomb.yml:7:9 l6 aliases expand this document beyond ${MAX_EXPANDED_NODES} nodes; refusing to load it (an alias bomb?)`,
    );
  });

  it("loads a modest alias fan-out", () => {
    const value = load(billionLaughs(3)) as Record<string, unknown[]>;
    expect(JSON.stringify(value["l3"]).match(/lol/g)).toHaveLength(1000);
  });

  it("loads 500 services that each merge one anchor", () => {
    const text = servicesWithDefaults(500);
    const value = load(text) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(value.services)).toHaveLength(500);
    expect(value.services["svc499"]).toEqual({
      image: "app499",
      restart: "always",
      environment: { A: "1", B: "two" },
      labels: ["a=1", "b=2"],
      deploy: { resources: { limits: { cpus: "0.5", memory: "50M" } } },
    });
    // yaml's own toJS() would refuse this file with its default maxAliasCount (100).
    expect(() => parseDocument(text, { merge: true }).toJS()).toThrow(/Excessive alias count/);
  });
});
