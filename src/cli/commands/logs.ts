import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import { CliExit } from "../handle-error.js";
import { checkStackName, driverFromEnv, driverOption, interruptSignal } from "../options.js";

/** `stack logs NAME [SERVICE]`: replica logs, multiplexed with name prefixes. */
export function registerLogs(program: Command): void {
  program
    .command("logs")
    .addOption(driverOption())
    .description("show the logs of a stack's replicas, prefixed with their names")
    .argument("<name>", "stack name")
    .argument("[service]", "only this service")
    .option("-f, --follow", "keep following new output")
    .option("--tail <n>", "lines from the end of each replica's log", (v) => {
      if (v === "all") return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new CliExit(EXIT.invalidInput, `error: --tail must be a number or "all", got "${v}"`);
      return n;
    })
    .action(async (name: string, service: string | undefined, opts) => {
      // Loaded when the command runs, not at start-up.
      const { followLogs } = await import("../../api/logs.js");
      const found = await followLogs({
        driver: await driverFromEnv(opts.driver as DriverName | undefined),
        stack: checkStackName(name),
        ...(service !== undefined && { service }),
        follow: Boolean(opts.follow),
        ...(opts.tail !== undefined && { tail: opts.tail as number }),
        signal: interruptSignal(),
        write: (s) => process.stdout.write(s),
      });
      if (!found)
        throw new CliExit(
          EXIT.failed,
          `error: no replicas of ${service ? `service "${service}" in ` : ""}stack "${name}"`,
        );
    });
}
