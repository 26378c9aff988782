import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { formatTable } from "../format-table.js";
import { checkStackName, driverFromEnv, driverOption, formatOption } from "../options.js";

/** `stack services NAME`: services with replicas running/desired. */
export function registerServices(program: Command): void {
  program
    .command("services")
    .addOption(driverOption())
    .description("list the services of a stack with replicas running/desired")
    .argument("<name>", "stack name")
    .addOption(formatOption(["table", "json"] as const, "table"))
    .action(async (name: string, opts) => {
      // Loaded when the command runs, not at start-up.
      const { stackServices } = await import("../../api/status.js");
      const rows = await stackServices(
        await driverFromEnv(opts.driver as DriverName | undefined),
        checkStackName(name),
      );
      if (opts.format === "json") process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else
        process.stdout.write(
          formatTable(
            ["NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"],
            rows.map((r) => [
              `${name}_${r.name}`,
              r.mode,
              `${r.running}/${r.desired}`,
              r.image,
              r.ports.join(", "),
            ]),
          ),
        );
    });
}
