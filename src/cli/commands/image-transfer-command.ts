import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import type { Driver } from "../../core/driver.js";
import type { StackSpec } from "../../model/types.js";
import type { ProgressSink } from "../../progress/events.js";
import { EXIT } from "../exit-codes.js";
import {
  driverFromEnv,
  driverOption,
  fileOptions,
  progressOption,
  type ExitCode,
} from "../options.js";
import { createSink, type ProgressMode } from "../select-sink.js";

/** What `stack pull` and `stack push` differ in. */
export interface ImageTransferCommand {
  readonly name: "pull" | "push";
  readonly description: string;
  readonly servicesHelp: string;
  /** Moves the images; loaded when the command runs (see the commands' lazy imports). */
  readonly run: (options: {
    readonly driver: Driver;
    readonly spec: StackSpec;
    readonly services: readonly string[];
    readonly sink: ProgressSink;
    readonly ignoreFailures: boolean;
  }) => Promise<{ readonly failed: readonly unknown[] }>;
}

/**
 * Registers `stack pull|push [SERVICE...] [--ignore-pull|push-failures]`: the stack file's
 * services, progress on the chosen sink, exit 1 when an image failed (0 with the ignore flag).
 */
export function registerImageTransfer(
  program: Command,
  exit: ExitCode,
  command: ImageTransferCommand,
): void {
  const ignore = `ignore${command.name === "pull" ? "Pull" : "Push"}Failures`;
  fileOptions(
    program
      .command(command.name)
      .addOption(driverOption())
      .description(command.description)
      .argument("[services...]", command.servicesHelp)
      .option(
        `--ignore-${command.name}-failures`,
        `${command.name} what can be ${command.name}ed and exit 0 despite failures`,
      )
      .addOption(progressOption()),
  ).action(async function (this: Command, services: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { commandTarget } = await import("../stack-target.js");
    const target = await commandTarget(this, services, "services", { needFile: true, warn: true });
    if (target.spec === undefined) return;
    const ignoreFailures = opts[ignore] === true;
    const sink = await createSink(opts.progress as ProgressMode);
    try {
      const result = await command.run({
        driver: await driverFromEnv(opts.driver as DriverName | undefined),
        spec: target.spec,
        services: target.services,
        sink,
        ignoreFailures,
      });
      exit.code = result.failed.length === 0 || ignoreFailures ? EXIT.ok : EXIT.failed;
    } finally {
      await sink.close();
    }
  });
}
