import type { ServiceEngine } from "./service-engine.js";
import type { Plan } from "../../core/operation.js";
import { reconcileSwarm } from "./reconcile.js";
import type { SwarmDesiredState } from "./observed-state.js";
import type { ProgressSink } from "../../progress/events.js";
import type { StackSpec } from "../../model/types.js";
import { executePlan, type FailedOperation } from "../../core/execute-plan.js";
import { withRetry } from "../../core/retry-policy.js";

/** What `convergeSwarm` needs. */
export interface ConvergeSwarmContext {
  readonly engine: ServiceEngine;
  readonly sink: ProgressSink;
  readonly parallel: number;
  readonly prune: boolean;
  readonly services?: readonly string[];
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  /** Variables for `environment:` secrets and configs (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Plan executions before giving up; default 3. */
  readonly maxRounds?: number;
  readonly readyTimeoutMs?: number;
}

/** Outcome of a swarm deploy's apply phase. */
export interface ConvergeSwarmResult {
  readonly ok: boolean;
  /** The first plan computed (the one `--dry-run` prints). */
  readonly plan: Plan;
  readonly desired: SwarmDesiredState;
  readonly changed: boolean;
  readonly converged: boolean;
  readonly failures: readonly FailedOperation[];
  readonly blockers: readonly string[];
  readonly interrupted: boolean;
}

/**
 * Makes the swarm's services match `spec`, level-triggered like the docker driver's
 * `converge`: observe, plan (`reconcileSwarm`), execute, until a plan comes out empty. It
 * returns once swarm has accepted every change; the rollout itself is swarm's, and
 * `waitSwarmStack` follows it. Stops at blockers, at a failed round, on `signal`, or after
 * `maxRounds` executions. Emits `plan` events and one `summary` (not for a dry run).
 */
export async function convergeSwarm(
  spec: StackSpec,
  ctx: ConvergeSwarmContext,
): Promise<ConvergeSwarmResult> {
  const desired = await ctx.engine.desiredState(spec, ctx.env);
  const want = {
    externalNetworks: Object.values(spec.networks)
      .filter((n) => n.external)
      .map((n) => n.name),
    externalSecrets: Object.values(desired.secrets)
      .filter((s) => s.external)
      .map((s) => s.name),
    externalConfigs: Object.values(desired.configs)
      .filter((s) => s.external)
      .map((s) => s.name),
  };
  const maxRounds = Math.max(1, ctx.maxRounds ?? 3);
  const started = Date.now();
  const failures: FailedOperation[] = [];
  let first: Plan | undefined;
  let changed = false;
  let done = 0;
  let skipped = 0;
  const finish = (r: {
    ok: boolean;
    converged: boolean;
    interrupted: boolean;
    plan: Plan;
  }): ConvergeSwarmResult => {
    if (!ctx.dryRun) {
      ctx.sink.emit({
        type: "summary",
        ok: r.ok,
        done,
        failed: failures.length,
        skipped,
        ms: Date.now() - started,
      });
    }
    return {
      ...r,
      plan: first ?? r.plan,
      desired,
      changed,
      failures,
      blockers: r.plan.blockers ?? [],
    };
  };
  for (let round = 0; ; round++) {
    const observed = await withRetry(
      () => ctx.engine.observeSwarm(spec.name, want),
      ctx.signal === undefined ? {} : { signal: ctx.signal },
    );
    const plan = reconcileSwarm(spec, desired, observed, {
      prune: ctx.prune,
      ...(ctx.services !== undefined && { services: ctx.services }),
    });
    const isFirst = first === undefined;
    first ??= plan;
    const blocked = (plan.blockers ?? []).length > 0;
    if (ctx.dryRun || blocked || plan.operations.length === 0) {
      if (isFirst || ctx.dryRun) ctx.sink.emit({ type: "plan", plan });
      return finish({
        ok: !blocked,
        converged: plan.operations.length === 0 && !blocked,
        interrupted: false,
        plan,
      });
    }
    if (round >= maxRounds) {
      ctx.sink.emit({
        type: "warning",
        message: `${spec.name} did not converge after ${round} rounds; still planned: ${plan.operations.map((op) => op.id).join(", ")}`,
      });
      return finish({ ok: false, converged: false, interrupted: false, plan });
    }
    if (ctx.signal?.aborted)
      return finish({ ok: false, converged: false, interrupted: true, plan });
    ctx.sink.emit({ type: "plan", plan });
    const result = await executePlan(plan, {
      engine: ctx.engine,
      spec,
      sink: ctx.sink,
      parallel: ctx.parallel,
      ...(ctx.signal !== undefined && { signal: ctx.signal }),
      ...(ctx.readyTimeoutMs !== undefined && { readyTimeoutMs: ctx.readyTimeoutMs }),
    });
    done += result.done.length;
    skipped += result.skipped.length;
    failures.push(...result.failed);
    if (result.done.some((id) => !id.includes(":wait:")) || result.failed.length > 0)
      changed = true;
    if (!result.ok)
      return finish({ ok: false, converged: false, interrupted: result.interrupted, plan });
  }
}
