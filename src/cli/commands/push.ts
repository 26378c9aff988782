import type { Command } from "commander";
import type { ExitCode } from "../options.js";
import { registerImageTransfer } from "./image-transfer-command.js";

/** `stack push [SERVICE...]`: push the images services build into their registries. */
export function registerPush(program: Command, exit: ExitCode): void {
  registerImageTransfer(program, exit, {
    name: "push",
    description:
      "push the images of services with build: and an image: into their registries, with progress (build them first: stack build)",
    servicesHelp: "services (default: every service that builds a named image)",
    run: async (options) => (await import("../../api/push.js")).pushImages(options),
  });
}
