/**
 * The engine actions of the `stack ps` console, through the same API functions the commands
 * use: `stack restart|stop|start` (controlStack), `stack scale` (deployStack with replica
 * counts), `stack logs -f` (followLogs), `stack exec` (execInService) and the driver's
 * inspect summary.
 */
import { controlStack } from "../api/control.js";
import { deployStack } from "../api/deploy.js";
import { execInService } from "../api/exec.js";
import { followLogs } from "../api/logs.js";
import type { Driver } from "../core/driver.js";
import { UnsupportedError } from "../core/errors.js";
import type { ProgressEvent, ProgressSink } from "../progress/events.js";
import type { ConsoleActions } from "../ui/console-effects.js";
import { stdoutTerminal, withTerminal } from "./attach-terminal.js";
import type { StackTarget } from "./stack-target.js";

/** Log lines a logs pane starts with, like `stack logs --tail 200`. */
const LOG_TAIL = 200;

/**
 * The shell `x` opens: bash where the image has it, else sh (busybox and alpine have only
 * sh); `exec` so the shell's exit is the exec's.
 */
export const CONSOLE_SHELL: readonly string[] = [
  "/bin/sh",
  "-c",
  "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi",
];

/** A progress sink that turns a scale's events into one status line at a time. */
function statusSink(onProgress: (text: string) => void): ProgressSink {
  let total = 0;
  let done = 0;
  return {
    emit(event: ProgressEvent) {
      switch (event.type) {
        case "plan":
          total = event.plan.operations.length;
          if (total === 0) onProgress("nothing to change");
          return;
        case "op-start":
          onProgress(`${event.op.text} (${done + 1}/${total})`);
          return;
        case "op-done":
          done += 1;
          return;
        case "waiting":
          onProgress(`waiting for ${event.target}: ${event.what}`);
          return;
        case "info":
          // The lock's holder, when another deploy or scale of the stack runs.
          if (event.message.includes("lock")) onProgress(event.message);
          return;
        default:
          return;
      }
    },
    close: () => Promise.resolve(),
  };
}

/** Options of {@link consoleActions}. */
export interface ConsoleActionsOptions {
  readonly driver: Driver;
  readonly stack: string;
  /** The stack `stack ps` resolved (its file, when read, is what scaling deploys). */
  readonly target: StackTarget;
}

/** The console's actions on `stack`, each one the API call of its command. */
export function consoleActions(options: ConsoleActionsOptions): ConsoleActions {
  const { driver, stack, target } = options;
  return {
    control: (action, service, replicaId) =>
      controlStack({
        driver,
        stack,
        action,
        services: [service],
        ...(target.spec !== undefined && { spec: target.spec }),
        ...(replicaId !== undefined && { replicas: [replicaId] }),
      }),
    scale: async (service, replicas, onProgress) => {
      const result = await deployStack({
        ...target.load,
        stack,
        driver: () => driver,
        sink: statusSink(onProgress),
        replicas: { [service]: replicas },
        services: [service],
        command: `stack scale ${stack} ${service}=${replicas} (from stack ps)`,
      });
      return { ok: result.ok, ...(result.message !== undefined && { message: result.message }) };
    },
    logs: async (logTarget, signal, write) => {
      await followLogs({
        driver,
        stack,
        services: [logTarget.service],
        ...(logTarget.kind === "replica" && { replicas: [logTarget.id] }),
        follow: true,
        tail: LOG_TAIL,
        signal,
        write,
      });
    },
    shell: (service, slot) =>
      withTerminal(true, () =>
        execInService({
          driver,
          stack,
          service,
          index: slot,
          cmd: CONSOLE_SHELL,
          tty: true,
          terminal: stdoutTerminal(),
          stdin: process.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
        }),
      ),
    inspect: (replica) => {
      if (driver.inspect === undefined)
        return Promise.reject(
          new UnsupportedError(`the ${driver.name} driver has no inspect summary`),
        );
      return driver.inspect(replica);
    },
  };
}
