import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import {
  driverFromEnv,
  driverOption,
  fileOptions,
  interruptSignal,
  type ExitCode,
} from "../options.js";

/** `stack wait SERVICE...`: block until the replicas exit; the first one's exit code is ours. */
export function registerWait(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("wait")
      .addOption(driverOption())
      .description(
        "block until every replica of the services has exited; exit with the code of the first that did",
      )
      .argument("<services...>", "services"),
  ).action(async function (this: Command, services: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { waitForExit } = await import("../../api/wait.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const target = await commandTarget(this, services, "services");
    const signal = interruptSignal();
    try {
      const first = await waitForExit(
        await driverFromEnv(opts.driver as DriverName | undefined),
        theStack(target),
        target.services,
        signal,
      );
      process.stderr.write(`${first.replica} exited with code ${first.exitCode}\n`);
      exit.code = first.exitCode;
    } catch (err) {
      if (signal.aborted) {
        exit.code = EXIT.interrupted;
        return;
      }
      throw err;
    }
  });
}
