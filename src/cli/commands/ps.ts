import type { Command } from "commander";
import { Option } from "commander";
import type { DriverName } from "../../core/driver.js";
import { formatAge, formatTable } from "../format-table.js";
import { formatPort } from "../../core/views.js";
import { driverFromEnv, driverOption, fileOptions } from "../options.js";

/** `stack ps NAME`: every replica; live on a terminal, one table (or JSON) otherwise. */
export function registerPs(program: Command): void {
  fileOptions(
    program
      .command("ps")
      .addOption(driverOption())
      .description(
        "show every replica of a stack; on a terminal it stays live as a console (keys act on the selected replica or service, ? lists them) until q or Ctrl-C",
      )
      .argument(
        "[name-and-services...]",
        "stack name (default: -p, COMPOSE_PROJECT_NAME, the stack file's) and services to show (default: all)",
      )
      .addOption(
        new Option("--format <format>", "print once in this format (table|json)").choices([
          "table",
          "json",
        ]),
      )
      .option("--no-watch", "print once and exit, even on a terminal")
      .option("--stats", "live view: also show CPU and memory against the limit per replica"),
  ).action(async function (this: Command, args: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { stackReplicas } = await import("../../api/status.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const target = await commandTarget(this, args, "name-then-services");
    const stack = theStack(target);
    const services = target.services;
    const { isInteractive } = await import("../../ui/terminal.js");
    if (
      opts.watch !== false &&
      opts.format === undefined &&
      isInteractive(process.stdout, process.env)
    ) {
      // The stack file is optional here: with it the view shows the true desired counts.
      let desired: Record<string, number> | undefined;
      if (target.spec !== undefined) {
        desired = Object.fromEntries(
          Object.values(target.spec.services).map((s) => [s.name, s.deploy.replicas]),
        );
      }
      const { runPsLive } = await import("../../ui/run-ps-live.js");
      const { consoleActions } = await import("../console-actions.js");
      const driver = await driverFromEnv(opts.driver as DriverName | undefined);
      await runPsLive({
        driver,
        stack,
        // Keys act on the stack (restart, stop, scale, logs, shell) through the commands' API.
        console: {
          actions: consoleActions({ driver, stack, target }),
          driver: driver.name,
          scalable: target.spec !== undefined,
        },
        stats: Boolean(opts.stats),
        ...(desired !== undefined && { desired }),
        stdout: process.stdout,
        stdin: process.stdin,
        env: process.env,
      });
      return;
    }
    const rows = (
      await stackReplicas(await driverFromEnv(opts.driver as DriverName | undefined), stack)
    ).filter((r) => services.length === 0 || services.includes(r.service));
    if (opts.format === "json") {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const now = new Date();
    const withNode = rows.some((r) => r.node !== undefined);
    process.stdout.write(
      formatTable(
        // NODE only on a swarm, where tasks run across nodes.
        [
          "NAME",
          "IMAGE",
          ...(withNode ? ["NODE"] : []),
          "STATE",
          "HEALTH",
          "SINCE",
          "RESTARTS",
          "PORTS",
          "ERROR",
        ],
        rows.map((r) => [
          r.name,
          r.image,
          ...(withNode ? [r.node ?? ""] : []),
          r.exitCode !== undefined ? `${r.state} (${r.exitCode})` : r.state,
          r.health ?? "",
          formatAge(r.since, now),
          String(r.restartCount),
          r.ports.map(formatPort).join(", "),
          r.error ?? "",
        ]),
      ),
    );
  });
}
