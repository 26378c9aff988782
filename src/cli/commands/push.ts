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

/** `stack push [SERVICE...]`: push the images services build into their registries. */
export function registerPush(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("push")
      .addOption(driverOption())
      .description(
        "push the images of services with build: and an image: into their registries, with progress (build them first: stack build)",
      )
      .argument("[services...]", "services (default: every service that builds a named image)")
      .option("--ignore-push-failures", "push what can be pushed and exit 0 despite failures")
      .addOption(progressOption()),
  ).action(async function (this: Command, services: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { pushImages } = await import("../../api/push.js");
    const { commandTarget } = await import("../stack-target.js");
    const target = await commandTarget(this, services, "services", { needFile: true, warn: true });
    if (target.spec === undefined) return;
    const sink = await createSink(opts.progress as ProgressMode);
    try {
      const result = await pushImages({
        driver: await driverFromEnv(opts.driver as DriverName | undefined),
        spec: target.spec,
        services: target.services,
        sink,
        ignoreFailures: opts.ignorePushFailures === true,
      });
      exit.code =
        result.failed.length === 0 || opts.ignorePushFailures === true ? EXIT.ok : EXIT.failed;
    } finally {
      await sink.close();
    }
  });
}
