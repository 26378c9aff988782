import type { ContainerEngine } from "./container-engine.js";
import { EngineError, InterruptedError, StepFailure } from "../../core/errors.js";
import { replacementName } from "../../model/naming.js";
import type { Plan } from "../../core/operation.js";
import { createReplica } from "./create-replica.js";
import {
  hasHooks,
  runPostStartHooks,
  runPreStartHooks,
  runPreStopHooks,
  type HookContext,
} from "./hooks.js";
import type { DockerOperation } from "./operations.js";
import type { ObservedContainer } from "../../core/replica.js";
import type { ProgressSink } from "../../progress/events.js";
import { serviceConfigHash } from "../../model/config-hash.js";
import type { ServiceSpec, StackSpec } from "../../model/types.js";
import {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_READY_TIMEOUT_MS,
  describeContainer,
  formatMs,
  tailLogs,
} from "./readiness.js";
import { engineCall, sleep, withRetry, type RetryOptions } from "../../core/retry-policy.js";

/** The plan operation `replaceReplica` performs. */
export type ReplaceOperation = Extract<DockerOperation, { kind: "replace-container" }>;

/** What one replacement needs; `ExecuteContext` provides all of it. */
export interface ReplaceContext {
  readonly engine: ContainerEngine;
  readonly spec: StackSpec;
  readonly sink: ProgressSink;
  readonly signal?: AbortSignal;
  /** Limit for a new replica to reach running (and healthy); default 120 s. */
  readonly readyTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly retry?: RetryOptions;
  /** Shared by all replace operations of one plan run. */
  readonly rollouts: RolloutTracker;
}

/** A slot whose replacement succeeded while its service may still roll back. */
interface CompletedSlot {
  readonly slot: number;
  readonly slotName: string;
  readonly newId: string;
  readonly oldId: string;
  /** Name the stopped predecessor is kept under until the service update ends. */
  readonly keptName: string;
  readonly oldWasRunning: boolean;
}

interface ServiceRollout {
  /** Replace operations of the service in this plan. */
  readonly total: number;
  settled: number;
  failures: number;
  /** Set when failure_action pause/rollback fired; later failures of the service block too. */
  triggered?: { readonly slot: number; readonly action: "pause" | "rollback" };
  readonly completed: CompletedSlot[];
  /** Serialises commits and the rollback, so a rollback never races a slot's rename. */
  lock: Promise<void>;
}

/**
 * Per-service bookkeeping of the rolling updates in one plan run: failure counts for
 * max_failure_ratio and, for services with failure_action rollback, the predecessors kept
 * until the whole service update has ended.
 *
 * Rollback design. Normally a successful replacement removes its predecessor at once. For a
 * service with failure_action rollback the predecessor is instead kept, stopped, under
 * `replacementName(stack, service, slot, <its own config hash>)` (`app_web.2.1a2b3c4d`), so
 * the new replica can take the slot name. When the last replace operation of the service
 * has settled without a rollback, the kept predecessors are removed. When a replacement of
 * the service fails beyond max_failure_ratio, every completed slot is undone in reverse
 * order: the new replica is stopped and removed, the predecessor renamed back to the slot
 * name and started when it was running before. Replacements of the same service still in
 * flight see the rollback before they commit and restore their own predecessor instead.
 *
 * Why those names are safe after a crash: a kept predecessor carries the old config hash in
 * a slot whose slot-named container carries the current one, so the planner sees a
 * duplicate in that slot and removes the container with the non-matching hash, which
 * completes the update exactly as a successful run would have.
 */
export class RolloutTracker {
  private readonly services = new Map<string, ServiceRollout>();

  /** Counts the replace operations of every service in `plan`. */
  constructor(plan: Plan<DockerOperation>) {
    for (const op of plan.operations) {
      if (op.kind !== "replace-container") continue;
      const state = this.services.get(op.service);
      this.services.set(op.service, {
        total: (state?.total ?? 0) + 1,
        settled: 0,
        failures: 0,
        completed: [],
        lock: Promise.resolve(),
      });
    }
  }

  /** State of `service`; a replace op outside the plan it was built from still gets one. */
  state(service: string): ServiceRollout {
    let state = this.services.get(service);
    if (state === undefined) {
      state = { total: 1, settled: 0, failures: 0, completed: [], lock: Promise.resolve() };
      this.services.set(service, state);
    }
    return state;
  }

