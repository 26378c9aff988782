import type { Command } from "commander";
import { deployStack } from "../../api/deploy.js";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import { CliExit } from "../handle-error.js";
import {
  checkStackName,
  driverFromEnv,
  driverOption,
  fileOptions,
  interruptSignal,
  loadOptions,
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
      .argument("<name>", "stack name")
      .argument("<service=replicas...>", "e.g. web=3")
      .option("--parallel <n>", "engine calls at once", positiveInt("--parallel"), 8),
  ).action(async (name: string, pairs: string[], opts) => {
    const replicas: Record<string, number> = {};
    for (const pair of pairs) {
      const m = /^([^=]+)=(\d+)$/.exec(pair);
      if (!m)
        throw new CliExit(EXIT.invalidInput, `error: expected SERVICE=REPLICAS, got "${pair}"`);
      replicas[m[1]!] = Number(m[2]);
    }
    const sink = createSink("auto");
    try {
      const result = await deployStack({
        ...loadOptions(opts),
        stackName: checkStackName(name),
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
