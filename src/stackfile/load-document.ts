import path from "node:path";
import type { LoadedDocument } from "./document.js";
import { parseEnvFile } from "./env-file.js";
import { SpecError } from "./errors.js";
import { applyExtends } from "./extends.js";
import { findStackFiles } from "./find-stack-files.js";
import { applyIncludes } from "./include.js";
import { applyMergeTags, mergeStackTrees } from "./merge.js";
import { activeProfiles, requestedProfiles } from "./profiles.js";
import { chooseProjectName, PROJECT_NAME_VARIABLE } from "./project-name.js";
import { displayName, readTextFile, tooLarge, TreeLoader } from "./tree-loader.js";
import type { SpecIssue, SpecWarning } from "../model/types.js";
import {
  MAX_SOURCE_BYTES,
  parseYamlSource,
  positionIn,
  scalarNode,
  toPlainValue,
  withEntry,
  type MapNode,
} from "./yaml-source.js";

/**
 * What to load and where variables come from. Every field has the command line's default:
 * no files (the default names in `cwd`), no env files, `process.cwd()`, `process.env`.
 */
export interface LoadOptions {
  /** Files, merged in order (`-f`, repeatable); "-" means stdin. Empty: the default names in cwd. */
  readonly files?: readonly string[];
  /** Env files (`--env-file`, in order, later wins), relative to cwd. */
  readonly envFiles?: readonly string[];
  /** Where relative paths start; default `process.cwd()`. */
  readonly cwd?: string;
  /** Variables for interpolation (win over .env and env files); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads stdin when a file is "-" (injected so tests need no real stdin). */
  readonly readStdin?: () => Promise<string>;
  /**
   * What positions and messages call the text `readStdin` returns (default `<stdin>`); the
   * library's `up({ yaml })` names it `<yaml>`.
   */
  readonly stdinName?: string;
  /**
   * Stack name (`-p`, or the NAME of `stack deploy NAME`); wins over
   * `COMPOSE_PROJECT_NAME`, the files' `name:` and the directory.
   */
  readonly stack?: string;
  /** Active profiles (`--profile`, repeatable); when empty, `COMPOSE_PROFILES` decides. */
  readonly profiles?: readonly string[];
  /** Services named explicitly on the command line: each activates its own profiles. */
  readonly services?: readonly string[];
}

/** {@link LoadOptions} with the command line's defaults filled in. */
type ResolvedLoadOptions = LoadOptions &
  Required<Pick<LoadOptions, "files" | "envFiles" | "cwd" | "env">>;

/** `options` with every default filled in (see {@link LoadOptions}). */
export function withLoadDefaults(options: LoadOptions): ResolvedLoadOptions {
  return {
    ...options,
    files: options.files ?? [],
    envFiles: options.envFiles ?? [],
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
  };
}

/** The name stdin gets in positions and messages. */
export const STDIN_NAME = "<stdin>";

interface Source {
  /** As given (`-` for stdin). */
  readonly given: string;
  /** Used in positions and messages. */
  readonly name: string;
  readonly text: string;
}

function readProblem(name: string, err: unknown): string {
  return `cannot read ${name}: ${err instanceof Error ? err.message : String(err)}`;
}

async function readSources(
  options: ResolvedLoadOptions,
  given: readonly string[],
): Promise<Source[]> {
  const issues: SpecIssue[] = [];
  const sources: Source[] = [];
  let stdinUsed = false;
  const stdinName = options.stdinName ?? STDIN_NAME;
  for (const file of given) {
    if (file === "-") {
      if (stdinUsed) {
        issues.push({ path: "", message: 'stdin ("-") can be given only once' });
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
        issues.push({ path: "", message: readProblem(stdinName, err) });
        continue;
      }
      if (Buffer.byteLength(text, "utf8") > MAX_SOURCE_BYTES) {
        issues.push({
          pos: { file: stdinName, line: 1, col: 1 },
          path: "",
          message: tooLarge(stdinName, Buffer.byteLength(text, "utf8")),
        });
        continue;
      }
      sources.push({ given: file, name: stdinName, text });
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
  options: ResolvedLoadOptions,
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
          path: "--env-file",
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
export async function loadDocument(input: LoadOptions): Promise<LoadedDocument> {
  const options = withLoadDefaults(input);
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
  const loader = new TreeLoader(options.cwd, issues, (variable, warning) => {
    if (!unsetSeen.has(variable)) unsetSeen.set(variable, warning);
  });
  // Problems are reported file by file, so a file's YAML errors are kept until its turn.
  const parsed: { source: Source; tree?: MapNode; problems: readonly SpecIssue[] }[] = [];
  for (const source of sources) {
    try {
      parsed.push({ source, tree: parseYamlSource(source.text, source.name), problems: [] });
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      parsed.push({ source, problems: err.issues });
    }
  }

  // compose sets COMPOSE_PROJECT_NAME for interpolation once it knows the project name.
  const project = chooseProjectName(
    parsed.flatMap((p) => (p.tree === undefined ? [] : [p.tree])),
    { fromCli: options.stack, lookup, workingDir },
  );
  const variables: Record<string, string> = {
    ...environment,
    [PROJECT_NAME_VARIABLE]: project.name,
  };
  const lookupAll = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(variables, name) ? variables[name] : undefined;

  const trees: MapNode[] = [];
  for (const { source, tree, problems } of parsed) {
    issues.push(...problems);
    if (tree === undefined) continue;
    const interpolated = loader.interpolate(tree, lookupAll);
    if (interpolated === undefined) continue;
    // Files given on the command line all resolve relative paths against the first one's
    // directory (compose's project directory); included and extended files use their own.
    const file = source.given === "-" ? source.name : path.resolve(options.cwd, source.given);
    const self = { file, dir: workingDir, tree: interpolated };
    const withIncludes = await applyIncludes(self, { loader, env: variables, chain: [] });
    trees.push(await applyExtends({ ...self, tree: withIncludes }, loader, lookupAll));
  }
  if (issues.length > 0) throw new SpecError(issues);
  warnings.push(...unsetSeen.values());

  let merged = applyMergeTags(trees[0]!);
  for (const tree of trees.slice(1)) merged = mergeStackTrees(merged, tree);
  // `stack config` shows the name in use, as `docker compose config` does.
  const nameEntry = merged.entries.get("name");
  if (nameEntry !== undefined)
    merged = withEntry(merged, "name", scalarNode(project.name, nameEntry.value.pos));

  const selection = activeProfiles(
    merged,
    requestedProfiles(options.profiles, lookupAll),
    options.services ?? [],
  );
  if (selection.unknown.length > 0)
    throw new SpecError(
      selection.unknown.map((name) => ({
        path: `services.${name}`,
        message: `no service "${name}" in the stack file`,
      })),
    );

  const root = merged;
  return {
    value: toPlainValue(root),
    positionOf: (docPath, key) => positionIn(root, docPath, key === true),
    files: sources.map((s) => s.given),
    workingDir,
    environment: variables,
    warnings,
    projectName: project.name,
    projectNameSource: project.source,
    profiles: selection.profiles,
  };
}
