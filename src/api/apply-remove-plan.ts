import { executePlan } from "../core/execute-plan.js";
import type { Engine } from "../core/engine.js";
import type { Plan } from "../core/operation.js";
import type { ProgressSink } from "../progress/events.js";
import type { StackSpec } from "../model/types.js";

/** What applying a removal plan needs (both drivers). */
export interface RemovePlanOptions {
  readonly engine: Engine;
  readonly stack: string;
  readonly sink: ProgressSink;
  readonly parallel?: number;
  readonly signal?: AbortSignal;
}

/**
 * Executes a `stack rm` plan: says so and succeeds when there is nothing to remove, else emits
 * the plan and runs it. Removal needs no service settings, so the spec is empty (stops use the
 * engine's grace period).
 */
export async function applyRemovePlan(
  plan: Plan,
  options: RemovePlanOptions,
): Promise<{ ok: boolean; removed: number }> {
  if (plan.operations.length === 0) {
    options.sink.emit({ type: "info", message: `stack ${options.stack} has nothing to remove` });
    return { ok: true, removed: 0 };
  }
  options.sink.emit({ type: "plan", plan });
  const spec: StackSpec = {
    name: options.stack,
    files: [],
    workingDir: process.cwd(),
    services: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
  };
  const result = await executePlan(plan, {
    engine: options.engine,
    spec,
    sink: options.sink,
    parallel: options.parallel ?? 8,
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  return { ok: result.ok, removed: result.done.length };
}
