import type { Command } from "commander";
import type { ExitCode } from "../options.js";
import { registerImageTransfer } from "./image-transfer-command.js";

/** `stack pull [SERVICE...]`: pull the services' images ahead of a deploy. */
export function registerPull(program: Command, exit: ExitCode): void {
  registerImageTransfer(program, exit, {
    name: "pull",
    description:
      "pull the images of services (not those built with build:) onto the engine, with progress",
    servicesHelp: "services (default: all)",
    run: async (options) => (await import("../../api/pull.js")).pullImages(options),
  });
}
