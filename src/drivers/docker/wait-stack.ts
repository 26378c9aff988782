import type { ContainerEngine } from "./container-engine.js";
import type { WaitOptions, WaitReplica, WaitResult } from "../../core/driver.js";
import { InterruptedError } from "../../core/errors.js";
import { oneShotServices } from "../../model/one-shot.js";
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
import { sleep, withRetry } from "../../core/retry-policy.js";

/** What `waitForStack` needs: the core's wait options and the engine. */
export interface WaitContext extends WaitOptions {
  readonly engine: ContainerEngine;
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
): ReplicaVerdict {
  if (oneShot) return judgeReplica(replica, "service_completed_successfully", service);
  const c = replica.container;
  if (c !== undefined && c.state === "exited" && c.exitCode === 0 && !restartComing(c, service))
    return { status: "met" };
  return judgeReplica(
    replica,
    c?.health === undefined ? "service_started" : "service_healthy",
    service,
  );
}

/**
 * How long a replica without a healthcheck must be seen running before `--wait` counts it as
 * ready: a process that exits right after it started (a crash on bad configuration) would
 * otherwise pass when the observation happens to fall between its start and its exit.
 * Measured on this process's clock, from the first observation that saw it running, so a
 * remote engine's clock never matters.
 */
export const MIN_RUNNING_MS = 1000;

/** `verdict`, or pending while a running replica without a healthcheck is fresh. */
function settled(
  verdict: ReplicaVerdict,
  replica: ReplicaSlot,
  runningSince: Map<string, number>,
  nowMs: number,
): { readonly verdict: ReplicaVerdict; readonly fresh: boolean } {
  const c = replica.container;
  const running = c !== undefined && c.state === "running" && c.health === undefined;
  if (verdict.status !== "met" || !running) return { verdict, fresh: false };
  const since = runningSince.get(c.id) ?? nowMs;
  runningSince.set(c.id, since);
  if (nowMs - since >= MIN_RUNNING_MS) return { verdict, fresh: false };
  return { verdict: { status: "pending", detail: `${c.name} just started` }, fresh: true };
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
  /** When this wait first saw each container running, by id. */
  const runningSince = new Map<string, number>();
  try {
    for (;;) {
      const observed = await withRetry(() => ctx.engine.observe(spec.name), {
        ...ctx.retry,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
      let pending:
        { service: string; replica: ReplicaSlot; detail: string; fresh: boolean } | undefined;
      const seenAt = Date.now();
      for (const name of names) {
        const service = spec.services[name];
        if (service === undefined) continue;
        for (const replica of currentReplicas(observed, spec, service)) {
          const { verdict, fresh } = settled(
            judgeForWait(replica, service, oneShot.has(name)),
            replica,
            runningSince,
            seenAt,
          );
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
          // Name the replica that holds the wait up for a reason, not one only just started.
          if (verdict.status === "pending" && (pending === undefined || pending.fresh))
            pending = { service: name, replica, detail: verdict.detail, fresh };
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
