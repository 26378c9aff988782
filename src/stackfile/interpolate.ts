/**
 * Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `${VAR:+alternative}`, `${VAR+alternative}`, nesting
 * inside the word after the operator (`${A:-${B:-x}}`) and `$$` for a literal `$`.
 *
 * A `$` followed by anything else (`$ b`, `$(date)`, `$1`, a trailing `$`) is kept literally,
 * as compose-go's template matcher leaves it.
 *
 * Differences from compose-go, on purpose: the word after an operator is expanded only when
 * it is used (as a shell does), so `${SET:-${UNSET:?no}}` succeeds and an unused default never
 * warns; `$$` inside a braced word is an escape, not a brace-counting hazard.
 */
import { formatPath } from "./document.js";
import type { SourcePos, SpecIssue } from "../model/types.js";
import { mapNode, scalarNode, seqNode, type MapEntry, type SourceNode } from "./yaml-source.js";

/** Looks a variable up; undefined means unset (an empty string is set). */
export type VariableLookup = (name: string) => string | undefined;

/** The outcome of interpolating one string. */
export type InterpolationResult =
  | {
      readonly ok: true;
      readonly value: string;
      /** Variables used without a default while unset (each once, in order of use). */
      readonly unset: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

class TemplateError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Substitutes variables in one string. Never throws: invalid syntax (`${` unclosed, `${}`,
 * `${VAR:x}`) and a required variable that is
 * missing come back as `{ ok: false, error }` with a message meant for users, e.g.
 * `required variable TAG is missing a value: set TAG`.
 */
export function interpolate(template: string, lookup: VariableLookup): InterpolationResult {
  if (!template.includes("$")) return { ok: true, value: template, unset: [] };
  const unset: string[] = [];
  try {
    const value = expand(template, lookup, unset);
    return { ok: true, value, unset };
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, error: err.message };
    throw err;
  }
}

function shorten(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function invalid(piece: string, reason: string): TemplateError {
  return new TemplateError(`invalid interpolation "${shorten(piece)}": ${reason}`);
}

/** Index of the `}` closing the `${` whose body starts at `from`, or -1. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === "$") {
      const next = s[i + 1];
      if (next === "$") i++;
      else if (next === "{") {
        depth++;
        i++;
      }
    } else if (c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function expand(s: string, lookup: VariableLookup, unset: string[]): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const dollar = s.indexOf("$", i);
    if (dollar < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, dollar);
    const next = s[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const close = closingBrace(s, dollar + 2);
      if (close < 0) throw invalid(s.slice(dollar), 'missing the closing "}"');
      out += braced(s.slice(dollar, close + 1), lookup, unset);
      i = close + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      const name = NAME.exec(s.slice(dollar + 1))![0];
      out += plainValue(name, lookup, unset);
      i = dollar + 1 + name.length;
    } else {
      // Compose keeps a `$` followed by anything else literally (`echo a $ b`, `$(date)`,
      // `awk '{print $1}'`): only `$$`, `$NAME` and `${...}` are templates.
      out += "$";
      i = dollar + 1;
    }
  }
  return out;
}

function plainValue(name: string, lookup: VariableLookup, unset: string[]): string {
  const value = lookup(name);
  if (value === undefined) {
    if (!unset.includes(name)) unset.push(name);
    return "";
  }
  return value;
}

/** Evaluates one `${...}` expression (`piece` includes the braces). */
function braced(piece: string, lookup: VariableLookup, unset: string[]): string {
  const body = piece.slice(2, -1);
  const match = NAME.exec(body);
  if (!match) throw invalid(piece, '"${" must be followed by a variable name');
  const name = match[0];
  const rest = body.slice(name.length);
  if (rest === "") return plainValue(name, lookup, unset);

  let op: string;
  if (rest[0] === ":") {
    op = rest.slice(0, 2);
    if (op !== ":-" && op !== ":?" && op !== ":+") {
      throw invalid(piece, `":" after ${name} must be followed by "-", "?" or "+"`);
    }
  } else {
    op = rest[0]!;
    if (op !== "-" && op !== "?" && op !== "+") {
      throw invalid(piece, `unexpected "${op}" after the variable name ${name}`);
    }
  }
  const word = rest.slice(op.length);
  const value = lookup(name);
  const isSet = value !== undefined;
  const nonEmpty = isSet && value !== "";
  const wordValue = (): string => expand(word, lookup, unset);
  switch (op) {
    case ":-":
      return nonEmpty ? value : wordValue();
    case "-":
      return isSet ? value : wordValue();
    case ":+":
      return nonEmpty ? wordValue() : "";
    case "+":
      return isSet ? wordValue() : "";
    default: {
      // ":?" and "?"
      if (op === ":?" ? nonEmpty : isSet) return value!;
      const message = wordValue();
      throw new TemplateError(
        `required variable ${name} is missing a value${message === "" ? "" : `: ${message}`}`,
      );
    }
  }
}

/** Receives the problems found while interpolating a tree. */
export interface InterpolationSink {
  /** An invalid template or a missing required variable. */
  readonly issue: (issue: SpecIssue) => void;
  /** A variable used without default while unset; called for every use. */
  readonly unset: (name: string, where: { readonly pos: SourcePos; readonly path: string }) => void;
}

/**
 * Interpolates every string scalar value of a tree (mapping keys are left alone), returning a
 * new tree; unchanged subtrees are shared. Values under `x-` extension keys are interpolated
 * too, as compose does, so a required variable in an unused extension still has to be set.
 * A subtree reached through several aliases is interpolated once, and its problems are
 * reported once, at the first path that reaches it.
 */
export function interpolateTree(
  root: SourceNode,
  lookup: VariableLookup,
  sink: InterpolationSink,
): SourceNode {
  const memo = new Map<SourceNode, SourceNode>();
  const walk = (node: SourceNode, path: (string | number)[]): SourceNode => {
    const done = memo.get(node);
    if (done) return done;
    let result: SourceNode = node;
    if (node.kind === "scalar") {
      if (typeof node.value === "string" && node.value.includes("$")) {
        const res = interpolate(node.value, lookup);
        if (res.ok) {
          for (const name of res.unset) {
            sink.unset(name, { pos: node.pos, path: formatPath(path) });
          }
          if (res.value !== node.value) result = scalarNode(res.value, node.pos, node.tag);
        } else {
          sink.issue({ pos: node.pos, path: formatPath(path), message: res.error });
        }
      }
    } else if (node.kind === "seq") {
      let changed = false;
      const items = node.items.map((item, i) => {
        path.push(i);
        const next = walk(item, path);
        path.pop();
        if (next !== item) changed = true;
        return next;
      });
      if (changed) result = seqNode(items, node.pos, node.tag);
    } else {
      let changed = false;
      const entries = new Map<string, MapEntry>();
      for (const [key, entry] of node.entries) {
        path.push(key);
        const value = walk(entry.value, path);
        path.pop();
        if (value !== entry.value) changed = true;
        entries.set(key, value === entry.value ? entry : { keyPos: entry.keyPos, value });
      }
      if (changed) result = mapNode(entries, node.pos, node.tag);
    }
    memo.set(node, result);
    return result;
  };
  return walk(root, []);
}
