import type { Command } from "commander";
import { stringify as toYaml } from "yaml";
import { formatWarning } from "../../api/deploy.js";
import { loadStack } from "../../stackfile/load-stack.js";
import { maskSecretValues, secretValues } from "../../stackfile/secret-content.js";
import { checkStackName, fileOptions, formatOption, loadOptions } from "../options.js";

/** `stack config`: print the merged, interpolated, normalised model (or only validate). */
export function registerConfig(program: Command): void {
  fileOptions(
    program
      .command("config")
      .description("print the merged, interpolated, normalised stack model (or only validate it)")
      .option("-q, --quiet", "only validate; print nothing but problems")
      .addOption(formatOption(["yaml", "json"] as const, "yaml"))
      .option("--name <name>", "stack name used to name networks and volumes"),
  ).action(async (opts) => {
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
        opts.format === "json" ? `${JSON.stringify(spec, null, 2)}\n` : toYaml(spec),
        secrets,
      ),
    );
  });
}
