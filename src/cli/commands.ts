import type { Command } from "commander";
import { Option } from "commander";
import { deployStack, formatWarning } from "../api/deploy.js";
import { removeStack } from "../api/remove.js";
import { followLogs } from "../api/logs.js";
import { listStacks, stackReplicas, stackServices } from "../api/status.js";
import type { DriverName } from "../drivers/connect.js";
import { selectEngine } from "../drivers/select-engine.js";
import type { Engine } from "../core/engine.js";
import { formatPlan } from "../core/format-plan.js";
import { formatConfig } from "../stackfile/compose-form.js";
import { loadStack } from "../stackfile/load-stack.js";
import { maskSecretValues, secretValues } from "../stackfile/secret-content.js";
import { parseDurationMs } from "../stackfile/units.js";
import { STACK_NAME_PATTERN } from "../model/naming.js";
import { EXIT } from "./exit-codes.js";
import { formatAge, formatTable } from "./format-table.js";
import { CliExit } from "./handle-error.js";
import { createSink, type ProgressMode } from "./select-sink.js";
import { SpecError } from "../stackfile/errors.js";
import { supervise } from "../drivers/docker/supervise.js";
import type { ProgressSink } from "../progress/events.js";
import type { StackSpec } from "../model/types.js";

const collect = (value: string, previous: string[]) => [...previous, value];

function positiveInt(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new CliExit(
        EXIT.invalidInput,
        `error: ${name} must be a whole number >= 1, got "${value}"`,
      );
    return n;
  };
}

