/**
 * Which stack (and which of its services) a command means, as compose finds the project:
 * `-p NAME`, else `COMPOSE_PROJECT_NAME`, the stack file's `name:`, else the file's
 * directory; the file is the one named with `-f`/`-c`, else the default names in the working
 * directory. The forms from before the project name existed keep working: `stack ps NAME`,
 * `stack logs NAME SERVICE`, `stack rm NAME...`.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { loadDocument } from "../stackfile/load-document.js";
import { DEFAULT_STACK_FILE_NAMES } from "../stackfile/find-stack-files.js";
import { loadStack } from "../stackfile/load-stack.js";
import { PROJECT_NAME_VARIABLE } from "../stackfile/project-name.js";
import type { SpecWarning, StackSpec } from "../model/types.js";
import type { LoadStackOptions } from "../stackfile/load-stack.js";
import { EXIT } from "./exit-codes.js";
import { CliExit } from "./handle-error.js";
import type { Command } from "commander";
import { formatWarning } from "../api/deploy.js";
import { checkStackName, loadOptions, stackInput, type StackInput } from "./options.js";

/**
 * How a command reads its positional arguments:
 * - `services`: all are services (`exec SERVICE`, `port SERVICE`, `run SERVICE`);
 * - `name-then-services`: without `-p`, a first argument that is not a service of the stack
 *   file is the stack name (`stack ps NAME`), the rest are services;
 * - `names`: all are stack names (`stack rm NAME...`).
 */
export type ArgumentForm = "services" | "name-then-services" | "names";

/** The stack a command works on. */
export interface StackTarget {
  /** The stack names (one, except for `names` with several arguments). */
  readonly stacks: readonly string[];
  /** Services named on the command line (checked against the file when it was read). */
  readonly services: readonly string[];
  /** The loaded stack file, when there is one (or `needFile` asked for it). */
  readonly spec?: StackSpec;
  readonly warnings: readonly SpecWarning[];
  /** How to load the stack file again (deploy, run), with the stack name and services set. */
  readonly load: LoadStackOptions;
}

async function defaultFilePresent(cwd: string): Promise<boolean> {
  for (const name of DEFAULT_STACK_FILE_NAMES) {
    try {
      await access(path.join(cwd, name));
      return true;
    } catch {
      // try the next name
    }
  }
  return false;
}

/** The service keys of the stack file (every profile), or undefined when there is no file. */
async function fileServices(
  load: LoadStackOptions,
  explicit: boolean,
): Promise<readonly string[] | undefined> {
  if (!explicit && !(await defaultFilePresent(load.cwd ?? process.cwd()))) return undefined;
  const doc = await loadDocument({ ...load, services: [] });
  const services = (doc.value as { services?: unknown }).services;
  return typeof services === "object" && services !== null ? Object.keys(services) : [];
}

/**
 * Resolves the stack of a command from its stack options and positional `args`; reads the
 * stack file when one is named or present (`needFile`: it must be). A named service must be
 * in the file when the file was read (exit 2 otherwise); without the file the engine decides.
 */
export async function resolveTarget(
  input: StackInput,
  args: readonly string[],
  form: ArgumentForm,
  options: { readonly needFile?: boolean } = {},
): Promise<StackTarget> {
  const base = loadOptions(input);
  const explicit = input.files.length > 0;
  let known: readonly string[] | undefined;
  let unreadable: unknown;
  try {
    known = await fileServices(base, explicit);
  } catch (err) {
    // A broken default file must not break `stack ps NAME`; it is reported when needed.
    if (explicit || options.needFile === true) throw err;
    unreadable = err;
  }
  if (known === undefined && options.needFile === true)
    // The loader says which names it tried and how to name one.
    await loadDocument(base);

  let stacks: string[] = [];
  let services: string[] = [];
  if (form === "names") {
    stacks = [...args];
  } else if (input.projectName !== undefined) {
    services = [...args];
  } else if (
    form === "name-then-services" &&
    args[0] !== undefined &&
    (known === undefined || !known.includes(args[0]))
  ) {
    stacks = [args[0]];
    services = args.slice(1);
  } else {
    services = [...args];
  }
  for (const s of stacks) checkStackName(s);
  if (input.projectName !== undefined && stacks.length > 0 && stacks[0] !== input.projectName)
    throw new CliExit(
      EXIT.invalidInput,
      `error: two stack names given: -p ${input.projectName} and ${stacks[0]}`,
    );

  const stackName = input.projectName ?? (stacks.length === 1 ? stacks[0] : undefined);
  const load: LoadStackOptions = {
    ...base,
    ...(stackName !== undefined && { stack: stackName }),
    ...(services.length > 0 && { services }),
  };
  // `stack ps NAME` names the stack itself: a stack file in the working directory may be
  // another stack's, so it is used only when named with -f/-c.
  const useFile = known !== undefined && (stacks.length === 0 || explicit);
  if (!useFile) {
    const fromEnv = process.env[PROJECT_NAME_VARIABLE];
    const name =
      stackName ?? (fromEnv !== undefined && fromEnv !== "" ? checkStackName(fromEnv) : undefined);
    if (stacks.length === 0 && name === undefined) {
      if (unreadable !== undefined) throw unreadable;
      throw new CliExit(
        EXIT.invalidInput,
        `error: which stack? no stack file in ${process.cwd()}: name the stack with -p NAME (or COMPOSE_PROJECT_NAME), or the file with -f FILE`,
      );
    }
    return {
      stacks: stacks.length > 0 ? stacks : [name as string],
      services,
      warnings: [],
      load,
    };
  }
  const { spec, warnings } = await loadStack(load);
  return {
    stacks: stacks.length > 0 ? stacks : [spec.name],
    services,
    spec,
    warnings,
    load,
  };
}

/** The one stack of a target (every form but `names` has exactly one). */
export function theStack(target: StackTarget): string {
  return target.stacks[0] as string;
}

/**
 * {@link resolveTarget} for `cmd` (its stack options merged with the program's). With `warn`
 * the stack file's warnings go to stderr (commands that act on the file; the others only
 * take the stack's name from it).
 */
export async function commandTarget(
  cmd: Command,
  args: readonly string[],
  form: ArgumentForm,
  options: { readonly needFile?: boolean; readonly warn?: boolean } = {},
): Promise<StackTarget> {
  const target = await resolveTarget(stackInput(cmd), args, form, options);
  if (options.warn === true)
    for (const w of target.warnings) process.stderr.write(`warning: ${formatWarning(w)}\n`);
  return target;
}
