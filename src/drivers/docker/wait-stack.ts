import type { Engine } from "../../core/engine.js";
import type { ContainerState, HealthState } from "../../core/observed-state.js";
import type { ProgressSink } from "../../progress/events.js";
import type { ServiceSpec, StackSpec } from "../../model/types.js";
import {
  DEFAULT_POLL_INTERVAL_MS,
  currentReplicas,
  formatMs,
  judgeReplica,
  restartComing,
  tailLogs,
  type ReplicaSlot,
  type ReplicaVerdict,
} from "./readiness.js";
import { InterruptedError, sleep, withRetry, type RetryOptions } from "../../core/retry-policy.js";

/** What `waitForStack` needs. */
export interface WaitContext {
  readonly engine: Engine;
  readonly sink: ProgressSink;
  /** Limit for the whole wait. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Pause between two observations; default 500 ms. */
  readonly pollIntervalMs?: number;
  /** Only these services (default: every service of the spec). */
  readonly services?: readonly string[];
  readonly retry?: Pick<RetryOptions, "retries" | "minTimeoutMs" | "maxTimeoutMs">;
}

/** The replica a failed or timed-out wait is about. */
export interface WaitReplica {
  readonly service: string;
  readonly slot: number;
  /** Engine name; undefined when the slot has no container at all. */
  readonly container?: string;
  readonly state?: ContainerState;
  readonly exitCode?: number;
  readonly health?: HealthState;
}

/** Outcome of `deploy --wait`. */
export interface WaitResult {
  readonly ok: boolean;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  /** Why it failed, naming the replica: "app_db.1 exited with code 1". */
  readonly message?: string;
  readonly replica?: WaitReplica;
  /** The replica's last log lines. */
  readonly logs?: readonly string[];
}

/**
 * Services whose replicas are expected to run to completion: those another service depends
 * on with service_completed_successfully.
 */
export function oneShotServices(spec: StackSpec): Set<string> {
  const result = new Set<string>();
  for (const service of Object.values(spec.services)) {
    for (const [dep, d] of Object.entries(service.dependsOn)) {
      if (d.condition === "service_completed_successfully") result.add(dep);
    }
  }
  return result;
}

/**
 * Judges one replica for `deploy --wait`: a one-shot service's replica must have exited 0;
 * any other replica must run, and be healthy when it has a healthcheck, unless it exited 0
 * and its restart policy will not start it again (a job with restart none / on-failure).
 */
export function judgeForWait(
  replica: ReplicaSlot,
  service: ServiceSpec,
  oneShot: boolean,
  driver: Engine["driver"],
): ReplicaVerdict {
  if (oneShot) return judgeReplica(replica, "service_completed_successfully", service, driver);
  const c = replica.container;
  if (c !== undefined && c.state === "exited" && c.exitCode === 0 && !restartComing(c, service))
    return { status: "met" };
  return judgeReplica(
    replica,
    c?.health === undefined ? "service_started" : "service_healthy",
    service,
    driver,
  );
}

function describeReplica(service: string, replica: ReplicaSlot): WaitReplica {
  const c = replica.container;
  if (c === undefined) return { service, slot: replica.slot };
  return {
    service,
    slot: replica.slot,
    container: c.name,
    state: c.state,
    ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
    ...(c.health === undefined ? {} : { health: c.health }),
  };
}

/**
 * Resolves once every replica of every service is ready for `deploy --wait` (see
 * `judgeForWait`), polling `engine.observe` every `pollIntervalMs`. Fails as soon as a
 * replica can no longer become ready (exited non-zero with no restart coming, dead,
 * unhealthy) or when `timeoutMs` passes; the result then names that replica (or the first
 * one still not ready), its state and its last log lines. Never throws for a replica
 * problem; engine errors that outlast the retries are thrown.
 */
export async function waitForStack(spec: StackSpec, ctx: WaitContext): Promise<WaitResult> {
  const names = [...(ctx.services ?? Object.keys(spec.services))].sort();
  const oneShot = oneShotServices(spec);
  const deadline = Date.now() + ctx.timeoutMs;
  const poll = ctx.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  ctx.sink.emit({ type: "waiting", target: spec.name, what: "to be running and healthy" });
  try {
    for (;;) {
      const observed = await withRetry(() => ctx.engine.observe(spec.name), {
        ...ctx.retry,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
      let pending: { service: string; replica: ReplicaSlot; detail: string } | undefined;
      for (const name of names) {
        const service = spec.services[name];
        if (service === undefined) continue;
        for (const replica of currentReplicas(observed, spec, service)) {
          const verdict = judgeForWait(replica, service, oneShot.has(name), ctx.engine.driver);
          if (verdict.status === "failed") {
            return {
              ok: false,
              timedOut: false,
              interrupted: false,
              message: `${name} is not ready: ${verdict.detail}`,
              replica: describeReplica(name, replica),
              logs:
                replica.container === undefined
                  ? []
                  : await tailLogs(ctx.engine, replica.container.id),
            };
          }
          if (verdict.status === "pending" && pending === undefined)
            pending = { service: name, replica, detail: verdict.detail };
        }
      }
      if (pending === undefined) return { ok: true, timedOut: false, interrupted: false };
      const now = Date.now();
      if (now >= deadline) {
        const c = pending.replica.container;
        return {
          ok: false,
          timedOut: true,
          interrupted: false,
          message: `timed out after ${formatMs(ctx.timeoutMs)} waiting for ${pending.service}: ${pending.detail}`,
          replica: describeReplica(pending.service, pending.replica),
          logs: c === undefined ? [] : await tailLogs(ctx.engine, c.id),
        };
      }
      await sleep(Math.min(poll, deadline - now), ctx.signal);
    }
  } catch (error) {
    if (error instanceof InterruptedError)
      return { ok: false, timedOut: false, interrupted: true, message: "interrupted" };
    throw error;
  }
}
