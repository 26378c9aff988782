import type { Command } from "commander";
import { deployStack } from "../../api/deploy.js";
import type { DriverName } from "../../core/driver.js";
import { formatPlan } from "../../core/format-plan.js";
import { EXIT } from "../exit-codes.js";
import {
  checkStackName,
  driverFromEnv,
  driverOption,
  fileOptions,
  interruptSignal,
  loadOptions,
  parseTimeout,
  positiveInt,
  progressOption,
  type ExitCode,
} from "../options.js";
import { createSink, type ProgressMode } from "../select-sink.js";

/** `stack deploy`: converge the engine to the stack file(s); optionally wait or watch. */
export function registerDeploy(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("deploy")
      .addOption(driverOption())
      .description("create or update a stack so the engine matches the stack file")
      .argument("<name>", "stack name")
      .option("--dry-run", "print the plan and change nothing")
      .option("--prune", "remove services that are no longer in the stack file")
      .option("--force-recreate", "recreate every replica even when unchanged")
      .option("--build", "build the images of services with build: even when unchanged")
      .option("--wait", "wait until every replica runs and is healthy (one-shot jobs exited 0)")
      .option(
        "--watch",
        "after deploying, keep the stack converged (restart policies, removed replicas, engine restarts) until Ctrl-C",
      )
      .option(
        "--timeout <duration>",
        "limit for --wait, and for waiting while another deploy or rm of the stack holds its lock, e.g. 90s or 5m",
        "5m",
      )
      .option("--parallel <n>", "engine calls at once", positiveInt("--parallel"), 8)
      .addOption(progressOption()),
  ).action(async (name: string, opts) => {
    const sink = createSink(opts.progress as ProgressMode);
    try {
      const timeoutMs = parseTimeout(opts.timeout as string);
      const signal = interruptSignal();
      const result = await deployStack({
        ...loadOptions(opts),
        stackName: checkStackName(name),
        driver: () => driverFromEnv(opts.driver as DriverName | undefined),
        sink,
        dryRun: Boolean(opts.dryRun),
        prune: Boolean(opts.prune),
        forceRecreate: Boolean(opts.forceRecreate),
        build: Boolean(opts.build),
        wait: Boolean(opts.wait),
        timeoutMs,
        lockTimeoutMs: timeoutMs,
        parallel: opts.parallel as number,
        signal,
      });
      if (opts.dryRun) process.stdout.write(formatPlan(result.plan));
      if (opts.watch && !opts.dryRun && !signal.aborted) {
        // Ctrl-C ends the watch and leaves the stack running: exit 0 unless the deploy failed.
        await result.deployment.watch({
          sink,
          signal,
          parallel: opts.parallel as number,
          prune: Boolean(opts.prune),
        });
        exit.code = result.ok ? EXIT.ok : EXIT.failed;
        return;
      }
      exit.code = result.interrupted
        ? EXIT.interrupted
        : result.timedOut
          ? EXIT.timeout
          : result.ok
            ? EXIT.ok
            : EXIT.failed;
    } finally {
      await sink.close();
    }
  });
}
