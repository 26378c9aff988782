import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { formatTable } from "../format-table.js";
import { formatPort } from "../../core/views.js";
import { driverFromEnv, driverOption, fileOptions, formatOption } from "../options.js";

/** `stack services NAME`: services with replicas running/desired. */
export function registerServices(program: Command): void {
  fileOptions(
    program
      .command("services")
      .addOption(driverOption())
      .description("list the services of a stack with replicas running/desired")
      .argument("[name]", "stack name (default: -p, COMPOSE_PROJECT_NAME, the stack file's)")
      .addOption(formatOption(["table", "json"] as const, "table")),
  ).action(async function (this: Command, name: string | undefined, opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { stackServices } = await import("../../api/status.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const stack = theStack(await commandTarget(this, name === undefined ? [] : [name], "names"));
    const rows = await stackServices(
      await driverFromEnv(opts.driver as DriverName | undefined),
      stack,
    );
    if (opts.format === "json") process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else
      process.stdout.write(
        formatTable(
          ["NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"],
          rows.map((r) => [
            `${stack}_${r.name}`,
            r.mode,
            `${r.running}/${r.desired}`,
            r.image,
            r.ports.map(formatPort).join(", "),
          ]),
        ),
      );
  });
}
