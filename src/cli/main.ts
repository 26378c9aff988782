#!/usr/bin/env node
/**
 * The `stack` command: parses argv, wires the spec loader, an engine and a progress sink,
 * and maps every error to a documented exit code in one place (handle-error.ts).
 */
import { Command, Option } from "commander";
import { EXIT } from "./exit-codes.js";
import { handleError } from "./handle-error.js";
import { contextOption, programFileOptions, setEngineContext } from "./options.js";
import { registerCommands } from "./register-commands.js";
import { STACK_VERSION } from "../version.js";

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command();
  program
    .name("stack")
    .description("Deploy compose-spec stacks to a Docker engine and keep them converged.")
    .version(STACK_VERSION, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
    })
    .addOption(new Option("--debug", "print stack traces of internal errors").hideHelp())
    .addOption(contextOption())
    .hook("preAction", (_program, command) => {
      setEngineContext(command.optsWithGlobals<{ context?: string }>().context);
    })
    // Program options end at the command, so `logs -f` (follow) and `exec SERVICE sh -c X`
    // keep their meaning; every command takes the stack options itself too.
    .enablePositionalOptions();
  programFileOptions(program);

  const exit = { code: EXIT.ok as number };
  registerCommands(program, exit);
  try {
    await program.parseAsync(argv as string[], { from: "node" });
  } catch (err) {
    return handleError(err, (s) => process.stderr.write(s));
  }
  return exit.code;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = handleError(err, (s) => process.stderr.write(s));
  },
);
