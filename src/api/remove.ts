import { executePlan } from "../apply/execute-plan.js";
import type { Engine } from "../engine/engine.js";
import { isServiceEngine } from "../engine/service-engine.js";
import { removeSwarmStack } from "./deploy-swarm.js";
import { planRemove } from "../plan/plan-rm.js";
import type { ProgressSink } from "../progress/events.js";
import type { StackSpec } from "../spec/types.js";

export interface RemoveOptions {
  readonly engine: Engine;
  readonly stack: string;
  /** Also remove named volumes (data is lost). */
  readonly volumes: boolean;
  readonly sink: ProgressSink;
  readonly parallel?: number;
  readonly signal?: AbortSignal;
}

/**
 * Removes every container and network labelled with the stack (and its volumes when asked).
 * Works from the observation alone, so it needs no stack file; removing a stack that does
 * not exist succeeds and says so.
 */
export async function removeStack(
  options: RemoveOptions,
): Promise<{ ok: boolean; removed: number }> {
  if (isServiceEngine(options.engine))
    return removeSwarmStack({ ...options, engine: options.engine });
  const observed = await options.engine.observe(options.stack);
  const plan = planRemove(observed, { volumes: options.volumes });
  if (plan.operations.length === 0) {
    options.sink.emit({ type: "info", message: `stack ${options.stack} has nothing to remove` });
    return { ok: true, removed: 0 };
  }
  options.sink.emit({ type: "plan", plan });
  // rm needs no service settings: an empty spec makes stops use the engine's grace period.
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
  if (!options.volumes && observed.volumes.length > 0) {
    options.sink.emit({
      type: "info",
      message: `kept ${observed.volumes.length} volume(s) of stack ${options.stack}: ${observed.volumes
        .map((v) => v.name)
        .sort()
        .join(", ")} (remove them with --volumes)`,
    });
  }
  return { ok: result.ok, removed: result.done.length };
}
