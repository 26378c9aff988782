import type { SourcePos, SpecIssue } from "../model/types.js";

/** Most issues reported at once; the rest are counted, so a broken file stays readable. */
export const MAX_REPORTED_ISSUES = 50;

/** Formats a position as `file:line:col`, or an empty string when unknown. */
export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : "";
}

/** Formats one issue as `file:line:col path message` (parts omitted when unknown). */
export function formatIssue(issue: SpecIssue): string {
  return [formatPos(issue.pos), issue.path, issue.message].filter((s) => s !== "").join(" ");
}

/**
 * Invalid user input: the stack file, an env file or the command line. Carries every issue
 * found (bounded by MAX_REPORTED_ISSUES); the CLI prints them and exits with the
 * invalid-input code. Thrown only before any engine call.
 */
export class SpecError extends Error {
  readonly issues: readonly SpecIssue[];
  readonly omitted: number;

  constructor(issues: readonly SpecIssue[]) {
    const shown = issues.slice(0, MAX_REPORTED_ISSUES);
    const omitted = issues.length - shown.length;
    const lines = shown.map(formatIssue);
    if (omitted > 0) lines.push(`... and ${omitted} more problems`);
    super(lines.join("\n"));
    this.name = "SpecError";
    this.issues = shown;
    this.omitted = omitted;
  }
}
