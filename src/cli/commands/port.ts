import { Option, type Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import { CliExit } from "../handle-error.js";
import { driverFromEnv, driverOption, fileOptions, positiveInt } from "../options.js";

/** `stack port SERVICE PRIVATE_PORT`: print the `HOST:PORT` a published port is reached on. */
export function registerPort(program: Command): void {
  fileOptions(
    program
      .command("port")
      .addOption(driverOption())
      .description(
        "print the host address (HOST:PORT) of a service's published port, through the ingress when one serves it",
      )
      .argument("<service>", "service")
      .argument("<private_port>", "the container port, e.g. 80 (or 80/udp)")
      .option("--index <n>", "replica (slot)", positiveInt("--index"), 1)
      .addOption(
        new Option("--protocol <protocol>", "tcp or udp").choices(["tcp", "udp"]).default("tcp"),
      ),
  ).action(async function (this: Command, service: string, privatePort: string, opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { formatAddress, publishedPort } = await import("../../api/port.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(privatePort);
    const target = m === null ? NaN : Number(m[1]);
    if (m === null || target < 1 || target > 65535)
      throw new CliExit(
        EXIT.invalidInput,
        `error: PRIVATE_PORT must be a port number (1-65535, optionally /tcp or /udp), got "${privatePort}"`,
      );
    const stack = theStack(await commandTarget(this, [service], "services"));
    const address = await publishedPort({
      driver: await driverFromEnv(opts.driver as DriverName | undefined),
      stack,
      service,
      index: opts.index as number,
      target,
      protocol: (m[2] ?? opts.protocol) as "tcp" | "udp",
    });
    process.stdout.write(`${formatAddress(address)}\n`);
  });
}
