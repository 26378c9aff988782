/**
 * Validates a loaded stack document against schemas/stack.schema.json and turns ajv's
 * errors into located, actionable issues; also warns about compose keys `stack` accepts
 * but does not act on yet.
 *
 * ajv reports every failed branch of an `anyOf` (a port that is neither a number, nor a
 * port string, nor a mapping gives four errors). Instead of decoding ajv's error tree,
 * which loses the link between an `anyOf` and its `$ref`'d branches, an `anyOf` failure is
 * explained by picking the branch whose type matches the value and validating the value
 * against that branch alone; when no branch's type matches, one message says what was
 * expected. So every location gets one message, from the branch the user evidently meant.
 */

import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { compileStackSchema } from "./compile-stack-schema.js";
import { formatPath } from "./document.js";
import type { DocPath, LoadedDocument } from "./document.js";
import { formatIssue } from "./errors.js";
import {
  IGNORED_CONFIG_KEYS,
  IGNORED_NETWORK_KEYS,
  IGNORED_SECRET_KEYS,
  IGNORED_SERVICE_KEYS,
  IGNORED_TOP_LEVEL_KEYS,
  IGNORED_VOLUME_KEYS,
  findIgnoredKeys,
} from "./ignored-keys.js";
import type { SchemaObject, StackSchemaValidator } from "./stack-schema.js";
import { suggest } from "./suggest.js";
import type { SourcePos, SpecIssue, SpecWarning } from "../model/types.js";

export { STACK_SCHEMA_AJV_OPTIONS, readStackSchema, type SchemaObject } from "./stack-schema.js";

/** The outcome of validating one document: errors (empty means valid) and warnings. */
export interface ValidationResult {
  /** Errors, sorted by file position and deduplicated; empty means the document is valid. */
  readonly issues: readonly SpecIssue[];
  /** Accepted-but-ignored keys, one warning per service (or network, volume, ...). */
  readonly warnings: readonly SpecWarning[];
}

// What a value must be, for schema definitions whose keyword errors ("type", "pattern",
// "minimum", ...) alone would not tell a user what to write. Keyed by $defs name.
const EXPECTED: Readonly<Record<string, string>> = {
  boolish: "true or false",
  byteSize: 'a byte size like "50M" or a number of bytes',
  command: "a string or a list of strings",
  cpus: 'a number of CPUs like 0.5 or "1.5"',
  duration: 'a duration like "1m30s" or "500ms"',
  envFile: "a file path or a list of file paths",
  exposePort: 'a port like 3000 or "3000/udp"',
  external: "true, false or a mapping with name",
  extraHosts: 'a list of "HOST:IP" strings or a mapping of host names to addresses',
  failureRatio: "a number between 0 and 1",
  fileMode: 'an octal file mode like "0440"',
  include: "a file path or a mapping with path",
  integerLike: "an integer",
  link: 'a service name or "SERVICE:ALIAS"',
  listOrDict: 'a mapping or a list of "KEY=VALUE" strings',
  listOfStrings: "a list of strings",
  nonNegativeInteger: "an integer >= 0",
  portItem: 'a port like "8080:80" or a mapping with target',
  portNumber: "a port number from 1 to 65535",
  portOrRange: 'a port like 8080 or a range like "8000-8010"',
  portString: 'a port like "8080:80", "127.0.0.1:8080:80" or "53/udp"',
  projectName: 'a lowercase name like "myapp" (letters, digits, "-" and "_")',
  restart: 'one of "no", "always", "on-failure", "unless-stopped"',
  serviceVolume: 'a mount like "data:/var/lib/data" or a mapping with type and target',
  stringOrList: "a string or a list of strings",
};

// How to write a valid name, for the $defs used as propertyNames.
const NAME_HINTS: Readonly<Record<string, string>> = {
  resourceName: 'use only letters, digits, ".", "_" and "-"',
  ulimitName: "use a lowercase ulimit name such as nofile",
};

