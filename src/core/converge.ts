import type { Deployment, RetryBounds } from "./driver.js";
import { InterruptedError, StepFailure } from "./errors.js";
import { executePlan, type FailedOperation } from "./execute-plan.js";
import { isWait, type Operation, type Plan } from "./operation.js";
import type { ProgressSink } from "../progress/events.js";
import { withRetry } from "./retry-policy.js";

/** Default number of plan executions before `converge` gives up. */
export const DEFAULT_MAX_ROUNDS = 3;

/** What `converge` needs besides the deployment. */
export interface ConvergeContext {
  readonly sink: ProgressSink;
  /** Most writing operations at once. */
  readonly parallel: number;
  /** Remove what is no longer in the file. */
  readonly prune: boolean;
  readonly signal?: AbortSignal;
  /** Recreate every replica; applies to the first round only, so the loop still ends. */
  readonly forceRecreate?: boolean;
  /** Restrict planning to these services (`stack scale`). */
  readonly services?: readonly string[];
  /** Build images of services with `build:` even when current; first round only. */
  readonly build?: boolean;
  /** Plan executions before giving up; default 3. */
  readonly maxRounds?: number;
  /** Observe and plan once, change nothing, return the plan. */
  readonly dryRun?: boolean;
  /** Limit of one readiness gate; the driver's default when unset. */
  readonly readyTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly retry?: RetryBounds;
}

/** Outcome of a deploy's apply phase. */
export interface ConvergeResult {
  /** True when the engine matches the spec: an empty plan was reached without failures. */
  readonly ok: boolean;
  /** The first plan computed (the one `--dry-run` prints). */
  readonly plan: Plan;
  /** Plans executed (0 for a dry run or a stack already converged). */
  readonly rounds: number;
  /** True when the last observation yielded an empty plan. */
  readonly converged: boolean;
  /** True when any engine write was attempted. */
  readonly changed: boolean;
  readonly failures: readonly FailedOperation[];
  /** Ids of operations skipped in the last round executed. */
  readonly skipped: readonly string[];
  /** The planner's blockers; nothing was executed when there are any. */
  readonly blockers: readonly string[];
  /** The plan still pending when `maxRounds` ran out (not converged, no failure). */
  readonly remaining?: Plan;
  readonly interrupted: boolean;
}

/** A failure whose cause the next round's planner repairs (`StepFailure.replan`). */
function isReplannable(f: FailedOperation): boolean {
  return f.cause instanceof StepFailure && f.cause.replan;
}

/**
 * Makes the engine match the deployment's spec, level-triggered: observe, plan, execute, and
 * again from a fresh observation until a plan comes out empty. The one loop of every driver.
 * Stops at the first round with a failed or skipped operation (re-planning would retry the
 * same failure forever; except when every failure of the round is one the planner repairs
 * from the next observation, `StepFailure.replan`, such as a stale task: then it plans
 * again), when the planner reports blockers (nothing is executed), when `signal` aborts
 * (also while observing), or after `maxRounds` executions (not converged: `remaining` holds
 * the plan still due). Emits a `plan` event for the first plan and every
 * later non-empty one, and one `summary` event at the end (not for a dry run). Engine
 * failures while observing are thrown after their retries; failures of operations are in
 * the result.
 */
