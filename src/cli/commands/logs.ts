import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { NotFoundError } from "../../core/errors.js";
import { EXIT } from "../exit-codes.js";
import { CliExit } from "../handle-error.js";
import { driverFromEnv, driverOption, fileOptions, interruptSignal } from "../options.js";

/** `stack logs NAME [SERVICE]`: replica logs, multiplexed with name prefixes. */
export function registerLogs(program: Command): void {
  fileOptions(
    program
      .command("logs")
      .addOption(driverOption())
      .description("show the logs of a stack's replicas, prefixed with their names")
      .argument(
        "[name-and-services...]",
        "stack name (default: -p, COMPOSE_PROJECT_NAME, the stack file's) and services (default: all)",
      ),
    { shortFile: false },
  )
    .option("-f, --follow", "keep following new output")
    .option("--tail <n>", "lines from the end of each replica's log", (v) => {
      if (v === "all") return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new CliExit(EXIT.invalidInput, `error: --tail must be a number or "all", got "${v}"`);
      return n;
    })
    .action(async function (this: Command, args: string[], opts) {
      // Loaded when the command runs, not at start-up (--help and other commands need none of it).
      const { followLogs } = await import("../../api/logs.js");
      const { commandTarget, theStack } = await import("../stack-target.js");
      const target = await commandTarget(this, args, "name-then-services");
      const stack = theStack(target);
      const found = await followLogs({
        driver: await driverFromEnv(opts.driver as DriverName | undefined),
        stack,
        services: target.services,
        follow: Boolean(opts.follow),
        ...(opts.tail !== undefined && { tail: opts.tail as number }),
        signal: interruptSignal(),
        write: (s) => process.stdout.write(s),
      });
      if (!found)
        throw new NotFoundError(
          target.services.length > 0
            ? `stack ${stack} has no replicas of ${target.services.map((s) => `"${s}"`).join(", ")} on the engine`
            : `stack ${stack} has no replicas on the engine (not deployed? stack ls lists the stacks)`,
        );
    });
}
