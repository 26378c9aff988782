import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import {
  driverFromEnv,
  driverOption,
  fileOptions,
  progressOption,
  type ExitCode,
} from "../options.js";
import { createSink, type ProgressMode } from "../select-sink.js";

/** `stack pull [SERVICE...]`: pull the services' images ahead of a deploy. */
export function registerPull(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("pull")
      .addOption(driverOption())
      .description(
        "pull the images of services (not those built with build:) onto the engine, with progress",
      )
      .argument("[services...]", "services (default: all)")
      .option("--ignore-pull-failures", "pull what can be pulled and exit 0 despite failures")
      .addOption(progressOption()),
  ).action(async function (this: Command, services: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { pullImages } = await import("../../api/pull.js");
    const { commandTarget } = await import("../stack-target.js");
    const target = await commandTarget(this, services, "services", { needFile: true, warn: true });
    if (target.spec === undefined) return;
    const sink = await createSink(opts.progress as ProgressMode);
    try {
      const result = await pullImages({
        driver: await driverFromEnv(opts.driver as DriverName | undefined),
        spec: target.spec,
        services: target.services,
        sink,
        ignoreFailures: opts.ignorePullFailures === true,
      });
      exit.code =
        result.failed.length === 0 || opts.ignorePullFailures === true ? EXIT.ok : EXIT.failed;
    } finally {
      await sink.close();
    }
  });
}