// Errors of these keywords say what the value is not; an EXPECTED phrase says it better.
const PHRASED_KEYWORDS = new Set([
  "type",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "multipleOf",
  "enum",
  "const",
  "anyOf",
  "oneOf",
]);

interface Compiled {
  readonly schema: StackSchemaValidator;
  readonly validate: ValidateFunction;
  readonly root: SchemaObject;
  /** JSON pointer of every schema object, by identity (ajv hands back the same objects). */
  readonly pointers: Map<object, string>;
  /** $defs name of every definition, by identity. */
  readonly defNames: Map<object, string>;
  readonly branchValidators: Map<string, ValidateFunction>;
}

let compiled: Compiled | undefined;

function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

function indexSchema(node: unknown, pointer: string, pointers: Map<object, string>): void {
  if (typeof node !== "object" || node === null) return;
  pointers.set(node, pointer);
  if (Array.isArray(node))
    node.forEach((item, i) => indexSchema(item, `${pointer}/${i}`, pointers));
  else
    for (const [key, value] of Object.entries(node))
      indexSchema(value, `${pointer}/${escapePointer(key)}`, pointers);
}

function getCompiled(): Compiled {
  if (compiled) return compiled;
  // In the source tree ajv compiles the schema now; in dist/ and the bundled CLI this is
  // the validator the build generated (see compile-stack-schema.ts).
  const schema = compileStackSchema();
  const { root, validate } = schema;
  const pointers = new Map<object, string>();
  indexSchema(root, "", pointers);
  const defNames = new Map<object, string>();
  const defs = root["$defs"];
  if (isMapping(defs)) {
    for (const [name, def] of Object.entries(defs)) if (isMapping(def)) defNames.set(def, name);
  }
  compiled = { schema, validate, root, pointers, defNames, branchValidators: new Map() };
  return compiled;
}

// Memoised per schema: documents with thousands of issues resolve the same few `$ref`s
// over and over (50k unknown keys spent seconds re-walking pointers).
const pointerCache = new WeakMap<SchemaObject, Map<string, unknown>>();

function lookupPointer(root: SchemaObject, pointer: string): unknown {
  let cache = pointerCache.get(root);
  if (cache === undefined) pointerCache.set(root, (cache = new Map()));
  if (cache.has(pointer)) return cache.get(pointer);
  const node = walkPointer(root, pointer);
  cache.set(pointer, node);
  return node;
}

function walkPointer(root: SchemaObject, pointer: string): unknown {
  let node: unknown = root;
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    node = Array.isArray(node)
      ? node[Number(segment)]
      : isMapping(node)
        ? node[segment]
        : undefined;
  }
  return node;
}

/** Follows `$ref`s (all local to the one schema file) to the schema that does the work. */
function resolve(c: Compiled, node: unknown): SchemaObject | undefined {
  let current = node;
  for (let hops = 0; hops < 20 && isMapping(current); hops++) {
    const ref = current["$ref"];
    if (typeof ref !== "string") return current;
    current = lookupPointer(c.root, ref.slice(ref.indexOf("#") + 1));
  }
  return isMapping(current) ? current : undefined;
}

function branchValidator(c: Compiled, schema: SchemaObject): ValidateFunction {
  const pointer = c.pointers.get(schema);
  if (pointer === undefined)
    throw new Error("internal: schema branch not found in stack.schema.json");
  let validator = c.branchValidators.get(pointer);
  if (!validator) {
    validator = c.schema.branch(pointer);
    if (!validator) throw new Error(`internal: cannot compile stack.schema.json#${pointer}`);
    c.branchValidators.set(pointer, validator);
  }
  return validator;
}

type JsonType = "null" | "boolean" | "string" | "array" | "object" | "integer" | "number";

function jsonType(value: unknown): JsonType {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string") return "string";
  return "object";
}

