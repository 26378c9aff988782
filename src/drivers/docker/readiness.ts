import type { ContainerEngine } from "./container-engine.js";
import { StepFailure } from "../../core/errors.js";
import { containerName } from "../../model/naming.js";
import type { ObservedContainer } from "../../core/replica.js";
import type { DockerObservedState } from "./observed-state.js";
import type { ProgressSink } from "../../progress/events.js";
import { serviceConfigHash } from "../../model/config-hash.js";
import type { DependencyCondition, ServiceSpec, StackSpec } from "../../model/types.js";
import {
  sleep,
  throwIfInterrupted,
  withRetry,
  type RetryOptions,
} from "../../core/retry-policy.js";

/** Log lines attached to a replica failure: enough to see a crash, short enough to print. */
export const FAILURE_LOG_LINES = 20;

/** Default limit for one readiness gate (compose has none; a deploy must end). */
export const DEFAULT_READY_TIMEOUT_MS = 120_000;

/** Default pause between two observations while waiting. */
export const DEFAULT_POLL_INTERVAL_MS = 500;

/**
 * The last `lines` log lines of a container, oldest first; never throws (an empty list when
 * the container is gone or the engine refuses), because logs only decorate a failure.
 */
export async function tailLogs(
  engine: ContainerEngine,
  id: string,
  lines = FAILURE_LOG_LINES,
): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const line of engine.logs(id, { tail: lines })) out.push(line.text);
  } catch {
    // The failure being reported matters more than its decoration.
  }
  return out.slice(-lines);
}

/** One replica slot of a service as the readiness checks see it. */
export interface ReplicaSlot {
  readonly slot: number;
  /** The container that currently represents the slot; undefined when there is none yet. */
  readonly container?: ObservedContainer;
}

/**
 * The replicas of `service` that readiness is judged on: one per slot (1..replicas; for
 * global services the observed slots, at least one), each represented by its best container.
 * A slot may briefly hold several containers (a replacement, a predecessor kept for rollback,
 * old swarm tasks); the best is the one under the slot name, then the one with the current
 * config hash, then the newest.
 */
export function currentReplicas(
  observed: DockerObservedState,
  spec: StackSpec,
  service: ServiceSpec,
): ReplicaSlot[] {
  const mine = observed.containers.filter((c) => c.service === service.name);
  const slots =
    service.deploy.mode === "global"
      ? [...new Set(mine.map((c) => c.slot))].sort((a, b) => a - b)
      : Array.from({ length: service.deploy.replicas }, (_, i) => i + 1);
  if (service.deploy.mode === "global" && slots.length === 0) slots.push(1);
  const hash = serviceConfigHash(service);
  return slots.map((slot) => {
    const slotName = containerName(spec.name, service.name, slot);
    const best = mine
      .filter((c) => c.slot === slot)
      .sort(
        (a, b) =>
          Number(b.name === slotName) - Number(a.name === slotName) ||
          Number(b.configHash === hash) - Number(a.configHash === hash) ||
          (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0),
      )[0];
    return best === undefined ? { slot } : { slot, container: best };
  });
}

/**
 * True when the engine will start `c` again by itself: its restart policy covers the way it
 * exited and the attempts are not used up. Docker never restarts an unhealthy container.
 */
export function restartComing(c: ObservedContainer, service: ServiceSpec): boolean {
  if (c.state === "restarting") return true;
  if (c.state !== "exited") return false;
  const policy = service.deploy.restartPolicy;
  if (policy.condition === "none") return false;
  if (policy.condition === "on-failure" && c.exitCode === 0) return false;
  const max = policy.maxAttempts ?? 0;
  return max === 0 || c.restartCount < max;
}

/** Human description of a container's state, e.g. `app_db.1 exited with code 1`. */
export function describeContainer(c: ObservedContainer): string {
  if (c.state === "exited" || c.state === "dead") {
    const code = c.exitCode === undefined ? "" : ` with code ${c.exitCode}`;
    const error = c.error === undefined || c.error === "" ? "" : ` (${c.error})`;
    return `${c.name} ${c.state === "dead" ? "is dead" : "exited"}${code}${error}`;
  }
  if (c.state === "running" && c.health !== undefined)
    return `${c.name} is ${c.health === "starting" ? "running, health starting" : c.health}`;
  return `${c.name} is ${c.state}`;
}

/** Outcome of checking one replica against a condition. */
export type ReplicaVerdict =
  | { readonly status: "met" }
  | { readonly status: "pending"; readonly detail: string }
  | { readonly status: "failed"; readonly detail: string };

