import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import {
  checkStackName,
  driverFromEnv,
  driverOption,
  progressOption,
  type ExitCode,
} from "../options.js";
import type { ProgressMode } from "../select-sink.js";

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
      // Loaded when the command runs, not at start-up.
      const [{ removeStack }, { createSink }] = await Promise.all([
        import("../../api/remove.js"),
        import("../select-sink.js"),
      ]);
      const sink = await createSink(opts.progress as ProgressMode);
      try {
        const driver = await driverFromEnv(opts.driver as DriverName | undefined);
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