function checkStackName(name: string): string {
  if (!STACK_NAME_PATTERN.test(name)) {
    throw new CliExit(
      EXIT.invalidInput,
      `error: invalid stack name "${name}": use lowercase letters, digits, "_" and "-", starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * The engine driver for this process's environment: `driver` when --driver was given, else
 * swarm when the engine is an active swarm manager, docker otherwise.
 */
async function engineFromEnv(driver?: DriverName): Promise<Engine> {
  return (await selectEngine(process.env, driver === undefined ? {} : { driver })).engine;
}

function driverOption(): Option {
  return new Option(
    "--driver <driver>",
    "engine driver (default: swarm on a swarm manager, else docker)",
  ).choices(["docker", "swarm"]);
}

function fileOptions(cmd: Command): Command {
  return cmd
    .option(
      "-c, --compose-file <file>",
      "stack file (repeatable, merged in order; - reads stdin)",
      collect,
      [],
    )
    .option("--env-file <file>", "file of variables for interpolation (repeatable)", collect, []);
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => (text += chunk));
    process.stdin.on("end", () => resolve(text));
    process.stdin.on("error", reject);
  });
}

function loadOptions(opts: { composeFile: string[]; envFile: string[] }) {
  return {
    files: opts.composeFile,
    envFiles: opts.envFile,
    cwd: process.cwd(),
    env: process.env,
    readStdin,
  };
}

/** Aborts on the first Ctrl-C (work stops at a safe point); a second one exits at once. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  let count = 0;
  const onSignal = () => {
    count += 1;
    if (count > 1) process.exit(EXIT.interrupted);
    process.stderr.write(
      "interrupted: finishing the current engine calls (Ctrl-C again to quit now)\n",
    );
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

function formatChoice<T extends string>(choices: readonly T[], fallback: T) {
  return new Option("--format <format>", `output format (${choices.join("|")})`)
    .choices(choices)
    .default(fallback);
}

/** Registers every subcommand on `program`; `exit.code` receives the command's exit code. */
export function registerCommands(program: Command, exit: { code: number }): void {
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
      .option("--timeout <duration>", "limit for --wait, e.g. 90s or 5m", "5m")
      .option("--parallel <n>", "engine calls at once", positiveInt("--parallel"), 8)
      .addOption(
        new Option("--progress <mode>", "progress output")
          .choices(["auto", "tty", "plain", "json", "quiet"])
          .default("auto"),
      ),
  ).action(async (name: string, opts) => {
    const sink = createSink(opts.progress as ProgressMode);
    try {
      const timeoutMs = parseTimeout(opts.timeout as string);
      let engine: Engine | undefined;
      const signal = interruptSignal();
      const result = await deployStack({
        ...loadOptions(opts),
        stackName: checkStackName(name),
        engine: async () => (engine = await engineFromEnv(opts.driver as DriverName | undefined)),
        sink,
        dryRun: Boolean(opts.dryRun),
        prune: Boolean(opts.prune),
        forceRecreate: Boolean(opts.forceRecreate),
        build: Boolean(opts.build),
        wait: Boolean(opts.wait),
        timeoutMs,
        parallel: opts.parallel as number,
        signal,
      });
      if (opts.dryRun) process.stdout.write(formatPlan(result.plan));
      if (opts.watch && !opts.dryRun && engine !== undefined && !signal.aborted) {
        // Ctrl-C ends the watch and leaves the stack running: exit 0 unless the deploy failed.
        await watchStack(result.spec, engine, sink, signal, opts);
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

  fileOptions(
    program
      .command("scale")
      .addOption(driverOption())
      .description("set the replica count of services (from the stack file) and converge only them")
      .argument("<name>", "stack name")
      .argument("<service=replicas...>", "e.g. web=3")
      .option("--parallel <n>", "engine calls at once", positiveInt("--parallel"), 8),
  ).action(async (name: string, pairs: string[], opts) => {
    const replicas: Record<string, number> = {};
    for (const pair of pairs) {
      const m = /^([^=]+)=(\d+)$/.exec(pair);
      if (!m)
        throw new CliExit(EXIT.invalidInput, `error: expected SERVICE=REPLICAS, got "${pair}"`);
      replicas[m[1]!] = Number(m[2]);
    }
    const sink = createSink("auto");
    try {
      const result = await deployStack({
        ...loadOptions(opts),
        stackName: checkStackName(name),
        engine: () => engineFromEnv(opts.driver as DriverName | undefined),
        sink,
        replicas,
        services: Object.keys(replicas),
        parallel: opts.parallel as number,
        signal: interruptSignal(),
      });
      exit.code = result.ok ? EXIT.ok : EXIT.failed;
    } finally {
      await sink.close();
    }
  });

  program
    .command("rm")
    .addOption(driverOption())
    .alias("remove")
    .description("remove a stack's containers and networks (volumes only with --volumes)")
    .argument("<name...>", "stack name(s)")
    .option("--volumes", "also remove the stack's named volumes (their data is lost)")
    .addOption(
      new Option("--progress <mode>", "progress output")
        .choices(["auto", "tty", "plain", "json", "quiet"])
        .default("auto"),
    )
    .action(async (names: string[], opts) => {
      const sink = createSink(opts.progress as ProgressMode);
      try {
        const engine = await engineFromEnv(opts.driver as DriverName | undefined);
        let ok = true;
        for (const name of names) {
          const result = await removeStack({
            engine,
            stack: checkStackName(name),
            volumes: Boolean(opts.volumes),
            sink,
          });
          ok &&= result.ok;
        }
        exit.code = ok ? EXIT.ok : EXIT.failed;
      } finally {
        await sink.close();
      }
    });

  program
    .command("ls")
    .addOption(driverOption())
    .alias("list")
    .description("list the stacks on the engine")
    .addOption(formatChoice(["table", "json"] as const, "table"))
    .action(async (opts) => {
      const stacks = await listStacks(await engineFromEnv(opts.driver as DriverName | undefined));
      if (opts.format === "json") process.stdout.write(`${JSON.stringify(stacks, null, 2)}\n`);
      else
        process.stdout.write(
          formatTable(
            ["NAME", "SERVICES", "CONTAINERS", "RUNNING"],
            stacks.map((s) => [
              s.name,
              String(s.services),
              String(s.containers),
              String(s.running),
            ]),
          ),
        );
    });

  program
    .command("services")
    .addOption(driverOption())
    .description("list the services of a stack with replicas running/desired")
    .argument("<name>", "stack name")
    .addOption(formatChoice(["table", "json"] as const, "table"))
    .action(async (name: string, opts) => {
      const rows = await stackServices(
        await engineFromEnv(opts.driver as DriverName | undefined),
        checkStackName(name),
      );
      if (opts.format === "json") process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else
        process.stdout.write(
          formatTable(
            ["NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"],
            rows.map((r) => [
              `${name}_${r.name}`,
              r.mode,
              `${r.running}/${r.desired}`,
              r.image,
              r.ports.join(", "),
            ]),
          ),
        );
    });

  fileOptions(
    program
      .command("ps")
      .addOption(driverOption())
      .description("show every replica of a stack; on a terminal it stays live until q or Ctrl-C")
      .argument("<name>", "stack name")
      .addOption(
        new Option("--format <format>", "print once in this format (table|json)").choices([
          "table",
          "json",
        ]),
      )
      .option("--no-watch", "print once and exit, even on a terminal")
      .option("--stats", "live view: also show CPU and memory against the limit per replica"),
  ).action(async (name: string, opts) => {
    const stack = checkStackName(name);
    const { isInteractive } = await import("../ui/terminal.js");
    if (
      opts.watch !== false &&
      opts.format === undefined &&
      isInteractive(process.stdout, process.env)
    ) {
      // The stack file is optional here: with it the view shows the true desired counts.
      let desired: Record<string, number> | undefined;
      if ((opts.composeFile as string[]).length > 0) {
        const { spec } = await loadStack({ ...loadOptions(opts), stackName: stack });
        desired = Object.fromEntries(
          Object.values(spec.services).map((s) => [s.name, s.deploy.replicas]),
        );
      }
      const { runPsLive } = await import("../ui/run-ps-live.js");
      await runPsLive({
        engine: await engineFromEnv(opts.driver as DriverName | undefined),
        stack,
        stats: Boolean(opts.stats),
        ...(desired !== undefined && { desired }),
        stdout: process.stdout,
        stdin: process.stdin,
        env: process.env,
      });
      return;
    }
    const rows = await stackReplicas(
      await engineFromEnv(opts.driver as DriverName | undefined),
      stack,
    );
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
          r.ports.join(", "),
          r.error ?? "",
        ]),
      ),
    );
  });

  program
    .command("logs")
    .addOption(driverOption())
    .description("show the logs of a stack's replicas, prefixed with their names")
    .argument("<name>", "stack name")
    .argument("[service]", "only this service")
    .option("-f, --follow", "keep following new output")
    .option("--tail <n>", "lines from the end of each replica's log", (v) => {
      if (v === "all") return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new CliExit(EXIT.invalidInput, `error: --tail must be a number or "all", got "${v}"`);
      return n;
    })
    .action(async (name: string, service: string | undefined, opts) => {
      const found = await followLogs({
        engine: await engineFromEnv(opts.driver as DriverName | undefined),
        stack: checkStackName(name),
        ...(service !== undefined && { service }),
        follow: Boolean(opts.follow),
        ...(opts.tail !== undefined && { tail: opts.tail as number }),
        signal: interruptSignal(),
        write: (s) => process.stdout.write(s),
      });
      if (!found)
        throw new CliExit(
          EXIT.failed,
          `error: no replicas of ${service ? `service "${service}" in ` : ""}stack "${name}"`,
        );
    });

  fileOptions(
    program
      .command("config")
      .description(
        "print the merged, interpolated, normalised stack in compose's form, as `docker compose config` does (or only validate it)",
      )
      .option("-q, --quiet", "only validate; print nothing but problems")
      .addOption(formatChoice(["yaml", "json"] as const, "yaml"))
      .option("--model", "print stack's internal model instead of compose's form")
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
        formatConfig(spec, {
          format: opts.format === "json" ? "json" : "yaml",
          model: Boolean(opts.model),
        }),
        secrets,
      ),
    );
  });
}

/** `deploy --watch`: supervise the docker driver's stack; swarm supervises its own. */
async function watchStack(
  spec: StackSpec,
  engine: Engine,
  sink: ProgressSink,
  signal: AbortSignal,
  opts: { parallel?: unknown; prune?: unknown },
): Promise<void> {
  if (engine.driver !== "docker") {
    sink.emit({
      type: "info",
      message:
        "--watch: the swarm keeps the stack converged itself (restart policies, rescheduling); nothing to watch",
    });
    return;
  }
  sink.emit({
    type: "info",
    message: `watching stack ${spec.name}; Ctrl-C stops watching and leaves it running`,
  });
  await supervise(spec, {
    engine,
    sink,
    signal,
    parallel: opts.parallel as number,
    prune: Boolean(opts.prune),
  });
}

function parseTimeout(text: string): number {
  try {
    return parseDurationMs(text);
  } catch {
    throw new SpecError([
      { path: "--timeout", message: `must be a duration like "90s" or "5m", got "${text}"` },
    ]);
  }
}
