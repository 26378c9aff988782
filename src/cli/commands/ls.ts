import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { formatTable } from "../format-table.js";
import { driverFromEnv, driverOption, formatOption } from "../options.js";

/** `stack ls`: the stacks on the engine. */
export function registerLs(program: Command): void {
  program
    .command("ls")
    .addOption(driverOption())
    .alias("list")
    .description("list the stacks on the engine")
    .addOption(formatOption(["table", "json"] as const, "table"))
    .action(async (opts) => {
      // Loaded when the command runs, not at start-up.
      const { listStacks } = await import("../../api/status.js");
      const stacks = await listStacks(await driverFromEnv(opts.driver as DriverName | undefined));
      if (opts.format === "json") process.stdout.write(`${JSON.stringify(stacks, null, 2)}\n`);
      else
        process.stdout.write(
          formatTable(
            ["NAME", "SERVICES", "CONTAINERS", "RUNNING"],
            stacks.map((s) => [
              s.name,
              String(s.services),
              String(s.containers),
              String(s.running),
            ]),
          ),
        );
    });
}
