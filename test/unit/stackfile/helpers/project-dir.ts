import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SpecError } from "../../../../src/stackfile/errors.js";
import { loadStack, type LoadStackOptions } from "../../../../src/stackfile/load-stack.js";

/** Writes `files` (paths may have directories) under a fresh temporary directory `name`. */
export function projectDir(name: string, files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "stack-test-")), name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** loadStack of `file` in `dir` with an empty environment unless given. */
export function loadIn(dir: string, extra: Partial<LoadStackOptions> = {}, file = "stack.yml") {
  return loadStack({ files: [file], envFiles: [], cwd: dir, env: {}, ...extra });
}

/** The formatted issues of a load that must fail with a SpecError. */
export async function loadIssues(
  dir: string,
  extra: Partial<LoadStackOptions> = {},
  file = "stack.yml",
): Promise<string[]> {
  const err: unknown = await loadIn(dir, extra, file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SpecError)) throw new Error(`expected a SpecError, got ${String(err)}`);
  return err.message.split("\n");
}
