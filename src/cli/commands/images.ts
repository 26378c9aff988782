import type { Command } from "commander";
import type { DriverName } from "../../core/driver.js";
import { formatTable } from "../format-table.js";
import { driverFromEnv, driverOption, fileOptions, formatOption } from "../options.js";

/** `redis:7` -> [`redis`, `7`]; `host:5000/app` -> [`host:5000/app`, `latest`]; digests kept. */
export function splitReference(reference: string): [string, string] {
  const at = reference.indexOf("@");
  const name = at >= 0 ? reference.slice(0, at) : reference;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) return [name.slice(0, colon), name.slice(colon + 1)];
  return [name, at >= 0 ? reference.slice(at + 1) : "latest"];
}

function size(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  const units = ["B", "kB", "MB", "GB"];
  let n = bytes;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)}${units[i]}`;
}

/** `stack images`: the image each container of the stack runs. */
export function registerImages(program: Command): void {
  fileOptions(
    program
      .command("images")
      .addOption(driverOption())
      .description("list the images the stack's containers run")
      .argument("[name]", "stack name (default: -p, COMPOSE_PROJECT_NAME, the stack file's)")
      .addOption(formatOption(["table", "json"] as const, "table")),
  ).action(async function (this: Command, name: string | undefined, opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { stackImages } = await import("../../api/images.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const target = await commandTarget(this, name === undefined ? [] : [name], "names");
    const rows = await stackImages(
      await driverFromEnv(opts.driver as DriverName | undefined),
      theStack(target),
    );
    if (opts.format === "json") {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      formatTable(
        ["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"],
        rows.map((r) => {
          const [repository, tag] = splitReference(r.image);
          return [
            r.container,
            repository,
            tag,
            (r.id ?? "").replace(/^sha256:/, "").slice(0, 12),
            size(r.sizeBytes),
          ];
        }),
      ),
    );
  });
}
