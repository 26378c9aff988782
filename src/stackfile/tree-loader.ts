/**
 * Reads, parses and interpolates the files a stack file points at (`include:` and
 * `extends.file`), caching each file per set of variables so a file named many times is read
 * once.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { formatPath, type DocPath } from "./document.js";
import { SpecError } from "./errors.js";
import { interpolateTree, type VariableLookup } from "./interpolate.js";
import type { SourcePos, SpecIssue, SpecWarning } from "../model/types.js";
import { MAX_SOURCE_BYTES, parseYamlSource, type MapNode } from "./yaml-source.js";

/** A path as shown to users: relative when under cwd, otherwise as the user gave it. */
export function displayName(cwd: string, given: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, given));
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : given;
}

function readProblem(name: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === "ENOENT") return `cannot read ${name}: no such file`;
  if (code === "EISDIR") return `cannot read ${name}: it is a directory`;
  if (code === "EACCES" || code === "EPERM") return `cannot read ${name}: permission denied`;
  return `cannot read ${name}: ${err instanceof Error ? err.message : String(err)}`;
}

/** The "too large" message for a file of `bytes`. */
export function tooLarge(name: string, bytes: number): string {
  return `${name} is ${(bytes / (1024 * 1024)).toFixed(1)} MiB; files over ${MAX_SOURCE_BYTES / (1024 * 1024)} MiB are refused`;
}

/** Reads a file as UTF-8 after checking its size, or returns the problem as a message. */
export async function readTextFile(
  file: string,
  name: string,
): Promise<string | { problem: string; tooLarge?: true; missing?: true }> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return { problem: `cannot read ${name}: it is a directory` };
    if (info.size > MAX_SOURCE_BYTES) return { problem: tooLarge(name, info.size), tooLarge: true };
    return await readFile(file, "utf8");
  } catch (err) {
    const missing = (err as { code?: unknown }).code === "ENOENT";
    return { problem: readProblem(name, err), ...(missing && { missing: true as const }) };
  }
}

/** Where a reference to another file is written, for messages about that file. */
export interface Reference {
  readonly pos?: SourcePos;
  readonly path: DocPath;
}

/**
 * Loads further files into position-carrying trees. Problems are collected in `issues` (and
 * unset variables reported through `unset`) instead of thrown, so one run reports them all.
 */
export class TreeLoader {
  private readonly cache = new Map<VariableLookup, Map<string, MapNode | undefined>>();

  constructor(
    readonly cwd: string,
    readonly issues: SpecIssue[],
    private readonly unset: (variable: string, where: SpecWarning & { pos: SourcePos }) => void,
  ) {}

  /** How `file` (absolute) is named in positions and messages. */
  name(file: string): string {
    return displayName(this.cwd, file);
  }

  /** Parses and interpolates one source text (a file already read, or stdin). */
  parse(text: string, name: string, lookup: VariableLookup): MapNode | undefined {
    let tree: MapNode;
    try {
      tree = parseYamlSource(text, name);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      this.issues.push(...err.issues);
      return undefined;
    }
    return this.interpolate(tree, lookup);
  }

  /** Interpolates a parsed tree with `lookup`, recording problems. */
  interpolate(tree: MapNode, lookup: VariableLookup): MapNode | undefined {
    let ok = true;
    const result = interpolateTree(tree, lookup, {
      issue: (issue) => {
        ok = false;
        this.issues.push(issue);
      },
      unset: (variable, where) =>
        this.unset(variable, {
          ...where,
          message: `variable ${variable} is not set; using an empty string`,
        }),
    });
    return ok ? (result as MapNode) : undefined;
  }

  /**
   * The tree of `file` (absolute) interpolated with `lookup`, or undefined when it cannot be
   * read or parsed; an unreadable file is reported at `ref` (where the file is named).
   */
  async load(file: string, lookup: VariableLookup, ref: Reference): Promise<MapNode | undefined> {
    let perLookup = this.cache.get(lookup);
    if (perLookup === undefined) this.cache.set(lookup, (perLookup = new Map()));
    if (perLookup.has(file)) return perLookup.get(file);
    const name = this.name(file);
    const text = await readTextFile(file, name);
    let tree: MapNode | undefined;
    if (typeof text === "string") tree = this.parse(text, name, lookup);
    else
      this.issues.push({
        ...(ref.pos !== undefined && { pos: ref.pos }),
        path: formatPath(ref.path),
        message: text.problem,
      });
    perLookup.set(file, tree);
    return tree;
  }
}
