import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import {
  driverFromEnv,
  driverOption,
  interruptSignal,
  fileOptions,
  progressOption,
  stopTimeoutOption,
  type ExitCode,
} from "../options.js";
import { createSink, type ProgressMode } from "../select-sink.js";

/** `stack rm [NAME...]`: remove stacks (named volumes only with --volumes). */
export function registerRm(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("rm")
      .addOption(driverOption())
      .aliases(["remove", "down"])
      .description(
        "remove a stack's containers and networks (volumes only with --volumes), like docker compose down",
      )
      .argument("[name...]", "stack name(s) (default: -p, COMPOSE_PROJECT_NAME, the stack file's)")
      .option("--volumes", "also remove the stack's named volumes (their data is lost)")
      .addOption(stopTimeoutOption())
      .addOption(progressOption()),
  ).action(async function (this: Command, names: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { removeStack } = await import("../../api/remove.js");
    const { commandTarget } = await import("../stack-target.js");
    const target = await commandTarget(this, names, "names");
    const sink = await createSink(opts.progress as ProgressMode);
    try {
      const driver = await driverFromEnv(opts.driver as DriverName | undefined, (message) =>
        sink.emit({ type: "warning", message }),
      );
      const signal = interruptSignal();
      let ok = true;
      for (const stack of target.stacks) {
        const result = await removeStack({
          driver,
          stack,
          volumes: Boolean(opts.volumes),
          sink,
          signal,
          // The stack file, when read: its pre_stop hooks run before the replicas stop.
          ...(target.spec !== undefined && { spec: target.spec }),
          ...(opts.timeout !== undefined && { timeoutSeconds: opts.timeout as number }),
        });
        if (result.interrupted === true) {
          exit.code = EXIT.interrupted;
          return;
        }
        ok &&= result.ok;
      }
      exit.code = ok ? EXIT.ok : EXIT.failed;
    } finally {
      await sink.close();
    }
  });
}