  /** Runs `fn` after every earlier locked section of `service` has finished. */
  locked<T>(service: string, fn: () => Promise<T>): Promise<T> {
    const state = this.state(service);
    const run = state.lock.then(fn);
    state.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Records that one replace operation of `service` ended (done, failed or skipped). When it
   * was the last one and the service did not roll back, removes the predecessors kept for a
   * rollback; a removal that fails is a warning only (the planner removes such duplicates in
   * the next round).
   */
  async settle(
    service: string,
    ctx: Pick<ReplaceContext, "engine" | "sink" | "retry">,
  ): Promise<void> {
    const state = this.state(service);
    state.settled += 1;
    if (state.settled < state.total || state.triggered?.action === "rollback") return;
    const kept = state.completed.splice(0);
    for (const slot of kept) {
      try {
        await withRetry(() => ctx.engine.removeContainer(slot.oldId), ctx.retry);
      } catch (error) {
        ctx.sink.emit({
          type: "warning",
          message: `could not remove the previous replica ${slot.keptName} of ${service}: ${messageOf(error)}`,
        });
      }
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Watches a freshly started replica: it must reach running (and healthy when the container
 * has a healthcheck, from the file or the image) within `readyTimeoutMs`, then stay so for
 * `monitorMs`. Rejects with a `StepFailure` when it exits, dies, restarts, turns unhealthy or
 * disappears.
 */
export async function monitorReplica(
  id: string,
  monitorMs: number,
  ctx: Pick<ReplaceContext, "engine" | "signal" | "readyTimeoutMs" | "pollIntervalMs" | "retry">,
): Promise<void> {
  const readyTimeoutMs = ctx.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const poll = ctx.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const readyDeadline = Date.now() + readyTimeoutMs;
  let readySince: number | undefined;
  let restarts: number | undefined;
  let last: ObservedContainer | undefined;
  for (;;) {
    const c = await engineCall(
      "inspecting the new replica",
      () => ctx.engine.inspectContainer(id),
      {
        ...ctx.retry,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      },
    );
    if (c === undefined) throw new StepFailure(`the new replica ${last?.name ?? id} disappeared`);
    last = c;
    restarts ??= c.restartCount;
    if (c.state === "exited" || c.state === "dead" || c.health === "unhealthy")
      throw new StepFailure(describeContainer(c));
    if (c.state === "restarting" || c.restartCount > restarts)
      throw new StepFailure(`${c.name} restarted`);
    const now = Date.now();
    const ready = c.state === "running" && (c.health === undefined || c.health === "healthy");
    if (ready) {
      readySince ??= now;
      if (now - readySince >= monitorMs) return;
    } else if (now >= readyDeadline) {
      throw new StepFailure(
        `${c.name} did not become ${c.health === undefined ? "running" : "healthy"} within ${formatMs(readyTimeoutMs)}: ${describeContainer(c)}`,
        { kind: "timeout" },
      );
    }
    const until = ready && readySince !== undefined ? readySince + monitorMs : readyDeadline;
    await sleep(Math.max(0, Math.min(poll, until - now)), ctx.signal);
  }
}

/**
 * Rolling-update step for slot `op.slot` of `op.service`: replaces the replica
 * `op.containerId` with one built from the current spec, in `op.order`, following the
 * service's update_config.
 *
 * - stop-first: create the new replica under `replacementName(...)`, stop the old one, start
 *   the new one, monitor it.
 * - start-first: create and start the new one, monitor it, then stop the old one.
 * - success: remove the old replica (for failure_action rollback: keep it stopped, see
 *   `RolloutTracker`) and rename the new one to the slot name `op.name`.
 * - failure of the new replica (create, start or monitor): take its last log lines, remove
 *   it and start the old one again when this step had stopped it (its name never changed). The
 *   failure counts toward the service's max_failure_ratio; within the ratio, or with
 *   failure_action continue, the op rejects with a non-blocking `StepFailure` (later
 *   batches still run); beyond it, pause rejects with a blocking one ("update of web paused
 *   at slot 2") and rollback first undoes the slots already replaced in this run.
 *
 * A name conflict on create (a replacement left by an interrupted run) fails without
 * deleting anything: the next observation shows the leftover and the planner resolves it.
 * When `ctx.signal` aborts, the step stops after its current engine call and leaves the
 * slot as it is; the planner recognises the replacement (cause "interrupted update").
 */
export async function replaceReplica(op: ReplaceOperation, ctx: ReplaceContext): Promise<void> {
  const { engine, spec, signal } = ctx;
  const service = spec.services[op.service];
  if (service === undefined)
    throw new StepFailure(`service "${op.service}" is not in the stack file`);
  const update = service.deploy.updateConfig;
  const hash = serviceConfigHash(service);
  const newName = replacementName(spec.name, service.name, op.slot, hash);
  const retry: RetryOptions = {
    ...ctx.retry,
    ...(signal === undefined ? {} : { signal }),
    onRetry: (error) =>
      ctx.sink.emit({ type: "info", message: `${op.name}: retrying after: ${error.message}` }),
  };
  // Restoring the previous replica must not stop halfway because of Ctrl-C.
  const restoreRetry: RetryOptions = { ...ctx.retry };
  const grace = service.stopGracePeriodMs;

  const old = await engineCall(
    "inspecting the old replica",
    () => engine.inspectContainer(op.containerId),
    retry,
  );
  const oldWasRunning =
    old !== undefined && (old.state === "running" || old.state === "restarting");

  const hooks: HookContext = {
    engine,
    spec,
    sink: ctx.sink,
    ...(signal === undefined ? {} : { signal }),
  };
  // The old replica's pre_stop hooks run before it is stopped; a failure is reported once
  // the slot is replaced, never a reason to keep the old replica.
  let preStopFailure: string | undefined;
  const preStop = async (c: ObservedContainer) => {
    if (hasHooks(service, "preStop") && (c.state === "running" || c.state === "restarting"))
      preStopFailure = await runPreStopHooks(hooks, { service, id: c.id, name: op.name });
  };

  let newId: string | undefined;
  // Set before the stop call: a stop that failed halfway may still have stopped it.
  let oldStopped = false;
  try {
    newId = await createReplacement(op, service, hash, newName, ctx, retry);
    const id = newId;
    const replica = { service, id, name: newName };
    // Before the old replica stops: a failing hook then costs no downtime.
    if (hasHooks(service, "preStart")) await runPreStartHooks(hooks, replica);
    if (op.order === "stop-first") {
      if (old !== undefined) {
        await preStop(old);
        oldStopped = true;
        await engineCall(
          `stopping ${op.name}`,
          () => engine.stopContainer(old.id, grace, spec.name),
          retry,
        );
      }
      await engineCall(`starting ${newName}`, () => engine.startContainer(id), retry);
    } else {
      await engineCall(`starting ${newName}`, () => engine.startContainer(id), retry);
    }
    // A failing post_start hook fails the new replica like a failed start.
    if (hasHooks(service, "postStart")) await runPostStartHooks(hooks, replica);
    await monitorReplica(id, update.monitorMs, ctx);
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    // A failed pre_start hook carries its own output; the new replica never ran.
    const logs =
      error instanceof StepFailure && error.logs !== undefined
        ? error.logs
        : newId === undefined
          ? []
          : await tailLogs(engine, newId);
    const restoreProblems = await restoreSlot(
      engine,
      newId,
      old,
      oldWasRunning && oldStopped,
      restoreRetry,
    );
    const reason = `${messageOf(error)}${restoreProblems}`;
    return failReplacement(op, service, reason, logs, error, ctx);
  }

  const id = newId;
  await ctx.rollouts.locked(service.name, async () => {
    const state = ctx.rollouts.state(service.name);
    if (state.triggered?.action === "rollback") {
      // A sibling slot failed while this one was being monitored: undo this slot too.
      const restoreProblems = await restoreSlot(
        engine,
        id,
        old,
        oldWasRunning && oldStopped,
        restoreRetry,
      );
      throw new StepFailure(
        `replacing ${op.name} was undone: the update of ${service.name} rolled back after slot ${state.triggered.slot} failed${restoreProblems}`,
      );
    }
    if (old !== undefined) {
      if (!oldStopped) await preStop(old);
      if (!oldStopped)
        await engineCall(
          `stopping ${op.name}`,
          () => engine.stopContainer(old.id, grace, spec.name),
          retry,
        );
      if (update.failureAction === "rollback") {
        const keptName = replacementName(spec.name, service.name, op.slot, old.configHash);
        await engineCall(
          `renaming ${op.name}`,
          () => engine.renameContainer(old.id, keptName),
          retry,
        );
        state.completed.push({
          slot: op.slot,
          slotName: op.name,
          newId: id,
          oldId: old.id,
          keptName,
          oldWasRunning,
        });
      } else {
        await engineCall(
          `removing ${op.name}`,
          () => engine.removeContainer(old.id, spec.name),
          retry,
        );
      }
    }
    await engineCall(`renaming ${newName}`, () => engine.renameContainer(id, op.name), retry);
  });
  if (preStopFailure !== undefined)
    throw new StepFailure(`${preStopFailure}; ${op.name} was replaced anyway`, {
      blocking: false,
    });
}

async function createReplacement(
  op: ReplaceOperation,
  service: ServiceSpec,
  hash: string,
  newName: string,
  ctx: ReplaceContext,
  retry: RetryOptions,
): Promise<string> {
  try {
    return await engineCall(
      `creating ${newName}`,
      () =>
        createReplica(ctx.engine, {
          spec: ctx.spec,
          service,
          slot: op.slot,
          name: newName,
          configHash: hash,
        }),
      retry,
    );
  } catch (error) {
    if (error instanceof EngineError && error.kind === "conflict") {
      throw new StepFailure(
        `a container named ${newName} already exists (left by an interrupted deploy?); nothing was changed, deploy again to resolve it`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Puts a slot back as it was: removes the new replica (when one was created) and starts
 * the old one when this step stopped it. Returns "" or a sentence about what could not be
 * restored, to append to the failure message.
 */
async function restoreSlot(
  engine: ContainerEngine,
  newId: string | undefined,
  old: ObservedContainer | undefined,
  restartOld: boolean,
  retry: RetryOptions,
): Promise<string> {
  const problems: string[] = [];
  if (newId !== undefined) {
    try {
      await withRetry(() => engine.removeContainer(newId), retry);
    } catch (error) {
      problems.push(`removing the new replica failed: ${messageOf(error)}`);
    }
  }
  if (old !== undefined && restartOld) {
    try {
      await withRetry(() => engine.startContainer(old.id), retry);
    } catch (error) {
      problems.push(`restarting the previous replica ${old.name} failed: ${messageOf(error)}`);
    }
  }
  return problems.length === 0 ? "" : `; ${problems.join("; ")}`;
}

/** Counts the failure, applies failure_action and always rejects with a `StepFailure`. */
async function failReplacement(
  op: ReplaceOperation,
  service: ServiceSpec,
  reason: string,
  logs: readonly string[],
  cause: unknown,
  ctx: ReplaceContext,
): Promise<never> {
  const update = service.deploy.updateConfig;
  const state = ctx.rollouts.state(service.name);
  state.failures += 1;
  const kind = cause instanceof EngineError && cause.kind === "timeout" ? "timeout" : "failed";
  const withinRatio = state.failures / state.total <= update.maxFailureRatio;
  if (state.triggered === undefined && (update.failureAction === "continue" || withinRatio)) {
    const why =
      update.failureAction === "continue" ? "failure_action continue" : "within max_failure_ratio";
    throw new StepFailure(
      `replacing ${op.name} failed: ${reason}; the previous replica was restored and the update of ${service.name} continues (${why})`,
      { kind, logs, blocking: false, cause },
    );
  }
  if (state.triggered !== undefined) {
    throw new StepFailure(
      `replacing ${op.name} failed: ${reason}; the previous replica was restored`,
      {
        kind,
        logs,
        cause,
      },
    );
  }
  if (update.failureAction === "pause") {
    state.triggered = { slot: op.slot, action: "pause" };
    throw new StepFailure(
      `update of ${service.name} paused at slot ${op.slot}: ${reason}; the previous replica was restored`,
      { kind, logs, cause },
    );
  }
  state.triggered = { slot: op.slot, action: "rollback" };
  const rolledBack = await ctx.rollouts.locked(service.name, () => rollBack(state, service, ctx));
  throw new StepFailure(
    `update of ${service.name} failed at slot ${op.slot}: ${reason}; the previous replica was restored${rolledBack}`,
    { kind, logs, cause },
  );
}

/** Undoes the completed slots of a service, newest first; returns a sentence for the message. */
async function rollBack(
  state: ServiceRollout,
  service: ServiceSpec,
  ctx: ReplaceContext,
): Promise<string> {
  const slots = state.completed.splice(0).reverse();
  if (slots.length === 0) return "";
  const retry: RetryOptions = { ...ctx.retry };
  const problems: string[] = [];
  for (const s of slots) {
    try {
      await withRetry(() => ctx.engine.stopContainer(s.newId, service.stopGracePeriodMs), retry);
      await withRetry(() => ctx.engine.removeContainer(s.newId), retry);
      await withRetry(() => ctx.engine.renameContainer(s.oldId, s.slotName), retry);
      if (s.oldWasRunning) await withRetry(() => ctx.engine.startContainer(s.oldId), retry);
    } catch (error) {
      problems.push(`rolling back slot ${s.slot} failed: ${messageOf(error)}`);
    }
  }
  const list = slots.map((s) => s.slot).join(", ");
  return `; rolled back slot${slots.length === 1 ? "" : "s"} ${list} to the previous version${problems.length === 0 ? "" : `; ${problems.join("; ")}`}`;
}
