import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { LoadedDocument } from "./document.js";
import { parseEnvFile } from "./env-file.js";
import { SpecError } from "./errors.js";
import { findStackFiles } from "./find-stack-files.js";
import { interpolateTree } from "./interpolate.js";
import { applyMergeTags, mergeStackTrees } from "./merge.js";
import type { SpecIssue, SpecWarning } from "../model/types.js";
import {
  MAX_SOURCE_BYTES,
  parseYamlSource,
  positionIn,
  toPlainValue,
  type MapNode,
} from "./yaml-source.js";

/** What to load and where variables come from. */
export interface LoadOptions {
  /** Files as given with -c (repeatable, merged in order); "-" means stdin. Empty -> find defaults in cwd. */
  readonly files: readonly string[];
  /** --env-file paths (in order, later wins), relative to cwd. */
  readonly envFiles: readonly string[];
  readonly cwd: string;
  /** Process environment (wins over .env and --env-file). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads stdin when a file is "-" (injected so tests need no real stdin). */
  readonly readStdin?: () => Promise<string>;
}

/** The name stdin gets in positions and messages. */
export const STDIN_NAME = "<stdin>";

/** A path as shown to users: relative when under cwd, otherwise as the user gave it. */
function displayName(cwd: string, given: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, given));
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : given;
}

interface Source {
  /** As given (`-` for stdin). */
  readonly given: string;
  /** Used in positions and messages. */
  readonly name: string;
  readonly text: string;
}

function readProblem(name: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === "ENOENT") return `cannot read ${name}: no such file`;
  if (code === "EISDIR") return `cannot read ${name}: it is a directory`;
  if (code === "EACCES" || code === "EPERM") return `cannot read ${name}: permission denied`;
  return `cannot read ${name}: ${err instanceof Error ? err.message : String(err)}`;
}

function tooLarge(name: string, bytes: number): string {
  return `${name} is ${(bytes / (1024 * 1024)).toFixed(1)} MiB; files over ${MAX_SOURCE_BYTES / (1024 * 1024)} MiB are refused`;
}

/** Reads a file as UTF-8 after checking its size, or returns the problem as a message. */
async function readTextFile(
  file: string,
  name: string,
): Promise<string | { problem: string; tooLarge?: true }> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return { problem: `cannot read ${name}: it is a directory` };
    if (info.size > MAX_SOURCE_BYTES) return { problem: tooLarge(name, info.size), tooLarge: true };
    return await readFile(file, "utf8");
  } catch (err) {
    return { problem: readProblem(name, err) };
  }
}

async function readSources(options: LoadOptions, given: readonly string[]): Promise<Source[]> {
  const issues: SpecIssue[] = [];
  const sources: Source[] = [];
  let stdinUsed = false;
  for (const file of given) {
    if (file === "-") {
      if (stdinUsed) {
        issues.push({ path: "", message: 'stdin ("-") can be given only once with -c' });
        continue;
      }
      stdinUsed = true;
      if (!options.readStdin) {
        issues.push({
          path: "",
          message: 'reading the stack from stdin ("-c -") is not available here',
        });
        continue;
      }
      let text: string;
      try {
        text = await options.readStdin();
      } catch (err) {
        issues.push({ path: "", message: readProblem(STDIN_NAME, err) });
        continue;
      }
      if (Buffer.byteLength(text, "utf8") > MAX_SOURCE_BYTES) {
        issues.push({
          pos: { file: STDIN_NAME, line: 1, col: 1 },
          path: "",
          message: tooLarge(STDIN_NAME, Buffer.byteLength(text, "utf8")),
        });
        continue;
      }
      sources.push({ given: file, name: STDIN_NAME, text });
      continue;
    }
    const name = displayName(options.cwd, file);
    const text = await readTextFile(path.resolve(options.cwd, file), name);
    if (typeof text === "string") sources.push({ given: file, name, text });
    // An oversized file is refused unread; `file:1:1` still points editors and CI at it.
    else
      issues.push({
        ...(text.tooLarge && { pos: { file: name, line: 1, col: 1 } }),
        path: "",
        message: text.problem,
      });
  }
  if (issues.length > 0) throw new SpecError(issues);
  return sources;
}

