import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { driverFromEnv, driverOption, fileOptions, progressOption } from "../options.js";
import { createSink, type ProgressMode } from "../select-sink.js";

/** `stack build [SERVICE...]`: build the images of services with `build:` ahead of a deploy. */
export function registerBuild(program: Command): void {
  fileOptions(
    program
      .command("build")
      .addOption(driverOption())
      .description(
        "build the images of services with build: (a later deploy finds them current); not on swarm",
      )
      .argument("[services...]", "services (default: every service with build:)")
      .option("--no-cache", "do not use the build cache")
      .option("--pull", "pull newer versions of the base images")
      .addOption(progressOption()),
  ).action(async function (this: Command, services: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { buildImages } = await import("../../api/build.js");
    const { commandTarget } = await import("../stack-target.js");
    const target = await commandTarget(this, services, "services", { needFile: true, warn: true });
    if (target.spec === undefined) return;
    const sink = await createSink(opts.progress as ProgressMode);
    try {
      await buildImages({
        driver: await driverFromEnv(opts.driver as DriverName | undefined),
        spec: target.spec,
        services: target.services,
        sink,
        ...(opts.cache === false && { noCache: true }),
        ...(opts.pull === true && { pull: true }),
      });
    } finally {
      await sink.close();
    }
  });
}
