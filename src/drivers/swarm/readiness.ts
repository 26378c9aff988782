/**
 * Readiness of swarm services, judged from a `SwarmObservedState`: the `depends_on` gates
 * of a swarm plan and `deploy --wait` on a swarm.
 */
import type { WaitResult } from "../../core/driver.js";
import { EngineError, InterruptedError, StepFailure } from "../../core/errors.js";
import { sleep } from "../../core/retry-policy.js";
import type { ServiceEngine } from "./service-engine.js";
import type { SwarmDesiredState, SwarmObservedState } from "./observed-state.js";
import type { ProgressSink } from "../../progress/events.js";
import { oneShotServices } from "../../model/one-shot.js";
import type { DependencyCondition, StackSpec } from "../../model/types.js";

/** Where one service stands. */
export type SwarmVerdict =
  | { readonly status: "met" }
  | { readonly status: "pending"; readonly why: string }
  | { readonly status: "failed"; readonly why: string };

/**
 * Judges service `key` against `condition`. Swarm reports a task `running` only once its
 * healthcheck passed, so `service_started` and `service_healthy` both mean: as many running
 * tasks of the current spec (`configHash`, when given) as desired, and no rollout under way.
 * An update that paused or rolled back is a failure naming the newest task error;
 * `service_completed_successfully` wants every task complete with exit code 0.
 */
export function judgeSwarmService(
  observed: SwarmObservedState,
  key: string,
  condition: DependencyCondition,
  configHash?: string,
): SwarmVerdict {
  const service = observed.services.find((s) => s.service === key);
  if (service === undefined) return { status: "pending", why: "service not created yet" };
  const taskError =
    service.taskError === undefined ? "" : `; last task error: ${service.taskError}`;
  switch (service.updateState) {
    case "paused":
    case "rollback_paused":
      return {
        status: "failed",
        why: `update of ${service.name} paused${service.updateMessage ? ` (${service.updateMessage})` : ""}${taskError}`,
      };
    case "rollback_started":
    case "rollback_completed":
      return {
        status: "failed",
        why: `update of ${service.name} rolled back${service.updateMessage ? ` (${service.updateMessage})` : ""}${taskError}`,
      };
    case "updating":
      return { status: "pending", why: "update in progress" };
    default:
      break;
  }
  const tasks = observed.tasks.filter((t) => t.service === key);
  if (condition === "service_completed_successfully") {
    const failed = tasks.find(
      (t) => t.state !== "running" && t.state !== "created" && (t.exitCode ?? 0) !== 0,
    );
    if (failed !== undefined)
      return {
        status: "failed",
        why: `${failed.name} exited with code ${failed.exitCode ?? "?"}${failed.error ? ` (${failed.error})` : ""}`,
      };
    const done = tasks.length > 0 && tasks.every((t) => t.state === "exited" && t.exitCode === 0);
    return done ? { status: "met" } : { status: "pending", why: "tasks not completed yet" };
  }
  const current = tasks.filter((t) => configHash === undefined || t.configHash === configHash);
  const running = current.filter((t) => t.state === "running").length;
  const desired =
    service.mode === "replicated" ? (service.replicas ?? 0) : Math.max(1, tasks.length);
  if (running >= desired && tasks.filter((t) => t.state === "running").length === running)
    return { status: "met" };
  return { status: "pending", why: `${running}/${desired} tasks running${taskError}` };
}

/** What a swarm wait needs. */
export interface SwarmWaitContext {
  readonly engine: ServiceEngine;
  readonly sink: ProgressSink;
  readonly timeoutMs: number;
  readonly pollIntervalMs?: number;
  readonly signal?: AbortSignal;
}

/** Pause between two observations while waiting. */
const POLL_INTERVAL_MS = 500;

/**
 * Polls the swarm until every service in `services` meets its condition (met), one fails
 * (a paused or rolled-back update), the time runs out or `signal` aborts.
 */
export async function waitSwarmServices(
  spec: StackSpec,
  services: Readonly<
    Record<string, { readonly condition: DependencyCondition; readonly configHash?: string }>
  >,
  ctx: SwarmWaitContext,
): Promise<WaitResult> {
  const deadline = Date.now() + ctx.timeoutMs;
  const interval = ctx.pollIntervalMs ?? POLL_INTERVAL_MS;
  const keys = Object.keys(services).sort();
  let pending = "";
  for (;;) {
    if (ctx.signal?.aborted) return { ok: false, timedOut: false, interrupted: true };
    let observed: SwarmObservedState;
    try {
      observed = await ctx.engine.observe(spec.name);
    } catch (error) {
      if (error instanceof EngineError && error.retryable && Date.now() < deadline) {
        await sleep(interval, ctx.signal).catch(() => undefined);
        continue;
      }
      throw error;
    }
    const waiting: string[] = [];
    for (const key of keys) {
      const want = services[key];
      if (want === undefined) continue;
      const verdict = judgeSwarmService(observed, key, want.condition, want.configHash);
      if (verdict.status === "failed")
        return {
          ok: false,
          timedOut: false,
          interrupted: false,
          message: `service ${key}: ${verdict.why}`,
        };
      if (verdict.status === "pending") waiting.push(`${key} (${verdict.why})`);
    }
    if (waiting.length === 0) return { ok: true, timedOut: false, interrupted: false };
    const now = waiting.join(", ");
    if (now !== pending) ctx.sink.emit({ type: "waiting", target: spec.name, what: now });
    pending = now;
    if (Date.now() >= deadline) {
      return {
        ok: false,
        timedOut: true,
        interrupted: false,
        message: `timed out after ${Math.round(ctx.timeoutMs / 1000)}s waiting for ${now}`,
      };
    }
    try {
      await sleep(interval, ctx.signal);
    } catch (error) {
      if (error instanceof InterruptedError)
        return { ok: false, timedOut: false, interrupted: true };
      throw error;
    }
  }
}

/**
 * `deploy --wait` on a swarm: every service of `spec` (or of `only`) runs its desired tasks
 * of the current spec and no rollout is under way; one-shot services (jobs, and
 * dependencies with service_completed_successfully) must have completed.
 */
export function waitSwarmStack(
  spec: StackSpec,
  desired: SwarmDesiredState,
  ctx: SwarmWaitContext,
  only?: readonly string[],
): Promise<WaitResult> {
  const oneShot = oneShotServices(spec);
  const services = Object.fromEntries(
    (only ?? Object.keys(spec.services)).map((key) => [
      key,
      {
        condition: oneShot.has(key)
          ? ("service_completed_successfully" as const)
          : ("service_started" as const),
        ...(desired.services[key] !== undefined && {
          configHash: desired.services[key].configHash,
        }),
      },
    ]),
  );
  return waitSwarmServices(spec, services, ctx);
}

/** A `wait-ready` gate of a swarm plan: throws StepFailure when the service fails or times out. */
export async function waitSwarmReady(
  spec: StackSpec,
  key: string,
  condition: DependencyCondition,
  ctx: SwarmWaitContext,
): Promise<void> {
  const result = await waitSwarmServices(spec, { [key]: { condition } }, ctx);
  if (result.interrupted) throw new InterruptedError();
  if (!result.ok) throw new StepFailure(result.message ?? `service ${key} did not become ready`);
}
