import type { Command } from "commander";
import { removeStack } from "../../api/remove.js";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import {
  checkStackName,
  driverFromEnv,
  driverOption,
  progressOption,
  type ExitCode,
} from "../options.js";
import { createSink, type ProgressMode } from "../select-sink.js";

/** `stack rm NAME...`: remove stacks (named volumes only with --volumes). */
export function registerRm(program: Command, exit: ExitCode): void {
  program
    .command("rm")
    .addOption(driverOption())
    .alias("remove")
    .description("remove a stack's containers and networks (volumes only with --volumes)")
    .argument("<name...>", "stack name(s)")
    .option("--volumes", "also remove the stack's named volumes (their data is lost)")
    .addOption(progressOption())
    .action(async (names: string[], opts) => {
      const sink = createSink(opts.progress as ProgressMode);
      try {
        const driver = await driverFromEnv(opts.driver as DriverName | undefined, (message) =>
          sink.emit({ type: "warning", message }),
        );
        let ok = true;
        for (const name of names) {
          const result = await removeStack({
            driver,
            stack: checkStackName(name),
            volumes: Boolean(opts.volumes),
            sink,
          });
          ok &&= result.ok;
        }
        exit.code = ok ? EXIT.ok : EXIT.failed;
      } finally {
        await sink.close();
      }
    });
}
