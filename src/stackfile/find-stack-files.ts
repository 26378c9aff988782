import { stat } from "node:fs/promises";
import path from "node:path";
import { SpecError } from "./errors.js";
import type { SpecWarning } from "../model/types.js";

/** File names looked for, in order, when no `-c` is given. */
export const DEFAULT_STACK_FILE_NAMES = [
  "stack.yml",
  "stack.yaml",
  "compose.yaml",
  "compose.yml",
  "docker-compose.yaml",
  "docker-compose.yml",
] as const;

/** The files to load when none were named, relative to the directory searched. */
export interface FoundStackFiles {
  /** The stack file, then its override file when there is one. */
  readonly files: readonly string[];
  /** E.g. several candidate names exist and only the first is used. */
  readonly warnings: readonly SpecWarning[];
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `compose.yaml` -> [`compose.override.yaml`, `compose.override.yml`]. */
function overrideNames(name: string): string[] {
  const ext = path.extname(name);
  const stem = name.slice(0, -ext.length);
  const other = ext === ".yml" ? ".yaml" : ".yml";
  return [`${stem}.override${ext}`, `${stem}.override${other}`];
}

/**
 * Finds the stack file in `dir`: the first existing name of DEFAULT_STACK_FILE_NAMES, then
 * the override file with the same stem (`stack.override.yml`, `compose.override.yaml`,
 * `docker-compose.override.yml`, either extension), which is merged after it as compose does.
 * Only `dir` is searched, not its parents. Throws SpecError naming the directory and every
 * name tried when none exists.
 */
export async function findStackFiles(dir: string): Promise<FoundStackFiles> {
  const present: string[] = [];
  for (const name of DEFAULT_STACK_FILE_NAMES) {
    if (await isFile(path.join(dir, name))) present.push(name);
  }
  const main = present[0];
  if (main === undefined) {
    throw new SpecError([
      {
        path: "",
        message: `no stack file in ${dir} (tried ${DEFAULT_STACK_FILE_NAMES.join(", ")}): name the file to use (-f FILE on the command line)`,
      },
    ]);
  }
  const warnings: SpecWarning[] = [];
  if (present.length > 1) {
    warnings.push({
      message: `found several stack files (${present.join(", ")}); using ${main}`,
    });
  }
  const files = [main];
  for (const name of overrideNames(main)) {
    if (await isFile(path.join(dir, name))) {
      files.push(name);
      break;
    }
  }
  return { files, warnings };
}
