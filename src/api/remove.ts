import type { Engine } from "../core/engine.js";
import { applyRemovePlan } from "./apply-remove-plan.js";
import { isServiceEngine } from "../drivers/swarm/service-engine.js";
import { removeSwarmStack } from "./deploy-swarm.js";
import { planRemove } from "../drivers/docker/plan-remove.js";
import type { ProgressSink } from "../progress/events.js";

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
  const result = await applyRemovePlan(plan, options);
  if (plan.operations.length > 0 && !options.volumes && observed.volumes.length > 0) {
    options.sink.emit({
      type: "info",
      message: `kept ${observed.volumes.length} volume(s) of stack ${options.stack}: ${observed.volumes
        .map((v) => v.name)
        .sort()
        .join(", ")} (remove them with --volumes)`,
    });
  }
  return result;
}
