import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Document, Node, Pair, YAMLMap } from "yaml";
import type { DocPath, LoadedDocument } from "../../../../src/stackfile/document.js";
import type { SourcePos } from "../../../../src/model/types.js";

/**
 * Builds a LoadedDocument from one YAML text, for tests of code that consumes loaded
 * documents (validation, normalisation) without the real loader: no interpolation, no
 * merging of files. `positionOf` walks the YAML AST, following aliases and `<<` merge
 * keys, and answers with 1-based line and column.
 */
export function docFromYaml(text: string, file = "stack.yml"): LoadedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  if (doc.errors.length > 0)
    throw new Error(`bad test YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
  const value: unknown = doc.toJS({ maxAliasCount: -1 }) ?? null;

  const at = (node: unknown): SourcePos | undefined => {
    const range = (node as { range?: readonly number[] } | null | undefined)?.range;
    if (!range || range[0] === undefined) return undefined;
    const { line, col } = lineCounter.linePos(range[0]);
    return { file, line, col };
  };

  const positionOf = (path: DocPath, key = false): SourcePos | undefined => {
    let node: unknown = doc.contents;
    let keyNode: unknown;
    for (const segment of path) {
      node = deref(doc, node);
      if (isMap(node)) {
        const pair = findPair(doc, node, String(segment));
        if (!pair) return undefined;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        keyNode = undefined;
        node = node.items[segment];
      } else return undefined;
    }
    if (key) return at(keyNode);
    // An empty value (`web:`) has a zero-width node; fall back to its key.
    return at(node) ?? at(keyNode);
  };

  return {
    value,
    positionOf,
    files: [file],
    workingDir: "/work/stack",
    environment: {},
    warnings: [],
  };
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.source === "<<" || String(key.value) === "Symbol(<<)");
}

// Explicit keys win over merged ones; among `<<: [*a, *b]`, the first source wins, as in
// YAML 1.1 merge semantics.
function findPair(doc: Document, map: YAMLMap, key: string): Pair | undefined {
  for (const pair of map.items) {
    if (!isMergeKey(pair.key) && isScalar(pair.key) && String(pair.key.value) === key) return pair;
  }
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const target = deref(doc, source as Node);
      if (isMap(target)) {
        const found = findPair(doc, target, key);
        if (found) return found;
      }
    }
  }
  return undefined;
}
