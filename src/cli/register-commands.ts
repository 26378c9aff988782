import type { Command } from "commander";
import { registerConfig } from "./commands/config.js";
import { registerDeploy } from "./commands/deploy.js";
import { registerLogs } from "./commands/logs.js";
import { registerLs } from "./commands/ls.js";
import { registerPs } from "./commands/ps.js";
import { registerRm } from "./commands/rm.js";
import { registerScale } from "./commands/scale.js";
import { registerServices } from "./commands/services.js";
import type { ExitCode } from "./options.js";

/**
 * Registers every subcommand on `program`, in the order `--help` lists them; `exit.code`
 * receives the command's exit code. A new command is one file in `commands/` and one line
 * here.
 */
export function registerCommands(program: Command, exit: ExitCode): void {
  registerDeploy(program, exit);
  registerScale(program, exit);
  registerRm(program, exit);
  registerLs(program);
  registerServices(program);
  registerPs(program);
  registerLogs(program);
  registerConfig(program);
}
