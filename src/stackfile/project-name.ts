/**
 * The project (stack) name as compose computes it: `-p` > `COMPOSE_PROJECT_NAME` > the
 * files' top-level `name:` (the last file that has one; interpolated, then normalised) > the
 * directory of the first file (normalised).
 */
import { basename } from "node:path";
import { STACK_NAME_PATTERN } from "../model/naming.js";
import { interpolate, type VariableLookup } from "./interpolate.js";
import type { MapNode } from "./yaml-source.js";
import type { StackNameSource } from "./document.js";

export type { StackNameSource };

/** The variable compose reads the project name from, and sets for interpolation. */
export const PROJECT_NAME_VARIABLE = "COMPOSE_PROJECT_NAME";

/**
 * compose's NormalizeProjectName: lowercase, characters other than `a-z 0-9 _ -` removed,
 * leading `_`/`-` trimmed (`My App!` -> `myapp`). May return "".
 */
export function normaliseProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "")
    .replace(/^[_-]+/, "");
}

/** A directory's basename as a project name (see normaliseProjectName). */
export function stackNameFromDirectory(dir: string): string {
  return normaliseProjectName(basename(dir));
}

/** The chosen name and where it came from. */
export interface ProjectName {
  readonly name: string;
  readonly source: StackNameSource;
}

/**
 * Chooses the project name. A name from the command line or `COMPOSE_PROJECT_NAME` is used
 * as given (the semantic checks reject an invalid one, as compose does); `name:` is
 * interpolated with `lookup` and normalised, and one that normalises to "" (say
 * `name: ${UNSET}`) falls back to the directory, as in compose.
 *
 * @param trees the files' parsed (not yet interpolated) trees, in merge order.
 */
export function chooseProjectName(
  trees: readonly MapNode[],
  options: {
    readonly fromCli: string | undefined;
    readonly lookup: VariableLookup;
    readonly workingDir: string;
  },
): ProjectName {
  if (options.fromCli !== undefined) return { name: options.fromCli, source: "command line" };
  const fromEnv = options.lookup(PROJECT_NAME_VARIABLE);
  if (fromEnv !== undefined && fromEnv !== "") return { name: fromEnv, source: "environment" };
  let written: string | undefined;
  for (const tree of trees) {
    const node = tree.entries.get("name")?.value;
    if (node?.kind === "scalar" && typeof node.value === "string") written = node.value;
  }
  if (written !== undefined) {
    const res = interpolate(written, options.lookup);
    // A broken template is reported when the whole file is interpolated.
    const name = res.ok ? normaliseProjectName(res.value) : "";
    if (name !== "") return { name, source: "file" };
  }
  return { name: stackNameFromDirectory(options.workingDir), source: "directory" };
}

/** Whether a name is usable as given (what `-p` and `COMPOSE_PROJECT_NAME` must satisfy). */
export function isValidProjectName(name: string): boolean {
  return STACK_NAME_PATTERN.test(name);
}
