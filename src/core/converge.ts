import type { Engine } from "./engine.js";
import type { ObservedState } from "./observed-state.js";
import type { Plan } from "./operation.js";
import {
  reconcile as defaultReconcile,
  type ReconcileOptions,
} from "../drivers/docker/reconcile.js";
import type { ProgressSink } from "../progress/events.js";
import { ingressImage, ingressRoutes } from "../model/ingress.js";
import type { StackSpec } from "../model/types.js";
import { executePlan, type ExecuteContext, type FailedOperation } from "./execute-plan.js";
import { InterruptedError, withRetry } from "./retry-policy.js";

/** The planner's signature; tests inject their own. */
export type ReconcileFn = (
  spec: StackSpec,
  observed: ObservedState,
  options: ReconcileOptions,
) => Plan;

/** Default number of plan executions before `converge` gives up. */
export const DEFAULT_MAX_ROUNDS = 3;

/** What `converge` needs. */
export interface ConvergeContext extends Pick<
  ExecuteContext,
  "readyTimeoutMs" | "pollIntervalMs" | "retry"
> {
  readonly engine: Engine;
  readonly sink: ProgressSink;
  /** Most writing operations at once. */
  readonly parallel: number;
  /** Remove containers of services no longer in the file. */
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
  readonly reconcile?: ReconcileFn;
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

/** Images to check for presence and external objects to check for existence. */
function wantedObjects(spec: StackSpec, services: readonly string[] | undefined) {
  const names = services ?? Object.keys(spec.services);
  const images = [
    ...new Set([
      ...names.flatMap((n) => spec.services[n]?.image ?? []),
      ...(ingressRoutes(spec).length > 0 ? [ingressImage(spec)] : []),
    ]),
  ].sort();
  const externalNetworks = Object.values(spec.networks)
    .filter((n) => n.external)
    .map((n) => n.name)
    .sort();
  const externalVolumes = Object.values(spec.volumes)
    .filter((v) => v.external)
    .map((v) => v.name)
    .sort();
  return { images, externalNetworks, externalVolumes };
}

/**
 * Makes the engine match `spec`, level-triggered: observe, plan (`reconcile`), execute,
 * and again from a fresh observation until a plan comes out empty. Stops at the first
 * round with a failed or skipped operation (re-planning would retry the same failure
 * forever), when the planner reports blockers (nothing is executed), when `signal` aborts,
 * or after `maxRounds` executions (not converged: `remaining` holds the plan still due).
 * Emits a `plan` event for the first plan and every later non-empty one, and one `summary`
 * event at the end (not for a dry run). Engine failures while observing are thrown; failures
 * of operations are in the result.
 */
export async function converge(spec: StackSpec, ctx: ConvergeContext): Promise<ConvergeResult> {
  const reconcile = ctx.reconcile ?? defaultReconcile;
  const maxRounds = Math.max(1, ctx.maxRounds ?? DEFAULT_MAX_ROUNDS);
  const want = wantedObjects(spec, ctx.services);
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
    let observed: ObservedState;
    try {
      observed = await withRetry(() => ctx.engine.observe(spec.name, want), {
        ...ctx.retry,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
    } catch (error) {
      if (!(error instanceof InterruptedError)) throw error;
      const empty: Plan = { stack: spec.name, operations: [], warnings: [] };
      return finish({ ok: false, converged: false, interrupted: true, plan: first ?? empty });
    }
    const plan = reconcile(spec, observed, {
      prune: ctx.prune,
      ...(ctx.services === undefined ? {} : { services: ctx.services }),
      // Only the first round forces: afterwards every replica is fresh and forcing again
      // would recreate forever.
      ...(ctx.forceRecreate === true && rounds === 0 ? { forceRecreate: true } : {}),
      ...(ctx.build === true && rounds === 0 ? { build: true } : {}),
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
    const result = await executePlan(plan, {
      engine: ctx.engine,
      spec,
      sink: ctx.sink,
      parallel: ctx.parallel,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      ...(ctx.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: ctx.readyTimeoutMs }),
      ...(ctx.pollIntervalMs === undefined ? {} : { pollIntervalMs: ctx.pollIntervalMs }),
      ...(ctx.retry === undefined ? {} : { retry: ctx.retry }),
    });
    done += result.done.length;
    skippedTotal += result.skipped.length;
    failures.push(...result.failed);
    skipped = result.skipped;
    // Waits and delays write nothing; a failed write may have half-happened.
    const writes = new Set(
      plan.operations
        .filter((op) => op.kind !== "wait-ready" && op.kind !== "delay")
        .map((op) => op.id),
    );
    if (result.done.some((id) => writes.has(id)) || result.failed.some((f) => writes.has(f.op.id)))
      changed = true;
    if (!result.ok)
      return finish({ ok: false, converged: false, interrupted: result.interrupted, plan });
  }
}
