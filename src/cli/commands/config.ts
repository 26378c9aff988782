import type { Command } from "commander";
import { checkStackName, fileOptions, formatOption, loadOptions } from "../options.js";

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
      .option("--name <name>", "stack name used to name networks and volumes"),
  ).action(async (opts) => {
    // Loaded when the command runs, not at start-up: other commands and --help need none of it.
    const [{ formatWarning }, { formatConfig }, { loadStack }, { maskSecretValues, secretValues }] =
      await Promise.all([
        import("../../api/deploy.js"),
        import("../../stackfile/compose-form.js"),
        import("../../stackfile/load-stack.js"),
        import("../../stackfile/secret-content.js"),
      ]);
    const { spec, warnings } = await loadStack({
      ...loadOptions(opts),
      ...(opts.name !== undefined && { stackName: checkStackName(opts.name as string) }),
    });
    for (const w of warnings) process.stderr.write(`warning: ${formatWarning(w)}\n`);
    if (opts.quiet) return;
    // The model names a secret's file or variable, never its value; a value that reached
    // the model some other way (interpolated into a label, say) is masked.
    const secrets = await secretValues(spec, loadOptions(opts).env);
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