/**
 * Variables for interpolation. Precedence: process env > `--env-file` files (later wins) >
 * `.env` in `projectDir`. As in compose, naming any `--env-file` means the default `.env` is
 * not read at all. A missing `--env-file` is an error; a missing `.env` is not. Inside an env
 * file, `${X}` resolves to X defined earlier in the same file, then the process env, then
 * earlier env files.
 */
async function loadEnvironment(
  options: LoadOptions,
  projectDir: string,
  issues: SpecIssue[],
): Promise<Record<string, string>> {
  const processEnv = new Map<string, string>();
  for (const [key, value] of Object.entries(options.env)) {
    if (value !== undefined) processEnv.set(key, value);
  }
  const fromFiles = new Map<string, string>();
  const lookup = (name: string): string | undefined => processEnv.get(name) ?? fromFiles.get(name);
  const absorb = (text: string, name: string): void => {
    try {
      for (const [k, v] of Object.entries(parseEnvFile(text, name, lookup))) fromFiles.set(k, v);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      issues.push(...err.issues);
    }
  };
  if (options.envFiles.length > 0) {
    for (const file of options.envFiles) {
      const name = displayName(options.cwd, file);
      const text = await readTextFile(path.resolve(options.cwd, file), name);
      if (typeof text === "string") absorb(text, name);
      else
        issues.push({
          path: "",
          message: text.problem.replace("cannot read", "cannot read env file"),
        });
    }
  } else {
    const dotenv = path.join(projectDir, ".env");
    const name = displayName(options.cwd, dotenv);
    const text = await readTextFile(dotenv, name);
    if (typeof text === "string") absorb(text, name);
    else if (!text.problem.endsWith("no such file") && !text.problem.endsWith("a directory")) {
      issues.push({ path: "", message: text.problem });
    }
  }
  return Object.fromEntries([...fromFiles, ...processEnv]);
}

/**
 * Loads the stack files into one compose document, not yet validated. Steps: find the
 * default files when none are named (DEFAULT_STACK_FILE_NAMES in cwd plus the matching
 * override file); read each (stdin for `-`); build the variables (see LoadOptions.env and
 * the env-file rules: process env > `--env-file` > `.env` beside the first file, and a given
 * `--env-file` disables `.env`); parse each file as YAML keeping positions; interpolate each
 * file on its own so positions stay right; merge them in order by compose's rules.
 *
 * Throws SpecError carrying every problem found across all files (each `file:line:col
 * path message`), never a raw exception. An unset variable used without a default becomes an
 * empty string and yields one warning per variable, at its first use. Top-level `name:` and
 * `version:` are kept as written. Positions use paths relative to cwd for files under it,
 * and `<stdin>` for stdin.
 */
export async function loadDocument(options: LoadOptions): Promise<LoadedDocument> {
  const warnings: SpecWarning[] = [];
  let given = options.files;
  if (given.length === 0) {
    const found = await findStackFiles(options.cwd);
    given = found.files;
    warnings.push(...found.warnings);
  }
  const sources = await readSources(options, given);
  const first = sources[0]!;
  const workingDir =
    first.given === "-"
      ? path.resolve(options.cwd)
      : path.dirname(path.resolve(options.cwd, first.given));

  const issues: SpecIssue[] = [];
  const environment = await loadEnvironment(options, workingDir, issues);
  const lookup = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(environment, name) ? environment[name] : undefined;

  const unsetSeen = new Map<string, SpecWarning>();
  const trees: MapNode[] = [];
  for (const source of sources) {
    let tree: MapNode;
    try {
      tree = parseYamlSource(source.text, source.name);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      issues.push(...err.issues);
      continue;
    }
    const interpolated = interpolateTree(tree, lookup, {
      issue: (issue) => issues.push(issue),
      unset: (variable, where) => {
        if (!unsetSeen.has(variable)) {
          unsetSeen.set(variable, {
            ...where,
            message: `variable ${variable} is not set; using an empty string`,
          });
        }
      },
    });
    trees.push(interpolated as MapNode);
  }
  if (issues.length > 0) throw new SpecError(issues);
  warnings.push(...unsetSeen.values());

  let merged = applyMergeTags(trees[0]!);
  for (const tree of trees.slice(1)) merged = mergeStackTrees(merged, tree);

  const root = merged;
  return {
    value: toPlainValue(root),
    positionOf: (docPath, key) => positionIn(root, docPath, key === true),
    files: sources.map((s) => s.given),
    workingDir,
    environment,
    warnings,
  };
}
