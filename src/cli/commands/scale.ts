import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import { CliExit } from "../handle-error.js";
import {
  driverFromEnv,
  driverOption,
  fileOptions,
  interruptSignal,
  positiveInt,
  type ExitCode,
} from "../options.js";
import { createSink } from "../select-sink.js";

/** `stack scale NAME SERVICE=N...`: converge only those services at those counts. */
export function registerScale(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("scale")
      .addOption(driverOption())
      .description("set the replica count of services (from the stack file) and converge only them")
      .argument("<args...>", "[NAME] SERVICE=REPLICAS..., e.g. web=3 (NAME: see -p)")
      .option("--parallel <n>", "engine calls at once", positiveInt("--parallel"), 8),
  ).action(async function (this: Command, args: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { deployStack } = await import("../../api/deploy.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const named = args[0] !== undefined && !args[0].includes("=");
    const pairs = named ? args.slice(1) : args;
    if (pairs.length === 0)
      throw new CliExit(EXIT.invalidInput, "error: expected SERVICE=REPLICAS, e.g. web=3");
    const replicas: Record<string, number> = {};
    for (const pair of pairs) {
      const m = /^([^=]+)=(\d+)$/.exec(pair);
      if (!m)
        throw new CliExit(EXIT.invalidInput, `error: expected SERVICE=REPLICAS, got "${pair}"`);
      replicas[m[1]!] = Number(m[2]);
    }
    const target = await commandTarget(this, named ? [args[0] as string] : [], "names", {
      needFile: true,
    });
    const sink = await createSink("auto");
    try {
      const result = await deployStack({
        ...target.load,
        stack: theStack(target),
        driver: () =>
          driverFromEnv(opts.driver as DriverName | undefined, (message) =>
            sink.emit({ type: "warning", message }),
          ),
        sink,
        replicas,
        services: Object.keys(replicas),
        parallel: opts.parallel as number,
        signal: interruptSignal(),
      });
      exit.code = result.ok ? EXIT.ok : EXIT.failed;
    } finally {
      await sink.close();
    }
  });
}
