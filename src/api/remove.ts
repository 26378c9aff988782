import type { Driver } from "../core/driver.js";
import { executePlan } from "../core/execute-plan.js";
import type { StackSpec } from "../model/types.js";
import type { ProgressSink } from "../progress/events.js";

export interface RemoveOptions {
  readonly driver: Driver;
  readonly stack: string;
  /** Also remove named volumes (data is lost). */
  readonly volumes: boolean;
  readonly sink: ProgressSink;
  readonly parallel?: number;
  readonly signal?: AbortSignal;
  /** Grace period of every stop instead of each replica's own (`stack rm -t`). */
  readonly stopTimeoutMs?: number;
}

/** Removal needs no service settings: stops use the engine's grace period. */
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
 * alone, so it needs no stack file; removing a stack that does not exist succeeds and says so.
 */
export async function removeStack(
  options: RemoveOptions,
): Promise<{ ok: boolean; removed: number }> {
  const { driver, stack, sink } = options;
  const removal = await driver.planRemoval(stack, { volumes: options.volumes });
  if (removal.plan.operations.length === 0) {
    sink.emit({ type: "info", message: `stack ${stack} has nothing to remove` });
    return { ok: true, removed: 0 };
  }
  sink.emit({ type: "plan", plan: removal.plan });
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const runner = removal.runner({
    spec: emptySpec(stack),
    sink,
    ...signal,
    ...(options.stopTimeoutMs !== undefined && { stopTimeoutMs: options.stopTimeoutMs }),
  });
  const result = await executePlan(removal.plan, runner, {
    sink,
    parallel: options.parallel ?? 8,
    ...signal,
  });
  for (const note of removal.notes) sink.emit({ type: "info", message: note });
  return { ok: result.ok, removed: result.done.length };
}
