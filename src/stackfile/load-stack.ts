import { basename } from "node:path";
import { pathEscapeWarnings } from "./path-escapes.js";
import type { LoadedDocument } from "./document.js";
import { SpecError } from "./errors.js";
import { loadDocument, type LoadOptions } from "./load-document.js";
import { normalise } from "./normalise.js";
import { checkStack, type StackNameSource } from "./semantic-checks.js";
import type { SpecWarning, StackSpec } from "../model/types.js";
import { validateDocument } from "./validate.js";

/** Options of loadStack: where the files are, plus an optional stack name. */
export interface LoadStackOptions extends LoadOptions {
  /** Stack name from the command line; wins over the file's `name:`, else the first file's directory basename (lowercased, invalid chars removed like compose). */
  readonly stackName?: string;
}

/** A loaded, validated, normalised stack and every warning found on the way (not printed). */
export interface LoadedStack {
  readonly spec: StackSpec;
  readonly warnings: readonly SpecWarning[];
}

/**
 * Turns a directory name into a stack name the way compose derives a project name:
 * lowercase, characters other than `a-z 0-9 _ -` removed, leading `_`/`-` trimmed
 * (`My App!` -> `myapp`). May return "" (then the semantic check asks for a name).
 */
export function stackNameFromDirectory(dir: string): string {
  return basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "")
    .replace(/^[_-]+/, "");
}

function chooseStackName(
  doc: LoadedDocument,
  fromCli: string | undefined,
): { name: string; source: StackNameSource } {
  if (fromCli !== undefined) return { name: fromCli, source: "command line" };
  const value = doc.value;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const name = (value as Record<string, unknown>)["name"];
    if (typeof name === "string" && name !== "") return { name, source: "file" };
  }
  return { name: stackNameFromDirectory(doc.workingDir), source: "directory" };
}

function normaliseAndCheck(
  doc: LoadedDocument,
  stackName: string,
  source: StackNameSource,
): { spec: StackSpec; warnings: SpecWarning[] } {
  const result = normalise(doc, stackName);
  const checks = checkStack({
    spec: result.spec,
    locate: result.locate,
    positionOf: doc.positionOf,
    inactiveServices: result.inactiveServices,
    stackNameSource: source,
  });
  const issues = [...result.issues, ...checks.issues];
  if (issues.length > 0) throw new SpecError(issues);
  return { spec: result.spec, warnings: [...result.warnings, ...checks.warnings] };
}

/**
 * Normalises an already validated document into a frozen StackSpec named `stackName` and
 * runs the semantic checks; throws SpecError with every located issue when either finds
 * one. Returns the normalisation and check warnings (not the document's own).
 */
export function normaliseDocument(
  doc: LoadedDocument,
  stackName: string,
): { spec: StackSpec; warnings: SpecWarning[] } {
  return normaliseAndCheck(doc, stackName, "command line");
}

/**
 * Loads a stack: read, interpolate and merge the files (loadDocument), validate against the
 * schema, normalise, run the semantic checks. Throws SpecError (every issue located as
 * `file:line:col path message`) before anything touches an engine; returns the spec and the
 * warnings of all stages for the caller to print.
 */
export async function loadStack(options: LoadStackOptions): Promise<LoadedStack> {
  const doc = await loadDocument(options);
  const validation = validateDocument(doc);
  if (validation.issues.length > 0) throw new SpecError(validation.issues);
  const { name, source } = chooseStackName(doc, options.stackName);
  const { spec, warnings } = normaliseAndCheck(doc, name, source);
  return {
    spec,
    warnings: [...doc.warnings, ...validation.warnings, ...warnings, ...pathEscapeWarnings(doc)],
  };
}
