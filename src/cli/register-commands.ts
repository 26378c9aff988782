import type { Command } from "commander";
import { registerBuild } from "./commands/build.js";
import { registerCompletion } from "./commands/completion.js";
import { registerConfig } from "./commands/config.js";
import { registerControl } from "./commands/control.js";
import { registerDeploy } from "./commands/deploy.js";
import { registerEvents } from "./commands/events.js";
import { registerExec } from "./commands/exec.js";
import { registerImages } from "./commands/images.js";
import { registerLogs } from "./commands/logs.js";
import { registerLs } from "./commands/ls.js";
import { registerPort } from "./commands/port.js";
import { registerPs } from "./commands/ps.js";
import { registerPull } from "./commands/pull.js";
import { registerPush } from "./commands/push.js";
import { registerRm } from "./commands/rm.js";
import { registerRun } from "./commands/run.js";
import { registerScale } from "./commands/scale.js";
import { registerServices } from "./commands/services.js";
import { registerTop } from "./commands/top.js";
import { registerWait } from "./commands/wait.js";
import { contextOption, type ExitCode } from "./options.js";

/**
 * Registers every subcommand on `program`, in the order `--help` lists them; `exit.code`
 * receives the command's exit code. A new command is one file in `commands/` and one line
 * here (before `completion`, which reads the finished command tree).
 */
export function registerCommands(program: Command, exit: ExitCode): void {
  registerDeploy(program, exit);
  registerScale(program, exit);
  registerRm(program, exit);
  registerLs(program);
  registerServices(program);
  registerPs(program);
  registerLogs(program);
  registerExec(program, exit);
  registerRun(program, exit);
  registerPort(program);
  registerControl(program, exit);
  registerWait(program, exit);
  registerTop(program);
  registerImages(program);
  registerEvents(program);
  registerPull(program, exit);
  registerPush(program, exit);
  registerBuild(program);
  registerConfig(program);
  // `--context` after the command too (`stack ps web --context prod`): program options end
  // at the command name.
  for (const command of program.commands) command.addOption(contextOption());
  registerCompletion(program);
}