/** The JSON types a schema admits, or undefined when it admits any. */
function typesOf(c: Compiled, schema: SchemaObject): Set<string> | undefined {
  const type = schema["type"];
  if (typeof type === "string") return new Set([type]);
  if (Array.isArray(type)) return new Set(type.map(String));
  const anyOf = schema["anyOf"];
  if (Array.isArray(anyOf)) {
    const union = new Set<string>();
    for (const branch of anyOf) {
      const resolved = resolve(c, branch);
      const types = resolved ? typesOf(c, resolved) : undefined;
      if (!types) return undefined;
      for (const t of types) union.add(t);
    }
    return union;
  }
  return undefined;
}

function admitsType(c: Compiled, schema: SchemaObject, value: unknown): boolean {
  const types = typesOf(c, schema);
  if (!types) return true;
  const t = jsonType(value);
  return types.has(t) || (t === "integer" && types.has("number"));
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  null: "empty",
};

function describeTypes(types: readonly string[]): string {
  // "a mapping or empty" reads worse than "a mapping", and an empty value is rarely meant.
  const shown = types.length > 1 ? types.filter((t) => t !== "null") : types;
  if (shown.length === 1) return TYPE_WORDS[shown[0] ?? ""] ?? String(shown[0]);
  const words = shown.map((t) => (t === "boolean" ? "a boolean" : (TYPE_WORDS[t] ?? t)));
  return `${words.slice(0, -1).join(", ")} or ${words[words.length - 1] ?? ""}`;
}

/** What a schema expects, in words: its EXPECTED phrase, or its types. */
function describeSchema(c: Compiled, schema: SchemaObject): string {
  const name = c.defNames.get(schema);
  if (name !== undefined && EXPECTED[name] !== undefined) return EXPECTED[name];
  const types = typesOf(c, schema);
  if (!types) return "a valid value";
  if (types.size === 1 && types.has("array")) {
    const items = resolve(c, schema["items"]);
    const itemTypes = items ? typesOf(c, items) : undefined;
    if (itemTypes?.size === 1 && itemTypes.has("string")) return "a list of strings";
  }
  return describeTypes([...types]);
}

function describeValue(value: unknown): string {
  switch (jsonType(value)) {
    case "null":
      return "an empty value";
    case "array":
      return "a list";
    case "object":
      return "a mapping";
    case "string": {
      const text = String(value);
      return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
    }
    default:
      return String(value);
  }
}

function toDocPath(instancePath: string, data: unknown): (string | number)[] {
  if (instancePath === "") return [];
  const out: (string | number)[] = [];
  let node = data;
  for (const raw of instancePath.slice(1).split("/")) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(node)) {
      const index = Number(segment);
      out.push(index);
      node = node[index];
    } else {
      out.push(segment);
      node = isMapping(node) ? node[segment] : undefined;
    }
  }
  return out;
}

/** An issue before it is located: the dotted path it is about and where to point. */
interface RawIssue {
  readonly path: DocPath;
  readonly at: DocPath;
  readonly atKey: boolean;
  readonly message: string;
}

function isCombinator(error: ErrorObject): boolean {
  return error.keyword === "anyOf" || error.keyword === "oneOf";
}

function depth(instancePath: string): number {
  return instancePath === "" ? 0 : instancePath.split("/").length;
}

/** Validates `data` and explains every error, one message per location. */
function collect(
  c: Compiled,
  validate: ValidateFunction,
  data: unknown,
  base: DocPath,
): RawIssue[] {
  if (validate(data)) return [];
  // Copied because explaining re-enters ajv, which reuses `validate.errors`.
  const errors = [...(validate.errors ?? [])];
  const out: RawIssue[] = [];
  const handled: string[] = [];
  const covered = (p: string): boolean => handled.some((h) => p === h || p.startsWith(`${h}/`));
  // Outermost first: once an anyOf is explained through its branch, everything under it
  // (including nested anyOfs) is explained by that branch's own validation.
  const combinators = errors
    .filter(isCombinator)
    .sort((a, b) => depth(a.instancePath) - depth(b.instancePath));
  for (const error of combinators) {
    if (covered(error.instancePath)) continue;
    handled.push(error.instancePath);
    out.push(...explainCombinator(c, error, data, base));
  }
  for (const error of errors) {
    if (isCombinator(error) || covered(error.instancePath)) continue;
    const issue = explainError(c, error, data, base);
    if (issue) out.push(issue);
  }
  return out;
}

