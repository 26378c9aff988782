/**
 * compileStackSchema, as each project of vitest.config.ts sees it: in "stack" the run-time
 * ajv compile of src/, in "precompiled-validator" the ajv standalone code `npm run build`
 * generated for dist/ and the bundled CLI. Either must decide exactly as a fresh ajv compile
 * of schemas/stack.schema.json does, error for error, and hand out errors whose schema
 * objects are the very objects of its `root` (the messages find `$defs` and anyOf branches
 * by identity).
 */
import { readdirSync, readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compileStackSchema } from "../../../src/stackfile/compile-stack-schema.js";
import {
  readStackSchema,
  STACK_SCHEMA_AJV_OPTIONS,
  type SchemaObject,
} from "../../../src/stackfile/stack-schema.js";

const precompiled = process.env["STACK_TEST_VALIDATOR"] === "precompiled";
const subject = compileStackSchema();

const referenceRoot = readStackSchema();
const referenceAjv = new Ajv2020({ ...STACK_SCHEMA_AJV_OPTIONS });
const reference = referenceAjv.compile(referenceRoot);
const referenceBranch = (pointer: string) =>
  referenceAjv.getSchema(`${String(referenceRoot["$id"])}#${pointer}`);

/** JSON pointer of every object in `root`, by identity. */
function pointers(root: SchemaObject): Map<unknown, string> {
  const out = new Map<unknown, string>();
  const walk = (node: unknown, pointer: string): void => {
    if (typeof node !== "object" || node === null) return;
    out.set(node, pointer);
    for (const [key, value] of Object.entries(node))
      walk(value, `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`);
  };
  walk(root, "");
  return out;
}
const subjectPointers = pointers(subject.root);
const referencePointers = pointers(referenceRoot);

/** An error with its schema objects named by their place in their own root. */
function comparable(
  errors: readonly ErrorObject[] | null | undefined,
  index: Map<unknown, string>,
) {
  return (errors ?? []).map((e) => ({
    keyword: e.keyword,
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    params: e.params,
    message: e.message,
    propertyName: e.propertyName,
    data: e.data,
    schema:
      typeof e.schema === "object" && e.schema !== null
        ? (index.get(e.schema) ?? "copy!")
        : e.schema,
    parentSchema: index.get(e.parentSchema) ?? "copy!",
  }));
}

function outcome(validate: ValidateFunction, data: unknown, index: Map<unknown, string>) {
  const valid = validate(data);
  return { valid, errors: comparable(validate.errors, index) };
}

const FIXTURES = new URL("../../fixtures/validate/", import.meta.url);
const documents: [string, unknown][] = ["valid", "invalid"].flatMap((kind) =>
  readdirSync(new URL(`${kind}/`, FIXTURES)).map(
    (name) =>
      [
        `${kind}/${name}`,
        parse(readFileSync(new URL(`${kind}/${name}`, FIXTURES), "utf8"), { merge: true }),
      ] as [string, unknown],
  ),
);

/** Every anyOf branch the messages may validate alone, after following `$ref`s. */
function branchPointers(root: SchemaObject, index: Map<unknown, string>): string[] {
  const resolve = (node: unknown): unknown => {
    let current = node;
    while (typeof current === "object" && current !== null && "$ref" in current) {
      const ref = String((current as Record<string, unknown>)["$ref"]);
      current = [...index].find(([, p]) => p === ref.slice(ref.indexOf("#") + 1))?.[0];
    }
    return current;
  };
  const out = new Set<string>();
  for (const node of index.keys()) {
    const anyOf = (node as Record<string, unknown>)["anyOf"];
    if (Array.isArray(anyOf)) for (const b of anyOf) out.add(index.get(resolve(b)) ?? "missing");
  }
  return [...out].sort();
}

describe(`compileStackSchema (${precompiled ? "precompiled by the build" : "run-time compile"})`, () => {
  it.runIf(precompiled)("is the build's standalone code, with the shipped schema as root", () => {
    expect(compileStackSchema.toString()).toContain("BRANCHES");
    expect(subject.root).toEqual(referenceRoot);
  });

  it.each(documents)("decides %s as ajv does, with errors pointing into root", (_, doc) => {
    const got = outcome(subject.validate, doc, subjectPointers);
    expect(got).toEqual(outcome(reference, doc, referencePointers));
    expect(JSON.stringify(got)).not.toContain("copy!");
  });

  it("has a validator for every anyOf branch, deciding as ajv does", () => {
    const branches = branchPointers(subject.root, subjectPointers);
    expect(branches.length).toBeGreaterThan(20);
    expect(branches).not.toContain("missing");
    const samples: unknown[] = [
      null,
      0,
      8080,
      -1,
      1.5,
      true,
      "",
      "x",
      "8080:80",
      [],
      ["a", 1],
      {},
      { a: 1 },
      { target: "x" },
    ];
    for (const pointer of branches) {
      const validate = subject.branch(pointer);
      const expected = referenceBranch(pointer);
      expect(validate, pointer).toBeDefined();
      for (const value of samples)
        expect(
          outcome(validate!, value, subjectPointers),
          `${pointer} on ${JSON.stringify(value)}`,
        ).toEqual(outcome(expected!, value, referencePointers));
    }
  });
});
