/**
 * YAML text -> a position-carrying tree of plain values.
 *
 * We walk yaml's AST ourselves instead of calling `toJS()` for three reasons: every node keeps
 * the `file:line:col` it came from (keys too), aliases become shared subtrees instead of copies
 * (so a file that reuses one anchor in hundreds of places stays cheap), and the expanded size
 * of the document is known before anything is expanded, so an alias bomb is refused in
 * microseconds. yaml's own `maxAliasCount` (used only by `toJS`) is not a fit: it rejects an
 * anchor once `uses x nested aliases` exceeds the limit (100 by default), which refuses the
 * ordinary "500 services each `<<: *defaults`" file, while disabling it (-1) leaves bombs open.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parse as parseYaml,
  Scalar,
  type CollectionTag,
  type Node as YamlNode,
  type ScalarTag,
  type YAMLError,
} from "yaml";
import { SpecError } from "./errors.js";
import { formatPath, type DocPath } from "./document.js";
import type { SourcePos, SpecIssue } from "../model/types.js";

/** Compose's merge tags: `!reset` drops an inherited value, `!override` replaces it whole. */
export type MergeTag = "reset" | "override";

interface SourceNodeBase {
  /** Where the value starts (for a missing value: where its key is). */
  readonly pos: SourcePos;
  readonly tag?: MergeTag;
  /** Number of nodes this subtree expands to (aliases counted at every use). */
  readonly size: number;
}

/** A mapping; keys are strings, kept in source order. */
export interface MapNode extends SourceNodeBase {
  readonly kind: "map";
  readonly entries: ReadonlyMap<string, MapEntry>;
}

/** One key of a mapping with the position of the key itself. */
export interface MapEntry {
  readonly keyPos: SourcePos;
  readonly value: SourceNode;
}

/** A sequence. */
export interface SeqNode extends SourceNodeBase {
  readonly kind: "seq";
  readonly items: readonly SourceNode[];
}

/** A scalar, already resolved by the YAML 1.2 core schema. */
export interface ScalarNode extends SourceNodeBase {
  readonly kind: "scalar";
  readonly value: string | number | boolean | null;
}

/**
 * A YAML value with source positions. Trees are immutable and may share subtrees (aliases),
 * so code that rewrites a tree must not assume a node has a single parent.
 */
export type SourceNode = MapNode | SeqNode | ScalarNode;

/** Files above this size are refused before parsing (10 MiB). */
export const MAX_SOURCE_BYTES = 10 * 1024 * 1024;

/**
 * Most nodes one document may expand to once aliases are followed. Real files stay far below
 * (1,000 services with a dozen keys each is ~50,000); a 10-level "billion laughs" is ~10^9.
 */
export const MAX_EXPANDED_NODES = 1_000_000;

/**
 * Deepest nesting accepted (mappings and sequences inside each other). Real stack files stay
 * under 15; the limit keeps every recursive step after parsing (merge, interpolation,
 * validation) far from the call-stack limit, so a hostile file is a located error, not a
 * crash.
 */
export const MAX_NESTING_DEPTH = 200;

/** Builds a mapping node, computing its expanded size. */
export function mapNode(
  entries: ReadonlyMap<string, MapEntry>,
  pos: SourcePos,
  tag?: MergeTag,
): MapNode {
  let size = 1;
  for (const entry of entries.values()) size += entry.value.size;
  return tag ? { kind: "map", entries, pos, size, tag } : { kind: "map", entries, pos, size };
}

/** Builds a sequence node, computing its expanded size. */
export function seqNode(items: readonly SourceNode[], pos: SourcePos, tag?: MergeTag): SeqNode {
  let size = 1;
  for (const item of items) size += item.size;
  return tag ? { kind: "seq", items, pos, size, tag } : { kind: "seq", items, pos, size };
}

/** Builds a scalar node. */
export function scalarNode(
  value: string | number | boolean | null,
  pos: SourcePos,
  tag?: MergeTag,
): ScalarNode {
  return tag
    ? { kind: "scalar", value, pos, size: 1, tag }
    : { kind: "scalar", value, pos, size: 1 };
}

// The tags only mark nodes; their values resolve like untagged ones (see plainScalar below).
const mergeTags: (ScalarTag | CollectionTag)[] = [];
for (const name of ["!reset", "!override"]) {
  mergeTags.push({ tag: name, resolve: (value: string) => value });
  mergeTags.push({ tag: name, collection: "map", resolve: (coll) => coll });
  mergeTags.push({ tag: name, collection: "seq", resolve: (coll) => coll });
}

/**
 * `mode: 0440` is octal to compose (go-yaml reads a leading 0 as octal, as Go's ParseInt with
 * base 0 does), and the compose spec writes file modes that way; YAML 1.2's core schema would
 * read 440. `0o440` works either way.
 */