/**
 * Judges one replica against a depends_on condition. "failed" means the condition can no
 * longer hold without a new deploy:
 * - service_started: the replica exited non-zero (or is dead) and no restart is coming. A
 *   replica that exited 0 did start (a one-shot job listed in a plain `depends_on:` list),
 *   as in compose.
 * - service_healthy: as above, also when it exited 0; or it is unhealthy (the engine does
 *   not replace unhealthy containers);
 *   or it runs without any healthcheck, which can never become healthy.
 * - service_completed_successfully: it exited with a non-zero code.
 */
export function judgeReplica(
  replica: ReplicaSlot,
  condition: DependencyCondition,
  service: ServiceSpec,
): ReplicaVerdict {
  const c = replica.container;
  if (c === undefined)
    return { status: "pending", detail: `replica ${replica.slot} does not exist yet` };
  const described = describeContainer(c);
  const ended = c.state === "exited" || c.state === "dead";
  if (condition === "service_completed_successfully") {
    if (!ended) return { status: "pending", detail: `${described}` };
    return c.state === "exited" && c.exitCode === 0
      ? { status: "met" }
      : { status: "failed", detail: described };
  }
  if (ended) {
    if (c.state === "exited" && restartComing(c, service))
      return { status: "pending", detail: `${described}, restarting` };
    if (condition === "service_started" && c.state === "exited" && c.exitCode === 0)
      return { status: "met" };
    return { status: "failed", detail: described };
  }
  if (c.state !== "running") return { status: "pending", detail: described };
  if (condition === "service_started") return { status: "met" };
  if (c.health === undefined)
    return { status: "failed", detail: `${c.name} has no healthcheck, so it can never be healthy` };
  if (c.health === "healthy") return { status: "met" };
  if (c.health === "unhealthy") return { status: "failed", detail: described };
  return { status: "pending", detail: described };
}

/** The words after "waiting for SERVICE" in `waiting` events and messages. */
export function conditionPhrase(condition: DependencyCondition): string {
  switch (condition) {
    case "service_started":
      return "to start";
    case "service_healthy":
      return "to become healthy";
    case "service_completed_successfully":
      return "to complete successfully";
  }
}

/** What a readiness wait needs. */
export interface ReadinessContext {
  readonly engine: ContainerEngine;
  readonly spec: StackSpec;
  readonly sink: ProgressSink;
  readonly signal?: AbortSignal;
  /** Limit for the whole wait; default 120 s. */
  readonly timeoutMs?: number;
  /** Pause between observations; default 500 ms. */
  readonly pollIntervalMs?: number;
  readonly retry?: RetryOptions;
}

/**
 * Resolves once every replica of `serviceName` meets `condition` (see `judgeReplica`);
 * emits one `waiting` event ("waiting for db to become healthy") first. Rejects with a
 * `StepFailure` naming the replica and carrying its last log lines as soon as the condition
 * can no longer hold, or with kind "timeout" when `timeoutMs` passes; with
 * `InterruptedError` when `signal` aborts. A service scaled to zero is ready at once.
 */
export async function waitReady(
  serviceName: string,
  condition: DependencyCondition,
  ctx: ReadinessContext,
): Promise<void> {
  const service = ctx.spec.services[serviceName];
  if (service === undefined)
    throw new StepFailure(`service "${serviceName}" is not in the stack file`);
  const phrase = conditionPhrase(condition);
  const timeoutMs = ctx.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  ctx.sink.emit({ type: "waiting", target: serviceName, what: phrase });
  for (;;) {
    throwIfInterrupted(ctx.signal);
    const observed = await withRetry(() => ctx.engine.observe(ctx.spec.name), {
      ...ctx.retry,
      signal: ctx.signal,
    });
    let pending: { replica: ReplicaSlot; detail: string } | undefined;
    for (const replica of currentReplicas(observed, ctx.spec, service)) {
      const verdict = judgeReplica(replica, condition, service);
      if (verdict.status === "failed") {
        const logs =
          replica.container === undefined ? [] : await tailLogs(ctx.engine, replica.container.id);
        throw new StepFailure(`${serviceName} failed ${phrase}: ${verdict.detail}`, { logs });
      }
      if (verdict.status === "pending" && pending === undefined)
        pending = { replica, detail: verdict.detail };
    }
    if (pending === undefined) return;
    if (Date.now() >= deadline) {
      const id = pending.replica.container?.id;
      throw new StepFailure(
        `timed out after ${formatMs(timeoutMs)} waiting for ${serviceName} ${phrase}: ${pending.detail}`,
        { kind: "timeout", logs: id === undefined ? [] : await tailLogs(ctx.engine, id) },
      );
    }
    await sleep(
      Math.min(ctx.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())),
      ctx.signal,
    );
  }
}

/** `1500` -> `1.5s`, `120000` -> `120s`, `50` -> `50ms`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`;
}
