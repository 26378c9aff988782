import type { Command } from "commander";
import type { ControlAction, DriverName } from "../../core/driver.js";
import { EXIT } from "../exit-codes.js";
import {
  driverFromEnv,
  driverOption,
  fileOptions,
  stopTimeoutOption,
  type ExitCode,
} from "../options.js";

const DESCRIPTIONS: Readonly<Record<ControlAction, string>> = {
  restart:
    "restart the replicas of services (swarm: a forced rolling update); StartedAt changes, the containers stay",
  stop: "stop the replicas of services, keeping them (swarm: scale to 0, remembered for start)",
  start: "start stopped replicas of services (swarm: back to the count before stop)",
  kill: "send a signal (default SIGKILL) to the main process of running replicas (not on swarm)",
  pause: "pause the processes of running replicas (not on swarm)",
  unpause: "resume paused replicas (not on swarm)",
};

/**
 * `stack restart|stop|start|kill|pause|unpause [SERVICE...]`: one command per action, all
 * through `api/control.ts`. Each replica's outcome is printed on stderr; exit 1 when one
 * failed. The stack comes as in `stack ps` (`-p`, the stack file, or a first argument that is
 * not a service).
 */
export function registerControl(program: Command, exit: ExitCode): void {
  for (const action of Object.keys(DESCRIPTIONS) as ControlAction[]) {
    const cmd = program
      .command(action)
      .addOption(driverOption())
      .description(DESCRIPTIONS[action])
      .argument(
        "[name-and-services...]",
        "stack name (default: -p, COMPOSE_PROJECT_NAME, the stack file's) and services (default: all)",
      );
    if (action === "stop" || action === "restart") cmd.addOption(stopTimeoutOption());
    if (action === "kill") cmd.option("-s, --signal <signal>", "signal to send", "SIGKILL");
    fileOptions(cmd).action(async function (this: Command, args: string[], opts) {
      // Loaded when the command runs, not at start-up (--help and other commands need none of it).
      const { controlStack } = await import("../../api/control.js");
      const { commandTarget, theStack } = await import("../stack-target.js");
      const target = await commandTarget(this, args, "name-then-services");
      // Hook output (pre_stop, post_start) is printed as deploy prints it, on stderr.
      const { PlainSink } = await import("../../progress/plain-sink.js");
      const sink = new PlainSink((line) => process.stderr.write(line));
      const outcomes = await controlStack({
        sink,
        driver: await driverFromEnv(opts.driver as DriverName | undefined),
        stack: theStack(target),
        action,
        services: target.services,
        ...(target.spec !== undefined && { spec: target.spec }),
        ...(opts.timeout !== undefined && { timeoutMs: (opts.timeout as number) * 1000 }),
        ...(opts.signal !== undefined && { signal: opts.signal as string }),
      });
      const width = Math.max(0, ...outcomes.map((o) => o.name.length));
      for (const o of outcomes) process.stderr.write(`${o.name.padEnd(width)}  ${o.result}\n`);
      exit.code = outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.failed;
    });
  }
}
