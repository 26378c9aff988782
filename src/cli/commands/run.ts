import { Option, type Command } from "commander";
import { parse } from "shell-quote";
import type { DriverName } from "../../core/driver.js";
import { envEntries, stdoutTerminal, wantsTty, withTerminal } from "../attach-terminal.js";
import { EXIT } from "../exit-codes.js";
import { CliExit } from "../handle-error.js";
import {
  collect,
  driverFromEnv,
  driverOption,
  fileOptions,
  interruptSignal,
  type ExitCode,
} from "../options.js";
import { createSink } from "../select-sink.js";

/** `--entrypoint "sh -c"` as words, as compose splits it (shell quoting, no expansion). */
function entrypointWords(text: string): string[] {
  const words = parse(text, (name) => `$${name}`);
  if (words.some((w) => typeof w !== "string"))
    throw new CliExit(
      EXIT.invalidInput,
      `error: --entrypoint "${text}": only words and quotes, no shell operators`,
    );
  return words as string[];
}

/**
 * `stack run SERVICE [CMD...]`: a one-off container with the service's configuration and
 * networks (its dependencies deployed first), attached; its exit code is ours.
 */
export function registerRun(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("run")
      .addOption(driverOption())
      .description(
        "run a one-off container of a service (its configuration and networks; dependencies started first); its exit code is stack's",
      )
      .argument("<service>", "service")
      .argument("[command...]", "command and its arguments (default: the service's)")
      .option("--rm", "remove the container when it ends")
      .option("--no-deps", "do not start the services it depends on")
      .option(
        "-e, --env <KEY=VALUE>",
        "environment variable (repeatable; KEY alone: from here)",
        collect,
      )
      .option("-v, --volume <SRC:DST[:ro]>", "extra mount (repeatable)", collect)
      .option("--entrypoint <command>", "replace the entrypoint (shell words)")
      .option("-u, --user <user>", "run as this user (name or uid[:gid])")
      .option("-w, --workdir <dir>", "working directory in the container")
      .addOption(new Option("-T, --no-tty", "no pseudo-terminal (default: one on a terminal)"))
      .passThroughOptions(),
  ).action(async function (this: Command, service: string, command: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { runService } = await import("../../api/run.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const target = await commandTarget(this, [service], "services", { needFile: true });
    const spec = target.spec;
    if (spec === undefined)
      throw new CliExit(EXIT.invalidInput, "error: stack run needs the stack file");
    const tty = wantsTty(opts.tty !== false);
    const signal = interruptSignal();
    const sink = await createSink("auto");
    const driver = await driverFromEnv(opts.driver as DriverName | undefined);
    try {
      exit.code = await withTerminal(tty, () =>
        runService({
          driver,
          spec: { ...spec, name: theStack(target) },
          load: target.load,
          service,
          cmd: command,
          ...(opts.entrypoint !== undefined && {
            entrypoint: entrypointWords(opts.entrypoint as string),
          }),
          env: envEntries(opts.env as string[] | undefined),
          volumes: (opts.volume as string[] | undefined) ?? [],
          ...(opts.user !== undefined && { user: opts.user as string }),
          ...(opts.workdir !== undefined && { workingDir: opts.workdir as string }),
          remove: opts.rm === true,
          noDeps: opts.deps === false,
          tty,
          ...(tty && { terminal: stdoutTerminal() }),
          stdin: process.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
          sink,
          signal,
        }),
      );
    } finally {
      await sink.close();
    }
  });
}
