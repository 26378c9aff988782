import { Option, type Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { envEntries, stdoutTerminal, wantsTty, withTerminal } from "../attach-terminal.js";
import {
  collect,
  driverFromEnv,
  driverOption,
  fileOptions,
  positiveInt,
  type ExitCode,
} from "../options.js";

/**
 * `stack exec SERVICE CMD...`: run a command in a running replica with stdin, stdout and
 * stderr attached (a TTY when on a terminal); the command's exit code is ours.
 */
export function registerExec(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("exec")
      .addOption(driverOption())
      .description(
        "run a command in a running replica of a service; its exit code is stack's (swarm: tasks on the node stack talks to)",
      )
      .argument("<service>", "service")
      .argument("<command...>", "command and its arguments (options after SERVICE are its own)")
      .option("--index <n>", "replica (slot) to run in", positiveInt("--index"), 1)
      .addOption(new Option("-T, --no-tty", "no pseudo-terminal (default: one on a terminal)"))
      .option("-u, --user <user>", "run as this user (name or uid[:gid])")
      .option("-w, --workdir <dir>", "working directory in the container")
      .option(
        "-e, --env <KEY=VALUE>",
        "environment variable (repeatable; KEY alone: from here)",
        collect,
      )
      .option("--privileged", "give the process extended privileges")
      .passThroughOptions(),
  ).action(async function (this: Command, service: string, command: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { execInService } = await import("../../api/exec.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const target = await commandTarget(this, [service], "services");
    const tty = wantsTty(opts.tty !== false);
    const driver = await driverFromEnv(opts.driver as DriverName | undefined);
    exit.code = await withTerminal(tty, () =>
      execInService({
        driver,
        stack: theStack(target),
        service,
        index: opts.index as number,
        cmd: command,
        tty,
        ...(tty && { terminal: stdoutTerminal() }),
        ...(opts.user !== undefined && { user: opts.user as string }),
        ...(opts.workdir !== undefined && { workingDir: opts.workdir as string }),
        env: envEntries(opts.env as string[] | undefined),
        ...(opts.privileged === true && { privileged: true }),
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      }),
    );
  });
}