function explainCombinator(
  c: Compiled,
  error: ErrorObject,
  data: unknown,
  base: DocPath,
): RawIssue[] {
  const path = [...base, ...toDocPath(error.instancePath, data)];
  const value: unknown = error.data;
  const branches: unknown[] = Array.isArray(error.schema) ? error.schema : [];
  for (const branch of branches) {
    const schema = resolve(c, branch);
    if (!schema || !admitsType(c, schema, value)) continue;
    const nested = collect(c, branchValidator(c, schema), value, path);
    if (nested.length > 0) return nested;
  }
  const parent = isMapping(error.parentSchema) ? error.parentSchema : undefined;
  const name = parent ? c.defNames.get(parent) : undefined;
  let expected = name !== undefined ? EXPECTED[name] : undefined;
  if (expected === undefined) {
    const described = branches
      .map((b) => resolve(c, b))
      .flatMap((s) => (s ? [describeSchema(c, s)] : []));
    expected = [...new Set(described)].join(" or ");
  }
  return [
    { path, at: path, atKey: false, message: `must be ${expected}, got ${describeValue(value)}` },
  ];
}

function phraseFor(c: Compiled, error: ErrorObject): string | undefined {
  if (!PHRASED_KEYWORDS.has(error.keyword) || !isMapping(error.parentSchema)) return undefined;
  const name = c.defNames.get(error.parentSchema);
  return name === undefined ? undefined : EXPECTED[name];
}

function explainError(
  c: Compiled,
  error: ErrorObject,
  data: unknown,
  base: DocPath,
): RawIssue | undefined {
  const path = [...base, ...toDocPath(error.instancePath, data)];
  const params = error.params as Readonly<Record<string, unknown>>;
  const got = describeValue(error.data);

  if (error.propertyName !== undefined) {
    // A propertyNames failure: the key itself is wrong, so point at the key.
    const name = error.propertyName;
    const def = isMapping(error.parentSchema) ? c.defNames.get(error.parentSchema) : undefined;
    const hint =
      (def !== undefined ? NAME_HINTS[def] : undefined) ??
      `it must match ${String(params["pattern"])}`;
    return { path, at: [...path, name], atKey: true, message: `invalid name "${name}": ${hint}` };
  }

  const phrase = phraseFor(c, error);
  if (phrase !== undefined)
    return { path, at: path, atKey: false, message: `must be ${phrase}, got ${got}` };

  const located = (message: string): RawIssue => ({ path, at: path, atKey: false, message });
  switch (error.keyword) {
    case "propertyNames":
      // Explained by the error of the name schema, which carries propertyName.
      return undefined;
    case "additionalProperties": {
      const key = String(params["additionalProperty"]);
      const parent = isMapping(error.parentSchema) ? error.parentSchema : {};
      return {
        path,
        at: [...path, key],
        atKey: true,
        message: unknownKeyMessage(c, parent, key, path.length === 0),
      };
    }
    case "required":
      return located(`is missing required key "${String(params["missingProperty"])}"`);
    case "uniqueItems": {
      const i = Number(params["i"]);
      const j = Number(params["j"]);
      const later = Math.max(i, j);
      const last = path[path.length - 1];
      const name = typeof last === "string" ? last : "";
      const itemPath = [...path, later];
      return {
        path: itemPath,
        at: itemPath,
        atKey: false,
        message: `repeats ${name}[${Math.min(i, j)}]`,
      };
    }
    case "type": {
      const type = params["type"];
      const types = Array.isArray(type) ? type.map(String) : String(type).split(",");
      return located(`must be ${describeTypes(types)}, got ${got}`);
    }
    case "enum": {
      const allowed = Array.isArray(params["allowedValues"]) ? params["allowedValues"] : [];
      return located(
        `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}, got ${got}`,
      );
    }
    case "minimum":
      return located(`must be >= ${String(params["limit"])}, got ${got}`);
    case "maximum":
      return located(`must be <= ${String(params["limit"])}, got ${got}`);
    case "minLength":
      return located("must not be empty");
    case "minItems":
      return located(`must have at least ${String(params["limit"])} item(s)`);
    case "pattern":
      return located(`must match ${String(params["pattern"])}, got ${got}`);
    default:
      return located(`${error.message ?? "is invalid"}, got ${got}`);
  }
}

