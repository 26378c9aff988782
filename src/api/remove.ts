import type { Driver, StackLock } from "../core/driver.js";
import { InterruptedError } from "../core/errors.js";
import { executePlan } from "../core/execute-plan.js";
import { lockStack } from "./deploy.js";
import type { StackSpec } from "../model/types.js";
import { nullSink, type ProgressSink } from "../progress/events.js";

export interface RemoveOptions {
  readonly driver: Driver;
  readonly stack: string;
  /** Also remove named volumes (data is lost). */
  readonly volumes: boolean;
  /** Where progress goes; default nowhere. */
  readonly sink?: ProgressSink;
  readonly parallel?: number;
  readonly signal?: AbortSignal;
  /**
   * Grace period of every stop, in seconds (`stack rm -t`), instead of each container's own
   * (its `stop_grace_period`, else the engine's 10 s). 0 kills at once. The docker driver
   * honours it; on a swarm the service's own grace period applies.
   */
  readonly timeoutSeconds?: number;
  /** Longest wait for the stack's lock (see `DeployOptions.lockTimeoutMs`); unset: no limit. */
  readonly lockTimeoutMs?: number;
  /** What the lock records as the command holding it; default this process's command line. */
  readonly command?: string;
  /**
   * The stack file of the stack, when there is one: its services' `pre_stop` hooks run
   * before their replicas stop (docker driver). Without it no hook runs. Used only when its
   * name is `stack`.
   */
  readonly spec?: StackSpec;
}

/**
 * Removal needs no service settings without a stack file: each container stops with its
 * own grace period.
 */
function emptySpec(stack: string): StackSpec {
  return {
    name: stack,
    files: [],
    workingDir: process.cwd(),
    services: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
  };
}

/**
 * Removes everything of the stack the driver finds by label (containers or services,
 * networks, secrets and configs; named volumes only when asked). Works from the observation
 * alone, so it needs no stack file (given one, `pre_stop` hooks run); removing a stack that
 * does not exist succeeds and says so.
 */
export async function removeStack(
  options: RemoveOptions,
): Promise<{ ok: boolean; removed: number; interrupted?: boolean }> {
  const { driver, stack } = options;
  const sink = options.sink ?? nullSink;
  const { timeoutSeconds } = options;
  if (timeoutSeconds !== undefined && !(Number.isFinite(timeoutSeconds) && timeoutSeconds >= 0))
    throw new RangeError(`timeoutSeconds must be a number of seconds >= 0, got ${timeoutSeconds}`);
  let lock: StackLock;
  try {
    lock = await lockStack(driver, stack, sink, options);
  } catch (error) {
    if (error instanceof InterruptedError) return { ok: false, removed: 0, interrupted: true };
    throw error;
  }
  try {
    // Planned after the lock is taken: from what the engine holds now.
    const removal = await driver.planRemoval(stack, { volumes: options.volumes });
    if (removal.plan.operations.length === 0) {
      sink.emit({ type: "info", message: `stack ${stack} has nothing to remove` });
      return { ok: true, removed: 0 };
    }
    sink.emit({ type: "plan", plan: removal.plan });
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const runner = removal.runner({
      spec: options.spec?.name === stack ? options.spec : emptySpec(stack),
      sink,
      ...signal,
      ...(timeoutSeconds !== undefined && { stopTimeoutMs: timeoutSeconds * 1000 }),
    });
    const result = await executePlan(removal.plan, runner, {
      sink,
      parallel: options.parallel ?? 8,
      ...signal,
    });
    for (const note of removal.notes) sink.emit({ type: "info", message: note });
    return {
      ok: result.ok,
      removed: result.done.length,
      ...(result.interrupted && { interrupted: true }),
    };
  } finally {
    await lock.release();
  }
}
