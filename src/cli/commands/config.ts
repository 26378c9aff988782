import { Option, type Command } from "commander";
import { checkStackName, fileOptions, formatOption, loadOptions, stackInput } from "../options.js";

/**
 * `stack config`: print the merged, interpolated, normalised stack in compose's form, so it
 * can be diffed with `docker compose config` (or only validate it).
 */
export function registerConfig(program: Command): void {
  fileOptions(
    program
      .command("config")
      .description(
        "print the merged, interpolated, normalised stack in compose's form, as `docker compose config` does (or only validate it)",
      )
      .option("-q, --quiet", "only validate; print nothing but problems")
      .addOption(formatOption(["yaml", "json"] as const, "yaml"))
      .option("--model", "print stack's internal model instead of compose's form")
      .addOption(
        new Option(
          "--name <name>",
          "stack name used to name networks and volumes (same as -p)",
        ).hideHelp(),
      )
      .argument(
        "[services...]",
        "only check that these services exist (and enable their profiles)",
      ),
  ).action(async function (this: Command, services: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { formatWarning } = await import("../../api/deploy.js");
    const { formatConfig } = await import("../../stackfile/compose-form.js");
    const { loadStack } = await import("../../stackfile/load-stack.js");
    const { maskSecretValues, secretValues } = await import("../../stackfile/secret-content.js");
    const input = stackInput(this);
    const { spec, warnings } = await loadStack({
      ...loadOptions(input),
      ...(input.projectName === undefined &&
        opts.name !== undefined && { stack: checkStackName(opts.name as string) }),
      ...(input.projectName !== undefined && { stack: input.projectName }),
      ...(services.length > 0 && { services }),
    });
    for (const w of warnings) process.stderr.write(`warning: ${formatWarning(w)}\n`);
    if (opts.quiet) return;
    // The model names a secret's file or variable, never its value; a value that reached
    // the model some other way (interpolated into a label, say) is masked.
    const secrets = await secretValues(spec, process.env);
    process.stdout.write(
      maskSecretValues(
        formatConfig(spec, {
          format: opts.format === "json" ? "json" : "yaml",
          model: Boolean(opts.model),
        }),
        secrets,
      ),
    );
  });
}