export async function converge<Observed, Op extends Operation>(
  deployment: Deployment<Observed, Op>,
  ctx: ConvergeContext,
): Promise<ConvergeResult> {
  const { spec } = deployment;
  const maxRounds = Math.max(1, ctx.maxRounds ?? DEFAULT_MAX_ROUNDS);
  const started = Date.now();
  const failures: FailedOperation[] = [];
  let skipped: readonly string[] = [];
  let first: Plan | undefined;
  let rounds = 0;
  let done = 0;
  let skippedTotal = 0;
  let changed = false;

  const finish = (
    result: Omit<
      ConvergeResult,
      "plan" | "rounds" | "changed" | "failures" | "skipped" | "blockers"
    > & {
      readonly plan: Plan;
      readonly blockers?: readonly string[];
    },
  ): ConvergeResult => {
    if (!ctx.dryRun) {
      ctx.sink.emit({
        type: "summary",
        ok: result.ok,
        done,
        failed: failures.length,
        skipped: skippedTotal,
        ms: Date.now() - started,
      });
    }
    return {
      ...result,
      plan: first ?? result.plan,
      rounds,
      changed,
      failures,
      skipped,
      blockers: result.blockers ?? [],
    };
  };

  for (;;) {
    let observed: Observed;
    try {
      observed = await withRetry(() => deployment.observe(), {
        ...ctx.retry,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
    } catch (error) {
      if (!(error instanceof InterruptedError)) throw error;
      const empty: Plan = { stack: spec.name, operations: [], warnings: [] };
      return finish({ ok: false, converged: false, interrupted: true, plan: first ?? empty });
    }
    const plan = deployment.plan(observed, {
      prune: ctx.prune,
      ...(ctx.services === undefined ? {} : { services: ctx.services }),
      // Only the first round forces: afterwards every replica is fresh and forcing again
      // would recreate forever.
      ...(ctx.forceRecreate === true && rounds === 0 ? { forceRecreate: true } : {}),
      ...(ctx.build === true && rounds === 0 ? { build: true } : {}),
      ...(rounds === 0 ? { firstRound: true } : {}),
    });
    const isFirst = first === undefined;
    first ??= plan;
    const blockers = plan.blockers ?? [];

    if (ctx.dryRun) {
      ctx.sink.emit({ type: "plan", plan });
      return finish({
        ok: blockers.length === 0,
        converged: plan.operations.length === 0,
        interrupted: false,
        plan,
        blockers,
      });
    }
    if (blockers.length > 0) {
      if (isFirst) ctx.sink.emit({ type: "plan", plan });
      return finish({ ok: false, converged: false, interrupted: false, plan, blockers });
    }
    if (plan.operations.length === 0) {
      if (isFirst) ctx.sink.emit({ type: "plan", plan });
      return finish({ ok: true, converged: true, interrupted: false, plan });
    }
    if (rounds >= maxRounds) {
      ctx.sink.emit({
        type: "warning",
        message: `${spec.name} did not converge after ${rounds} rounds; still planned: ${plan.operations.map((op) => op.id).join(", ")}`,
      });
      return finish({ ok: false, converged: false, interrupted: false, plan, remaining: plan });
    }
    if (ctx.signal?.aborted)
      return finish({ ok: false, converged: false, interrupted: true, plan });

    ctx.sink.emit({ type: "plan", plan });
    rounds += 1;
    const runner = deployment.runner(plan, {
      spec,
      sink: ctx.sink,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      ...(ctx.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: ctx.readyTimeoutMs }),
      ...(ctx.pollIntervalMs === undefined ? {} : { pollIntervalMs: ctx.pollIntervalMs }),
      ...(ctx.retry === undefined ? {} : { retry: ctx.retry }),
    });
    const result = await executePlan(plan, runner, {
      sink: ctx.sink,
      parallel: ctx.parallel,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    done += result.done.length;
    skipped = result.skipped;
    // Waits write nothing; a failed write may have half-happened.
    const writes = new Set(plan.operations.filter((op) => !isWait(op)).map((op) => op.id));
    if (result.done.some((id) => writes.has(id)) || result.failed.some((f) => writes.has(f.op.id)))
      changed = true;
    // Failures the next observation shows and the planner repairs (a stale task): plan again.
    if (
      !result.ok &&
      !result.interrupted &&
      result.failed.length > 0 &&
      result.failed.every(isReplannable)
    ) {
      for (const f of result.failed)
        ctx.sink.emit({ type: "info", message: `${f.op.text}: ${f.error}; planning again` });
      continue;
    }
    skippedTotal += result.skipped.length;
    failures.push(...result.failed);
    if (!result.ok)
      return finish({ ok: false, converged: false, interrupted: result.interrupted, plan });
  }
}