const legacyOctal: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  default: true,
  test: /^0[0-7]+$/,
  resolve: (text: string) => parseInt(text, 8),
  identify: () => false,
};

const YAML_HINTS: Readonly<Record<string, string>> = {
  BLOCK_AS_IMPLICIT_KEY: ' (quote a value that contains ": ")',
  TAB_AS_INDENT: " (indent with spaces)",
};

class LoadAbort extends Error {}

/**
 * Parses one stack file into a position-carrying mapping tree.
 *
 * Throws SpecError listing every problem found: YAML syntax errors, duplicate keys, unknown
 * anchors, unsupported tags, several documents in one file, a top level that is not a
 * mapping, a file over MAX_SOURCE_BYTES, or aliases expanding beyond MAX_EXPANDED_NODES.
 * YAML 1.1 merge keys (`<<: *anchor`, `<<: [*a, *b]`) are applied: keys written in the mapping
 * win over merged ones, and earlier merge sources win over later ones. Values keep the
 * position where they are written, so a merged-in key points at the anchor's definition.
 *
 * @param file the name used in positions and messages (e.g. `stack.yml`).
 */
export function parseYamlSource(text: string, file: string): MapNode {
  if (text.length > MAX_SOURCE_BYTES / 4) {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > MAX_SOURCE_BYTES) throw new SpecError([oversizedIssue(file, bytes)]);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const lineCounter = new LineCounter();
  const at = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const docs = parseDocuments(text, lineCounter, file);

  const issues: SpecIssue[] = [];
  const yamlIssue = (err: YAMLError): SpecIssue =>
    // The parser reports its own stack exhaustion on very deep nesting as an error.
    /call stack/i.test(err.message)
      ? tooDeepIssue(file, at(err.pos[0]))
      : { pos: at(err.pos[0]), path: "", message: readableYamlMessage(err) };
  const first = docs[0];
  if (!first || first.contents === null) {
    throw new SpecError([
      {
        pos: { file, line: 1, col: 1 },
        path: "",
        message: "the file is empty; expected a mapping with at least `services:`",
      },
    ]);
  }
  for (const doc of docs) {
    for (const err of doc.errors) issues.push(yamlIssue(err));
    // Unknown tags are only warnings to yaml; an ignored `!reste` would silently merge.
    for (const warning of doc.warnings) {
      if (warning.code === "TAG_RESOLVE_FAILED") {
        const tag = /: (\S+)$/.exec(warning.message)?.[1] ?? "";
        issues.push({
          ...yamlIssue(warning),
          message: `unknown tag ${tag}; only !reset and !override are supported`,
        });
      }
    }
  }
  const second = docs[1];
  if (second) {
    issues.push({
      pos: at(second.range[0]),
      path: "",
      message: "a stack file must hold one YAML document; found a second one here (after ---)",
    });
  }
  if (issues.length > 0) throw new SpecError(issues);

  const converter = new Converter(at, issues);
  let root: SourceNode;
  try {
    root = converter.convert(first.contents, []);
  } catch (err) {
    if (err instanceof LoadAbort) throw new SpecError(issues);
    throw err;
  }
  if (issues.length > 0) throw new SpecError(issues);
  if (root.kind !== "map") {
    throw new SpecError([
      {
        pos: root.pos,
        path: "",
        message: `the top level must be a mapping (services:, networks:, ...), not ${describeKind(root)}`,
      },
    ]);
  }
  return root;
}

function oversizedIssue(file: string, bytes: number): SpecIssue {
  const mib = (bytes / (1024 * 1024)).toFixed(1);
  return {
    pos: { file, line: 1, col: 1 },
    path: "",
    message: `the file is ${mib} MiB; stack files over ${MAX_SOURCE_BYTES / (1024 * 1024)} MiB are refused`,
  };
}

function parseDocuments(text: string, lineCounter: LineCounter, file: string) {
  try {
    return parseAllDocuments(text, {
      lineCounter,
      merge: true,
      uniqueKeys: false, // reported below with the document path and both positions
      prettyErrors: false,
      customTags: (tags) => [legacyOctal, ...tags, ...mergeTags],
    });
  } catch (err) {
    // The yaml parser recurses once per nesting level: a file nested a few thousand levels
    // deep can exhaust the call stack inside it ("Maximum call stack size exceeded").
    if (err instanceof RangeError) throw new SpecError([tooDeepIssue(file, undefined)]);
    throw err;
  }
}

