import { Option, type Command } from "commander";
import type { StackSpec } from "../../model/types.js";
import type { DriverName, ResolveImageMode } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import {
  driverFromEnv,
  driverOption,
  fileOptions,
  interruptSignal,
  parseTimeout,
  positiveInt,
  progressOption,
  type ExitCode,
} from "../options.js";
import { createSink, type ProgressMode } from "../select-sink.js";

/** `services` and everything they depend on, as compose's `up SERVICE` starts them. */
function withDependencies(
  spec: StackSpec,
  services: readonly string[],
  dependenciesOf: (spec: StackSpec, service: string) => readonly string[],
): string[] {
  return [...new Set(services.flatMap((s) => [s, ...dependenciesOf(spec, s)]))].sort();
}

/** `stack deploy`: converge the engine to the stack file(s); optionally wait or watch. */
export function registerDeploy(program: Command, exit: ExitCode): void {
  fileOptions(
    program
      .command("deploy")
      .addOption(driverOption())
      .description("create or update a stack so the engine matches the stack file")
      .argument(
        "[name-and-services...]",
        "stack name (default: -p, COMPOSE_PROJECT_NAME, the file's name: or directory) and services to deploy with their dependencies (default: all)",
      )
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
      .addOption(
        new Option(
          "--resolve-image <when>",
          "swarm: pin each tag to the digest its registry holds, so every node runs the same image and a moved tag is an update (always), only for tags that changed (changed), or deploy tags as written (never)",
        )
          .choices(["always", "changed", "never"])
          .default("always"),
      )
      .option(
        "--with-registry-auth",
        "swarm: send your registry credentials (docker config) to the swarm so every node can pull",
      )
      .addOption(progressOption()),
  ).action(async function (this: Command, args: string[], opts) {
    // Loaded when the command runs, not at start-up (--help and other commands need none of it).
    const { deployStack } = await import("../../api/deploy.js");
    const { dependenciesOf } = await import("../../api/run.js");
    const { formatPlan } = await import("../../core/format-plan.js");
    const { commandTarget, theStack } = await import("../stack-target.js");
    const sink = await createSink(opts.progress as ProgressMode);
    let stackName: string | undefined;
    try {
      const timeoutMs = parseTimeout(opts.timeout as string);
      const target = await commandTarget(this, args, "name-then-services", { needFile: true });
      stackName = theStack(target);
      const services =
        target.spec !== undefined && target.services.length > 0
          ? withDependencies(target.spec, target.services, dependenciesOf)
          : undefined;
      const signal = interruptSignal();
      const result = await deployStack({
        ...target.load,
        stack: stackName,
        ...(services !== undefined && { services }),
        driver: () =>
          driverFromEnv(opts.driver as DriverName | undefined, (message) =>
            sink.emit({ type: "warning", message }),
          ),
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
        resolveImage: opts.resolveImage as ResolveImageMode,
        withRegistryAuth: Boolean(opts.withRegistryAuth),
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
      sink.emit({
        type: "result",
        stack: stackName,
        ok: result.ok,
        status: opts.dryRun
          ? "planned"
          : result.interrupted
            ? "interrupted"
            : result.timedOut
              ? "timed-out"
              : !result.ok
                ? "failed"
                : opts.wait
                  ? "ready"
                  : "deployed",
        ...(!result.ok && { message: result.message ?? "the deploy failed" }),
      });
    } catch (err) {
      // Tools following --progress json get the end of the story too, with the reason.
      sink.emit({
        type: "result",
        stack: stackName ?? "",
        ok: false,
        status: "failed",
        message: err instanceof Error ? err.message : String(err),
      });
      throw err;
    } finally {
      await sink.close();
    }
  });
}