/**
 * "unknown key" with a suggestion: a near-miss among the keys allowed here, else the same
 * key one to three levels down (`replicas` at service level -> `deploy.replicas`).
 */
function unknownKeyMessage(
  c: Compiled,
  parent: SchemaObject,
  key: string,
  topLevel: boolean,
): string {
  const properties = isMapping(parent["properties"]) ? Object.keys(parent["properties"]) : [];
  const hint = suggest(key, properties) ?? nestedHome(c, parent, key);
  const what = topLevel ? `unknown top-level key "${key}"` : `unknown key "${key}"`;
  return hint === undefined ? what : `${what}, did you mean "${hint}"?`;
}

// Per parent schema: key -> first `a.b.key` found breadth-first, built once, so each
// unknown key costs one map lookup instead of a walk of three schema levels.
const nestedHomes = new WeakMap<SchemaObject, Map<string, string>>();

function nestedHome(c: Compiled, parent: SchemaObject, key: string): string | undefined {
  let index = nestedHomes.get(parent);
  if (index === undefined) nestedHomes.set(parent, (index = nestedHomeIndex(c, parent)));
  return index.get(key);
}

/** The same breadth-first walk a single lookup did, recording the first hit for every key. */
function nestedHomeIndex(c: Compiled, parent: SchemaObject): Map<string, string> {
  const index = new Map<string, string>();
  let level: { schema: SchemaObject; prefix: string }[] = [{ schema: parent, prefix: "" }];
  for (let d = 0; d < 3 && level.length > 0; d++) {
    const next: { schema: SchemaObject; prefix: string }[] = [];
    for (const { schema, prefix } of level) {
      const properties = schema["properties"];
      if (!isMapping(properties)) continue;
      for (const [name, sub] of Object.entries(properties)) {
        const resolved = resolve(c, sub);
        if (!resolved) continue;
        const anyOf = resolved["anyOf"];
        const variants = [
          resolved,
          ...(Array.isArray(anyOf) ? anyOf.map((b) => resolve(c, b)) : []),
        ];
        for (const variant of variants) {
          if (!variant) continue;
          const inner = variant["properties"];
          if (isMapping(inner))
            for (const key of Object.keys(inner))
              if (!index.has(key)) index.set(key, `${prefix}${name}.${key}`);
          next.push({ schema: variant, prefix: `${prefix}${name}.` });
        }
      }
    }
    level = next;
  }
  return index;
}

function valueAt(root: unknown, path: DocPath): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isMapping(node)) node = node[String(segment)];
    else return undefined;
  }
  return node;
}

function positionOf(doc: LoadedDocument, at: DocPath, atKey: boolean): SourcePos | undefined {
  // An empty value (`web:`) has no text of its own to point at; its key does.
  const empty = !atKey && at.length > 0 && valueAt(doc.value, at) == null;
  const exact = (empty ? doc.positionOf(at, true) : undefined) ?? doc.positionOf(at, atKey);
  if (exact) return exact;
  // Values a merge produced may have no position; the nearest located ancestor is the
  // best pointer a user can get.
  for (let n = at.length - 1; n >= 0; n--) {
    const parent = at.slice(0, n);
    const pos = doc.positionOf(parent) ?? doc.positionOf(parent, true);
    if (pos) return pos;
  }
  return undefined;
}