function tooDeepIssue(file: string, pos: SourcePos | undefined): SpecIssue {
  return {
    pos: pos ?? { file, line: 1, col: 1 },
    path: "",
    message: `the document nests mappings and lists more than ${MAX_NESTING_DEPTH} levels deep; refusing to load it`,
  };
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function readableYamlMessage(err: YAMLError): string {
  // Without prettyErrors the message carries no "at line..." suffix; positions come from us.
  const text = lowerFirst(err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""));
  return `invalid YAML: ${text}${YAML_HINTS[err.code] ?? ""}`;
}

function describeKind(node: SourceNode): string {
  if (node.kind === "seq") return "a sequence";
  if (node.kind === "map") return "a mapping";
  if (node.value === null) return "null";
  return `a ${typeof node.value} (${JSON.stringify(node.value)})`;
}

const IN_PROGRESS: unique symbol = Symbol("in progress");

/** Turns a yaml AST into SourceNodes; aliases resolve to the already converted anchor. */
class Converter {
  private readonly anchors = new Map<string, SourceNode | typeof IN_PROGRESS>();

  constructor(
    private readonly at: (offset: number) => SourcePos,
    private readonly issues: SpecIssue[],
  ) {}

  convert(node: unknown, path: DocPath, fallbackPos?: SourcePos): SourceNode {
    if (node === null || node === undefined) {
      return scalarNode(null, fallbackPos ?? this.at(0));
    }
    if (isAlias(node)) {
      const target = this.anchors.get(node.source);
      const pos = this.at(node.range?.[0] ?? 0);
      if (target === undefined) {
        this.issues.push({
          pos,
          path: formatPath(path),
          message: `alias *${node.source} refers to no anchor &${node.source} defined before it`,
        });
        return scalarNode(null, pos);
      }
      if (target === IN_PROGRESS) {
        this.issues.push({
          pos,
          path: formatPath(path),
          message: `alias *${node.source} refers to a node that contains it`,
        });
        return scalarNode(null, pos);
      }
      return target;
    }
    const yamlNode = node as YamlNode;
    if (path.length > MAX_NESTING_DEPTH) {
      const pos = this.at(yamlNode.range?.[0] ?? 0);
      this.issues.push({ ...tooDeepIssue(pos.file, pos), path: formatPath(path.slice(0, 5)) });
      throw new LoadAbort();
    }
    const anchor = yamlNode.anchor;
    if (anchor) this.anchors.set(anchor, IN_PROGRESS);
    const result = this.convertNode(yamlNode, path);
    if (anchor) this.anchors.set(anchor, result);
    if (result.size > MAX_EXPANDED_NODES) {
      this.issues.push({
        pos: result.pos,
        path: formatPath(path),
        message: `aliases expand this document beyond ${MAX_EXPANDED_NODES} nodes; refusing to load it (an alias bomb?)`,
      });
      throw new LoadAbort();
    }
    return result;
  }

  private convertNode(node: YamlNode, path: DocPath): SourceNode {
    const pos = this.at(node.range?.[0] ?? 0);
    const tag = mergeTagOf(node.tag);
    if (isScalar(node)) return scalarNode(plainScalar(node, tag !== undefined), pos, tag);
    if (isSeq(node)) {
      const items = node.items.map((item, i) => this.convert(item, [...path, i], pos));
      return seqNode(items, pos, tag);
    }
    if (isMap(node)) return this.convertMap(node.items, pos, tag, path);
    return scalarNode(null, pos, tag);
  }

  private convertMap(
    pairs: readonly unknown[],
    pos: SourcePos,
    tag: MergeTag | undefined,
    path: DocPath,
  ): MapNode {
    const entries = new Map<string, MapEntry>();
    const explicit = new Map<string, SourcePos>();
    const mergeSources: MapNode[] = [];
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      if (isScalar(keyNode) && typeof keyNode.value === "symbol") {
        this.collectMergeSources(pair.value, path, mergeSources);
        continue;
      }
      const keyPos = keyNode && isScalar(keyNode) ? this.at(keyNode.range?.[0] ?? 0) : pos;
      const key = this.keyText(keyNode, keyPos, path);
      if (key === undefined) continue;
      const firstPos = explicit.get(key);
      if (firstPos) {
        this.issues.push({
          pos: keyPos,
          path: formatPath([...path, key]),
          message: `duplicate key "${key}" (first defined at line ${firstPos.line}, column ${firstPos.col})`,
        });
        continue;
      }
      explicit.set(key, keyPos);
      const value = this.convert(pair.value, [...path, key], keyPos);
      entries.set(key, { keyPos, value });
    }
    // Merged keys are appended after the explicit ones; explicit keys always win.
    for (const source of mergeSources) {
      for (const [key, entry] of source.entries) {
        if (!entries.has(key)) entries.set(key, entry);
      }
    }
    return mapNode(entries, pos, tag);
  }

  private collectMergeSources(value: unknown, path: DocPath, out: MapNode[]): void {
    const where = formatPath([...path, "<<"]);
    const converted = this.convert(value, [...path, "<<"]);
    const sources = converted.kind === "seq" ? converted.items : [converted];
    for (const source of sources) {
      if (source.kind === "map") out.push(source);
      else {
        this.issues.push({
          pos: source.pos,
          path: where,
          message: "the merge key << takes a mapping, an alias of one, or a list of them",
        });
      }
    }
  }

  private keyText(keyNode: unknown, keyPos: SourcePos, path: DocPath): string | undefined {
    if (isScalar(keyNode)) {
      const value = keyNode.value;
      if (typeof value === "string") return value;
      // compose rejects `80: x`, `true: x` and `null: x` ("non-string key"): YAML reads them as
      // a number, a boolean or null, and the file means something else with each reading.
      if (typeof value === "number" || typeof value === "boolean" || value === null) {
        const text = keyNode.source ?? String(value);
        this.issues.push({
          pos: keyPos,
          path: formatPath([...path, String(text)]),
          message: `mapping keys must be strings; ${String(text)} reads as ${value === null ? "null" : `a ${typeof value}`}: quote it ("${String(text)}")`,
        });
        return undefined;
      }
    }
    this.issues.push({
      pos: keyPos,
      path: formatPath(path),
      message: "mapping keys must be plain strings (no empty, complex or alias keys)",
    });
    return undefined;
  }
}

