import type { Command } from "commander";
import type { DriverName, EngineEvent } from "../../core/driver.js";
import { driverFromEnv, driverOption, fileOptions, interruptSignal } from "../options.js";

/** Attributes worth a text line (the rest, labels mostly, are in --json). */
const SHOWN = ["image", "name", "exitCode", "signal", "health_status"];

/** One event as a text line: `TIME TYPE ACTION NAME (attributes)`. */
export function formatEvent(e: EngineEvent): string {
  const attrs = SHOWN.flatMap((k) =>
    e.attributes?.[k] !== undefined && k !== "name" ? [`${k}=${e.attributes[k]}`] : [],
  );
  return [
    e.time ?? new Date().toISOString(),
    e.type,
    e.action,
    e.name ?? e.id ?? "",
    ...(attrs.length > 0 ? [`(${attrs.join(", ")})`] : []),
  ]
    .filter((p) => p !== "")
    .join(" ");
}

/** `stack events [SERVICE...]`: the stack's engine events, live, until Ctrl-C. */
export function registerEvents(program: Command): void {
  fileOptions(
    program
      .command("events")
      .addOption(driverOption())
      .description("print the stack's engine events as they happen, until Ctrl-C")
      .argument(
        "[name-and-services...]",
        "stack name (default: -p, COMPOSE_PROJECT_NAME, the stack file's) and services (default: all)",
      )
      .option("--json", "one JSON object per line"),
  ).action(async function (this: Command, args: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { commandTarget, theStack } = await import("../stack-target.js");
    const target = await commandTarget(this, args, "name-then-services");
    const driver = await driverFromEnv(opts.driver as DriverName | undefined);
    const signal = interruptSignal({ quiet: true });
    for await (const e of driver.events(theStack(target), signal)) {
      if (target.services.length > 0 && !target.services.includes(e.service ?? "")) continue;
      process.stdout.write(opts.json === true ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
    }
  });
}
