/**
 * What the commands share: option definitions, argument checks, the stack-file loading
 * options, driver selection and Ctrl-C handling. One place, so every command spells a flag
 * the same way.
 */
import { Option, type Command } from "commander";
import type { Driver, DriverName } from "../core/driver.js";
import { STACK_NAME_PATTERN } from "../model/naming.js";
import { selectDriver } from "../drivers/select-driver.js";
import { SpecError } from "../stackfile/errors.js";
import { parseDurationMs } from "../stackfile/units.js";
import { EXIT } from "./exit-codes.js";
import { CliExit } from "./handle-error.js";

/** What a command's action reports back to `main`. */
export interface ExitCode {
  code: number;
}

/** Commander collector for repeatable options. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** Parser of a whole number >= 1 for option `name`; anything else is exit 2. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new CliExit(
        EXIT.invalidInput,
        `error: ${name} must be a whole number >= 1, got "${value}"`,
      );
    return n;
  };
}

/** `name` when it is a valid stack name (compose's project-name rule); else exit 2. */
export function checkStackName(name: string): string {
  if (!STACK_NAME_PATTERN.test(name)) {
    throw new CliExit(
      EXIT.invalidInput,
      `error: invalid stack name "${name}": use lowercase letters, digits, "_" and "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** `--driver docker|swarm`. */
export function driverOption(): Option {
  return new Option(
    "--driver <driver>",
    "engine driver (default: swarm on a swarm manager, else docker)",
  ).choices(["docker", "swarm"]);
}

/** `-t/--timeout SECONDS`: the grace period of stops (compose's whole seconds). */
export function stopTimeoutOption(): Option {
  return new Option(
    "-t, --timeout <seconds>",
    "seconds to wait for a replica to stop before killing it (default: its stop_grace_period)",
  ).argParser((value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new CliExit(
        EXIT.invalidInput,
        `error: --timeout must be a whole number of seconds >= 0, got "${value}"`,
      );
    return n;
  });
}

/** `--progress auto|tty|plain|json|quiet`. */
export function progressOption(): Option {
  return new Option("--progress <mode>", "progress output")
    .choices(["auto", "tty", "plain", "json", "quiet"])
    .default("auto");
}

/** `--format` with `choices`, defaulting to `fallback`. */
export function formatOption<T extends string>(choices: readonly T[], fallback: T): Option {
  return new Option("--format <format>", `output format (${choices.join("|")})`)
    .choices(choices)
    .default(fallback);
}

/**
 * The options of every command that works on one stack: `-p/--project-name`, the stack file
 * (`-c/--compose-file` and its compose spelling `-f/--file`, repeatable; `--file` only where
 * `-f` means something else, as in `logs -f`), `--env-file` and `--profile` (repeatable).
 * The same options given before the command (`stack -p NAME ps`) are program options; see
 * {@link stackInput}.
 */
export function fileOptions(cmd: Command, options: { readonly shortFile?: boolean } = {}): Command {
  return cmd
    .option(
      "-p, --project-name <name>",
      "stack name (default: COMPOSE_PROJECT_NAME, the file's name:, else its directory)",
    )
    .option(
      "-c, --compose-file <file>",
      "stack file (repeatable, merged in order; - reads stdin)",
      collect,
    )
    .option(
      options.shortFile === false ? "--file <file>" : "-f, --file <file>",
      "same as -c, as docker compose spells it",
      collect,
    )
    .option("--env-file <file>", "file of variables for interpolation (repeatable)", collect)
    .option("--profile <profile>", "enable services of this profile (repeatable)", collect);
}

/** {@link fileOptions} as program options, given before the command (compose's place for them). */
export function programFileOptions(program: Command): Command {
  return fileOptions(program);
}

/** What a command's stack options say, program and command options together. */
export interface StackInput {
  /** `-p` (the command's over the program's). */
  readonly projectName?: string;
  /** Stack files: the program's, then the command's. */
  readonly files: readonly string[];
  readonly envFiles: readonly string[];
  readonly profiles: readonly string[];
}

/**
 * The stack options of `cmd` merged with the program's (given before the command): files,
 * env files and profiles add up, the command's `-p` wins.
 */
export function stackInput(cmd: Command): StackInput {
  const mine = cmd.opts<Record<string, unknown>>();
  const global = cmd.parent?.opts<Record<string, unknown>>() ?? {};
  const list = (o: Record<string, unknown>, key: string): string[] =>
    Array.isArray(o[key]) ? (o[key] as string[]) : [];
  const projectName = (mine["projectName"] ?? global["projectName"]) as string | undefined;
  return {
    ...(projectName !== undefined && { projectName: checkStackName(projectName) }),
    files: [
      ...list(global, "composeFile"),
      ...list(global, "file"),
      ...list(mine, "composeFile"),
      ...list(mine, "file"),
    ],
    envFiles: [...list(global, "envFile"), ...list(mine, "envFile")],
    profiles: [...list(global, "profile"), ...list(mine, "profile")],
  };
}

let stdinText: Promise<string> | undefined;

/**
 * This process's stdin as text, read once: the stack file is loaded more than once per
 * command (for its name, then for the deploy), stdin can be read only once.
 */
function readStdin(): Promise<string> {
  stdinText ??= new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => (text += chunk));
    process.stdin.on("end", () => resolve(text));
    process.stdin.on("error", reject);
  });
  return stdinText;
}

/** The stack-file loading options of a command that has {@link fileOptions}. */
export function loadOptions(input: StackInput) {
  return {
    files: input.files,
    envFiles: input.envFiles,
    cwd: process.cwd(),
    env: process.env,
    readStdin,
    ...(input.profiles.length > 0 && { profiles: input.profiles }),
  };
}

/** `--context NAME`, a program-level option (before or after the command), as in the Docker CLI. */
export function contextOption(): Option {
  return new Option(
    "--context <name>",
    "Docker context to use (overrides DOCKER_HOST, DOCKER_CONTEXT and `docker context use`)",
  );
}

/** The program-level engine choice of this run; set once, before the command's action. */
const engineChoice: { context?: string } = {};

/** Records `--context` for {@link driverFromEnv} (main.ts calls it before every action). */
export function setEngineContext(context: string | undefined): void {
  if (context === undefined) delete engineChoice.context;
  else engineChoice.context = context;
}

/** Prints a warning that is not part of a command's progress output. */
const warnOnStderr = (message: string): void => {
  process.stderr.write(`warning: ${message}\n`);
};

/**
 * The engine driver for this process's environment and `--context`: `driver` when --driver
 * was given, else swarm when the engine is an active swarm manager, docker otherwise.
 * Warnings about the engine's configuration go to `warn` (default: stderr).
 */
export async function driverFromEnv(
  driver?: DriverName,
  warn: (message: string) => void = warnOnStderr,
): Promise<Driver> {
  const selection = await selectDriver(process.env, {
    ...(driver !== undefined && { driver }),
    ...(engineChoice.context !== undefined && { context: engineChoice.context }),
  });
  for (const message of selection.warnings) warn(message);
  return selection.driver;
}

/**
 * Aborts on the first Ctrl-C (work stops at a safe point); a second one exits at once. `quiet`
 * for commands whose normal end is Ctrl-C (`events`): nothing is said then.
 */
export function interruptSignal(options: { readonly quiet?: boolean } = {}): AbortSignal {
  const controller = new AbortController();
  let count = 0;
  const onSignal = () => {
    count += 1;
    if (count > 1) process.exit(EXIT.interrupted);
    if (options.quiet !== true)
      process.stderr.write(
        "interrupted: finishing the current engine calls (Ctrl-C again to quit now)\n",
      );
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

/** `--timeout` as milliseconds; a malformed duration is exit 2. */
export function parseTimeout(text: string): number {
  try {
    return parseDurationMs(text);
  } catch {
    throw new SpecError([
      { path: "--timeout", message: `must be a duration like "90s" or "5m", got "${text}"` },
    ]);
  }
}
