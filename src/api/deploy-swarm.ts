import { convergeSwarm } from "../drivers/swarm/converge.js";
import { applyRemovePlan } from "./apply-remove-plan.js";
import { waitSwarmStack } from "../drivers/swarm/readiness.js";
import type { ServiceEngine } from "../drivers/swarm/service-engine.js";
import { planRemoveSwarm } from "../drivers/swarm/reconcile.js";
import type { ProgressSink } from "../progress/events.js";
import { SpecError, formatIssue } from "../stackfile/errors.js";
import type { StackSpec } from "../model/types.js";
import type { DeployOptions, DeployResult } from "./deploy.js";
import { swarmDriverIssues } from "./preflight.js";

/**
 * `stack deploy` on a swarm manager: checks `spec` against what swarm can do (errors throw
 * SpecError before any change, warnings are emitted), converges the services and, with
 * `wait`, follows the rollouts until every service runs its desired tasks of the new spec;
 * a paused or rolled-back update fails naming the service and the task error.
 */
export async function deploySwarmStack(
  spec: StackSpec,
  engine: ServiceEngine,
  options: DeployOptions,
): Promise<DeployResult> {
  const nodes = (await engine.observeSwarm(spec.name)).nodes.filter(
    (n) => n.availability === "active",
  ).length;
  const issues = swarmDriverIssues(spec, nodes);
  if (issues.errors.length > 0) throw new SpecError(issues.errors);
  for (const w of issues.warnings) {
    options.sink.emit({
      type: "warning",
      message: formatIssue({
        path: w.path ?? "",
        message: w.message,
        ...(w.pos !== undefined && { pos: w.pos }),
      }),
    });
  }
  const result = await convergeSwarm(spec, {
    engine,
    sink: options.sink,
    parallel: options.parallel ?? 8,
    prune: options.prune ?? false,
    env: options.env,
    ...(options.services !== undefined && { services: options.services }),
    ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  const base = { spec, plan: result.plan, changed: result.changed };
  if (!result.ok || options.dryRun || !options.wait) {
    return { ...base, ok: result.ok, timedOut: false, interrupted: result.interrupted };
  }
  const waited = await waitSwarmStack(
    spec,
    result.desired,
    {
      engine,
      sink: options.sink,
      timeoutMs: options.timeoutMs ?? 300_000,
      ...(options.signal !== undefined && { signal: options.signal }),
    },
    options.services,
  );
  if (!waited.ok && waited.message !== undefined)
    options.sink.emit({ type: "warning", message: waited.message });
  return { ...base, ok: waited.ok, timedOut: waited.timedOut, interrupted: waited.interrupted };
}

/**
 * `stack rm` on a swarm: removes the stack's services, then its networks, secrets and
 * configs (also those `docker stack deploy` made: they carry the same namespace label).
 */
export async function removeSwarmStack(options: {
  readonly engine: ServiceEngine;
  readonly stack: string;
  readonly sink: ProgressSink;
  readonly parallel?: number;
  readonly signal?: AbortSignal;
}): Promise<{ ok: boolean; removed: number }> {
  const observed = await options.engine.observeSwarm(options.stack);
  const plan = planRemoveSwarm(observed);
  return applyRemovePlan(plan, options);
}
