import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { formatTable } from "../format-table.js";
import { driverFromEnv, driverOption, fileOptions } from "../options.js";

/** `stack top [SERVICE...]`: the processes of each running replica. */
export function registerTop(program: Command): void {
  fileOptions(
    program
      .command("top")
      .addOption(driverOption())
      .description(
        "show the processes running in each replica (swarm: tasks on the node stack talks to)",
      )
      .argument(
        "[name-and-services...]",
        "stack name (default: -p, COMPOSE_PROJECT_NAME, the stack file's) and services (default: all)",
      ),
  ).action(async function (this: Command, args: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { stackProcesses } = await import("../../api/top.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const target = await commandTarget(this, args, "name-then-services");
    const lists = await stackProcesses(
      await driverFromEnv(opts.driver as DriverName | undefined),
      theStack(target),
      target.services,
    );
    process.stdout.write(
      lists
        .map((l) =>
          l.unreachable !== undefined
            ? `${l.replica}\n(${l.unreachable})\n`
            : `${l.replica}\n${formatTable(l.titles, l.processes)}`,
        )
        .join("\n"),
    );
  });
}
