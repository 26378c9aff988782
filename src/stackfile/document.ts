import type { SourcePos, SpecWarning } from "../model/types.js";

/** A path into a YAML/JSON document: mapping keys and sequence indexes. */
export type DocPath = readonly (string | number)[];

/**
 * Finds where a value came from. For a mapping key path it returns the position of the
 * value (or of the key when `key` is true, used for "unknown key" errors). After a merge of
 * several files the answer comes from the file that contributed the value.
 */
export type PositionLookup = (path: DocPath, key?: boolean) => SourcePos | undefined;

/**
 * The output of loading: YAML parsed, interpolated and merged across files, still in
 * compose shape (plain JSON values, not yet validated), with positions kept.
 */
export interface LoadedDocument {
  /** Plain JSON value: objects, arrays, strings, numbers, booleans, null. */
  readonly value: unknown;
  readonly positionOf: PositionLookup;
  /** Files in merge order (`-` for stdin), as given (used in messages). */
  readonly files: readonly string[];
  /** Absolute directory of the first file (cwd for stdin): relative paths resolve here. */
  readonly workingDir: string;
  /** Variables available for interpolation, after `.env`, `--env-file` and process env. */
  readonly environment: Readonly<Record<string, string>>;
  readonly warnings: readonly SpecWarning[];
  /** The stack name as compose computes it (see chooseProjectName); absent for hand-made documents. */
  readonly projectName?: string;
  readonly projectNameSource?: StackNameSource;
  /** Active profiles (see profiles.ts); absent means none. */
  readonly profiles?: readonly string[];
}

/** Joins a document path as `services.web.ports[0]` for messages. */
export function formatPath(path: DocPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** Where the stack name came from; decides where a bad name is reported. */
export type StackNameSource = "command line" | "environment" | "file" | "directory";