function mergeTagOf(tag: string | undefined): MergeTag | undefined {
  if (tag === "!reset") return "reset";
  if (tag === "!override") return "override";
  return undefined;
}

/** A scalar as a JSON value; a plain scalar under our tags resolves like an untagged one. */
function plainScalar(node: Scalar, tagged: boolean): string | number | boolean | null {
  let value: unknown = node.value;
  if (tagged && node.type === Scalar.PLAIN && typeof value === "string") {
    value = value === "" ? null : resolvePlain(value);
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    // .inf and .nan have no JSON form; keep the text so validation can name it.
    return Number.isFinite(value) ? value : (node.source ?? String(value));
  }
  return node.source ?? String(value);
}

function resolvePlain(text: string): unknown {
  try {
    const value: unknown = parseYaml(text);
    return typeof value === "object" && value !== null ? text : value;
  } catch {
    return text;
  }
}

/**
 * Converts a tree to plain JSON values (objects, arrays, strings, numbers, booleans, null).
 * Shared subtrees are copied, so callers may treat the result as an ordinary tree.
 */
export function toPlainValue(node: SourceNode): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toPlainValue);
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [key, entry] of node.entries) {
        // A `__proto__` key must become data, not the object's prototype.
        Object.defineProperty(out, key, {
          value: toPlainValue(entry.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
  }
}

/**
 * Finds the position of the value at `path` (or of its key when `key` is true and the last
 * step is a mapping key; a sequence item's "key" is the item itself). A path that runs past
 * the tree answers with its deepest existing node, so "missing property" style issues still
 * point somewhere useful. Indexes may be given as numbers or digit strings.
 */
export function positionIn(root: SourceNode, path: DocPath, key = false): SourcePos {
  let node: SourceNode = root;
  let keyPos: SourcePos | undefined;
  for (const step of path) {
    let next: SourceNode | undefined;
    keyPos = undefined;
    if (node.kind === "map") {
      const entry = node.entries.get(String(step));
      if (entry) {
        next = entry.value;
        keyPos = entry.keyPos;
      }
    } else if (node.kind === "seq") {
      const index = typeof step === "number" ? step : /^\d+$/.test(step) ? Number(step) : -1;
      next = index >= 0 ? node.items[index] : undefined;
    }
    if (!next) return node.pos;
    node = next;
  }
  return key && keyPos ? keyPos : node.pos;
}

/** A copy of `map` with `key` set to `value` (kept in place when present, else appended). */
export function withEntry(
  map: MapNode,
  key: string,
  value: SourceNode,
  keyPos?: SourcePos,
): MapNode {
  const entries = new Map(map.entries);
  const old = entries.get(key);
  entries.set(key, { keyPos: keyPos ?? old?.keyPos ?? value.pos, value });
  return mapNode(entries, map.pos, map.tag);
}

/** A copy of `map` without `key` (the same object when it has none). */
export function withoutEntry(map: MapNode, key: string): MapNode {
  if (!map.entries.has(key)) return map;
  const entries = new Map(map.entries);
  entries.delete(key);
  return mapNode(entries, map.pos, map.tag);
}

/** The mapping at `key` of `map`, when there is one. */
export function mapAt(map: MapNode, key: string): MapNode | undefined {
  const value = map.entries.get(key)?.value;
  return value?.kind === "map" ? value : undefined;
}
