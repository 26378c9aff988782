import { pathEscapeWarnings } from "./path-escapes.js";
import type { LoadedDocument } from "./document.js";
import { SpecError } from "./errors.js";
import { loadDocument, type LoadOptions } from "./load-document.js";
import { normalise } from "./normalise.js";
import { stackNameFromDirectory, type StackNameSource } from "./project-name.js";
import { checkStack } from "./semantic-checks.js";
import type { SpecWarning, StackSpec } from "../model/types.js";
import { validateDocument } from "./validate.js";

/**
 * Options of loadStack: where the files are, the stack name from the command line
 * (`stack`, wins over `COMPOSE_PROJECT_NAME`, the files' `name:` and the first file's
 * directory), active `profiles` and explicitly named `services` (see LoadOptions).
 */
export type LoadStackOptions = LoadOptions;

export { stackNameFromDirectory };

/** A loaded, validated, normalised stack and every warning found on the way (not printed). */
export interface LoadedStack {
  readonly spec: StackSpec;
  readonly warnings: readonly SpecWarning[];
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
    providerServices: result.providerServices,
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
  const name = doc.projectName ?? stackNameFromDirectory(doc.workingDir);
  const { spec, warnings } = normaliseAndCheck(doc, name, doc.projectNameSource ?? "directory");
  return {
    spec,
    warnings: [...doc.warnings, ...validation.warnings, ...warnings, ...pathEscapeWarnings(doc)],
  };
}