function comparePositions(
  doc: LoadedDocument,
  a: SourcePos | undefined,
  b: SourcePos | undefined,
): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  const fileIndex = (p: SourcePos): number => {
    const i = doc.files.indexOf(p.file);
    return i < 0 ? doc.files.length : i;
  };
  return fileIndex(a) - fileIndex(b) || a.line - b.line || a.col - b.col;
}

function withPos<T extends { readonly pos?: SourcePos }>(
  item: Omit<T, "pos">,
  pos: SourcePos | undefined,
): T {
  return (pos ? { ...item, pos } : item) as T;
}

const IGNORED_SECTIONS: readonly (readonly [string, readonly string[]])[] = [
  ["services", IGNORED_SERVICE_KEYS],
  ["networks", IGNORED_NETWORK_KEYS],
  ["volumes", IGNORED_VOLUME_KEYS],
  ["secrets", IGNORED_SECRET_KEYS],
  ["configs", IGNORED_CONFIG_KEYS],
];

function ignoredKeyWarnings(doc: LoadedDocument): SpecWarning[] {
  const root = doc.value;
  if (!isMapping(root)) return [];
  const out: SpecWarning[] = [];
  const warn = (owner: DocPath, value: unknown, patterns: readonly string[]): void => {
    const hits = findIgnoredKeys(value, patterns);
    if (hits.length === 0) return;
    const keys = [...new Set(hits.map((h) => h.key))].sort();
    const positions = hits.map((h) => positionOf(doc, [...owner, ...h.path], true));
    const first = positions.sort((a, b) => comparePositions(doc, a, b))[0];
    const what = keys.length === 1 ? "a key" : "keys";
    const message =
      owner.length === 0
        ? `the file uses ${keys.length === 1 ? "a top-level key" : "top-level keys"} stack does not act on yet: ${keys.join(", ")}`
        : `uses ${what} stack does not act on yet: ${keys.join(", ")}`;
    out.push(
      withPos<SpecWarning>(
        owner.length === 0 ? { message } : { path: formatPath(owner), message },
        first,
      ),
    );
  };
  warn([], root, IGNORED_TOP_LEVEL_KEYS);
  for (const [section, patterns] of IGNORED_SECTIONS) {
    const entries = root[section];
    if (!isMapping(entries)) continue;
    for (const [name, value] of Object.entries(entries)) warn([section, name], value, patterns);
  }
  return out.sort((a, b) => comparePositions(doc, a.pos, b.pos));
}

/**
 * Validates a loaded document against the stack schema. Returns every problem at once,
 * each located at the offending value (or at the key, for unknown keys) with a message a
 * user can act on, deduplicated and sorted by file position; plus one warning per service,
 * network, volume, secret or config (and one for the top level) naming the compose keys
 * it uses that `stack` does not act on yet. Never throws for bad input.
 */
export function validateDocument(doc: LoadedDocument): ValidationResult {
  const c = getCompiled();
  const raw = collect(c, c.validate, doc.value, []);
  const seen = new Set<string>();
  const issues: SpecIssue[] = [];
  for (const r of raw) {
    const message = r.path.length === 0 && !r.atKey ? `the stack file ${r.message}` : r.message;
    const issue = withPos<SpecIssue>(
      { path: formatPath(r.path), message },
      positionOf(doc, r.at, r.atKey),
    );
    const key = formatIssue(issue);
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  issues.sort((a, b) => comparePositions(doc, a.pos, b.pos));
  return { issues, warnings: ignoredKeyWarnings(doc) };
}
