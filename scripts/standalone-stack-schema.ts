/**
 * Compiles schemas/stack.schema.json ahead of time with ajv's standalone code generation,
 * into an ES module that stands in for src/stackfile/compile-stack-schema.ts in dist/ and in
 * the bundled CLI (scripts/build.ts): the same `compileStackSchema()`, returning the whole-
 * document validator and one validator per anyOf/oneOf branch, with nothing compiled at run
 * time.
 *
 * The messages (src/stackfile/validate.ts) recognise `$defs` and branches by object
 * identity: an error's `schema` and `parentSchema` must be objects inside the schema the
 * module hands out as `root`. ajv's standalone code embeds a JSON copy of every schema it
 * references instead, so each of those copies is replaced with a path into one parsed root
 * schema. ajv's runtime helpers, which its code loads with `require`, become ES imports.
 */
import { writeFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { stringify } from "ajv/dist/compile/codegen/code.js";
import standalone from "ajv/dist/standalone/index.js";
import {
  readStackSchema,
  STACK_SCHEMA_AJV_OPTIONS,
  type SchemaObject,
} from "../src/stackfile/stack-schema.js";

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null;
}

/** The JSON pointer of every object in `root` (arrays included), by identity. */
function pointersOf(root: SchemaObject): Map<object, string[]> {
  const out = new Map<object, string[]>();
  const walk = (node: unknown, path: string[]): void => {
    if (!isObject(node)) return;
    out.set(node, path);
    for (const [key, value] of Object.entries(node)) walk(value, [...path, key]);
  };
  walk(root, []);
  return out;
}

/** The schema objects an explanation may validate on their own: every anyOf/oneOf branch
 * after following `$ref`s (the same walk as validate.ts's `resolve`). */
function branchTargets(root: SchemaObject, pointers: Map<object, string[]>): Set<string[]> {
  const resolve = (node: unknown): unknown => {
    let current = node;
    for (let hops = 0; hops < 20 && isObject(current); hops++) {
      const ref = current["$ref"];
      if (typeof ref !== "string") return current;
      let target: unknown = root;
      for (const raw of ref
        .slice(ref.indexOf("#") + 1)
        .split("/")
        .slice(1)) {
        const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
        target = isObject(target) ? target[segment] : undefined;
      }
      current = target;
    }
    return current;
  };
  const out = new Set<string[]>();
  for (const node of pointers.keys()) {
    if (Array.isArray(node)) continue;
    const record = node as Readonly<Record<string, unknown>>;
    for (const keyword of ["anyOf", "oneOf"]) {
      const branches = record[keyword];
      if (!Array.isArray(branches)) continue;
      for (const branch of branches) {
        const target = resolve(branch);
        const path = isObject(target) ? pointers.get(target) : undefined;
        if (path === undefined)
          throw new Error(`standalone schema: unresolvable ${keyword} branch`);
        out.add(path);
      }
    }
  }
  return out;
}

const pointerText = (path: readonly string[]): string =>
  path.map((s) => `/${s.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

/** `root["a"][0]...`: the expression for a path into the root schema. */
const accessor = (path: readonly string[]): string =>
  `root${path.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `[${JSON.stringify(s)}]`)).join("")}`;

/** The ES module source of the precompiled stack schema (see the file comment). */
export function standaloneStackSchemaModule(): string {
  const root = readStackSchema();
  const id = String(root["$id"]);
  const pointers = pointersOf(root);
  const branches = [...new Set([...branchTargets(root, pointers)].map(pointerText))].sort();
  const ajv = new Ajv2020({
    ...STACK_SCHEMA_AJV_OPTIONS,
    // The run-time compile leaves these off to start faster; ahead of time they are free.
    validateSchema: true,
    code: { source: true, esm: true, optimize: true },
  });
  ajv.addSchema(root);
  const exports: Record<string, string> = { validate: id };
  branches.forEach((pointer, i) => (exports[`branch${i}`] = `${id}#${pointer}`));
  // A CommonJS module whose exports are the function and also carry it as `default`; which
  // of the two an ES import sees depends on the loader, so take whichever is callable.
  const standaloneCode = typeof standalone === "function" ? standalone : standalone.default;
  let code = standaloneCode(ajv, exports);

  // Every schema value ajv referenced, by the name its code gives it. `_values` is ajv's
  // own record of them (ValueScope); it holds the very objects of `root`.
  const scope = (ajv.scope as unknown as { _values: Record<string, Map<unknown, { str: string }>> })
    ._values;
  for (const [ref, name] of scope["schema"] ?? new Map()) {
    const literal = `const ${name.str} = ${stringify(ref)};`;
    const path = isObject(ref) ? pointers.get(ref) : undefined;
    if (path === undefined) continue; // true/false schemas stay literals
    const count = code.split(literal).length - 1;
    if (count > 1) throw new Error(`standalone schema: ${name.str} is declared ${count} times`);
    code = code.replace(literal, () => `const ${name.str} = ${accessor(path)};`);
  }
  if (/const schema\d+ = [{[]/.test(code))
    throw new Error("standalone schema: a schema copy is left in the generated code");

  // Each helper is a CommonJS module exporting `default`. Node hands an ES import the
  // whole `module.exports` as the default, esbuild (honouring `__esModule`) the function
  // itself; `runtime()` takes whichever it got.
  const imports: string[] = [];
  code = code.replace(
    /require\("(ajv\/dist\/runtime\/[\w]+)"\)\.default/g,
    (_: string, path: string) => {
      const name = `ajvRuntime${imports.length}`;
      imports.push(`import * as ${name} from "${path}.js";`);
      return `runtime(${name})`;
    },
  );
  if (code.includes("require(")) throw new Error("standalone schema: a require() is left");
  code = code.replace(/^"use strict";/, "");

  const table = branches.map((pointer, i) => `  [${JSON.stringify(pointer)}, branch${i}],`);
  return [
    "// Generated by `npm run build` (scripts/standalone-stack-schema.ts) from",
    "// schemas/stack.schema.json with ajv's standalone code: do not edit.",
    ...imports,
    'const runtime = (m) => (typeof m.default === "function" ? m.default : m.default.default);',
    // JSON.parse of a string is faster to load than the same object as a JS literal.
    `const root = JSON.parse(${JSON.stringify(JSON.stringify(root))});`,
    code,
    "const BRANCHES = new Map([",
    ...table,
    "]);",
    "/** The stack schema, compiled when the package was built. */",
    "export function compileStackSchema() {",
    "  return { root, validate, branch: (pointer) => BRANCHES.get(pointer) };",
    "}",
    "",
  ].join("\n");
}

/** Writes {@link standaloneStackSchemaModule} to `file`. */
export function writeStandaloneStackSchema(file: string): void {
  writeFileSync(file, standaloneStackSchemaModule());
}
