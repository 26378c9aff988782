import type { OperationLease, OperationRunner } from "./driver.js";
import { StepFailure } from "./errors.js";
import { isDelay, isWait, type Operation, type Plan } from "./operation.js";
import type { ProgressSink } from "../progress/events.js";
import { sleep } from "./retry-policy.js";

/** What `executePlan` needs besides the plan and the driver's runner. */
export interface ExecuteContext {
  readonly sink: ProgressSink;
  /**
   * Most operations that write to the engine running at once (at least 1). Waits
   * (`wait-ready`, `delay`) take no slot: they only read, and a gate holding the last slot
   * while the work it waits for queues behind it would only slow the plan down.
   */
  readonly parallel: number;
  /** Ctrl-C: no new operation starts; running ones stop after their current engine call. */
  readonly signal?: AbortSignal;
}

/** One operation that failed, with what the user needs to see about it. */
export interface FailedOperation<Op extends Operation = Operation> {
  readonly op: Op;
  /** The message shown to the user. */
  readonly error: string;
  /** Last log lines of the container concerned, when a container failed. */
  readonly logs?: readonly string[];
  /** The original error, for classification (`EngineError.kind`) at the CLI edge. */
  readonly cause: unknown;
  /**
   * False for a tolerated rolling-update failure (failure_action continue, or within
   * max_failure_ratio): its dependents still ran.
   */
  readonly blocking: boolean;
}

/** Outcome of one plan run. Every operation ends in exactly one of done, failed, skipped. */
export interface ExecuteResult<Op extends Operation = Operation> {
  /** True when every operation succeeded and nothing was interrupted. */
  readonly ok: boolean;
  /** Ids of operations that succeeded, in completion order. */
  readonly done: readonly string[];
  readonly failed: readonly FailedOperation<Op>[];
  /** Ids of operations not run: a dependency failed or was skipped, or the run was interrupted. */
  readonly skipped: readonly string[];
  /** True when `signal` aborted before the plan finished. */
  readonly interrupted: boolean;
}

type Status = "pending" | "running" | "done" | "failed" | "tolerated" | "skipped";

/**
 * Runs `plan` with the driver's `runner`: an operation starts when every operation in its `after`
 * has succeeded (or failed without blocking, see `FailedOperation.blocking`), at most
 * `ctx.parallel` writing operations at once, in plan order among those ready. When a
 * dependency failed or was skipped the operation is skipped, and `op-skipped` names that
 * dependency. Emits `op-start`, `op-done` and `op-failed` (with the replica's last log lines
 * when the runner attached them). A writing operation may give its slot back while it only
 * waits (`OperationLease.idle`: a stop's grace period) and takes one again before it goes on,
 * ahead of operations not yet started. `delay` operations are slept here; everything else is the
 * runner's, and `runner.settle` is awaited once per operation however it ended.
 *
 * The executor carries no decision logic and knows no driver. Failures are reported in the result, never thrown; it throws only for a malformed
 * plan (duplicate ids, `after` naming an unknown op, a cycle), before any engine call.
 */
export async function executePlan<Op extends Operation>(
  plan: Plan<Op>,
  runner: OperationRunner<Op>,
  ctx: ExecuteContext,
): Promise<ExecuteResult<Op>> {
  const ops = plan.operations;
  validatePlan(plan);
  const parallel = Math.max(1, Math.floor(ctx.parallel));
  const status = new Map<string, Status>(ops.map((op) => [op.id, "pending"]));
  const done: string[] = [];
  const failed: FailedOperation<Op>[] = [];
  const skipped: string[] = [];
  const background: Promise<void>[] = [];
  let writing = 0;
  let running = 0;
  let interrupted = false;
  /** Operations back from `lease.idle`, waiting for a write slot; served before new ones start. */
  const returning: (() => void)[] = [];

  const settle = (op: Op): Promise<void> => runner.settle?.(op) ?? Promise.resolve();
  const skip = (op: Op, reason: string) => {
    status.set(op.id, "skipped");
    skipped.push(op.id);
    ctx.sink.emit({ type: "op-skipped", op, reason });
    background.push(settle(op));
  };

  return new Promise<ExecuteResult<Op>>((resolve) => {
    const finish = () => {
      ctx.signal?.removeEventListener("abort", pump);
      void Promise.all(background).then(() =>
        resolve({
          ok: failed.length === 0 && skipped.length === 0 && !interrupted,
          done,
          failed,
          skipped,
          interrupted,
        }),
      );
    };

    // A wait holds no slot, so its lease has nothing to give back. `pump` runs in a microtask:
    // `idle` may be called from inside `start`, itself inside a pump.
    const leaseOf = (slot: boolean): OperationLease => ({
      idle: async (fn) => {
        if (!slot) return fn();
        writing -= 1;
        queueMicrotask(pump);
        try {
          return await fn();
        } finally {
          await new Promise<void>((back) => {
            returning.push(back);
            queueMicrotask(pump);
          });
        }
      },
    });
    const run = (op: Op, slot: boolean): Promise<void> =>
      isDelay(op) ? sleep(op.ms, ctx.signal) : runner.run(op, leaseOf(slot));

    const start = (op: Op) => {
      status.set(op.id, "running");
      running += 1;
      const slot = !isWait(op);
      if (slot) writing += 1;
      ctx.sink.emit({ type: "op-start", op });
      const started = Date.now();
      void run(op, slot)
        .then(
          async () => {
            await settle(op);
            status.set(op.id, "done");
            done.push(op.id);
            ctx.sink.emit({ type: "op-done", op, ms: Date.now() - started });
          },
          async (error: unknown) => {
            await settle(op);
            const blocking = !(error instanceof StepFailure) || error.blocking;
            const logs = error instanceof StepFailure ? error.logs : undefined;
            const message = error instanceof Error ? error.message : String(error);
            status.set(op.id, blocking ? "failed" : "tolerated");
            failed.push({
              op,
              error: message,
              cause: error,
              blocking,
              ...(logs === undefined ? {} : { logs }),
            });
            ctx.sink.emit({
              type: "op-failed",
              op,
              error: message,
              ...(logs === undefined ? {} : { logs }),
            });
          },
        )
        .finally(() => {
          running -= 1;
          if (slot) writing -= 1;
          pump();
        });
    };

    // Looks at every pending op, in plan order, until nothing changes: skipping one can make
    // its dependents skippable in the same pass.
    function pump(): void {
      if (ctx.signal?.aborted) interrupted = true;
      while (returning.length > 0 && writing < parallel) {
        writing += 1;
        returning.shift()?.();
      }
      let changed = true;
      while (changed) {
        changed = false;
        for (const op of ops) {
          if (status.get(op.id) !== "pending") continue;
          if (interrupted) {
            skip(op, "interrupted");
            changed = true;
            continue;
          }
          let ready = true;
          for (const dep of op.after) {
            const s = status.get(dep);
            if (s === "failed" || s === "skipped") {
              skip(op, `dependency ${dep} ${s === "failed" ? "failed" : "was skipped"}`);
              changed = true;
              ready = false;
              break;
            }
            if (s !== "done" && s !== "tolerated") ready = false;
          }
          if (!ready || status.get(op.id) !== "pending") continue;
          if (!isWait(op) && (writing >= parallel || returning.length > 0)) continue;
          start(op);
          changed = true;
        }
      }
      if (running === 0) finish();
    }

    ctx.signal?.addEventListener("abort", pump, { once: true });
    pump();
  });
}

/** Throws when ids repeat, `after` names an unknown op, or `after` edges form a cycle. */
function validatePlan(plan: Plan<Operation>): void {
  const ids = new Set<string>();
  for (const op of plan.operations) {
    if (ids.has(op.id)) throw new Error(`invalid plan: operation id ${op.id} appears twice`);
    ids.add(op.id);
  }
  for (const op of plan.operations) {
    for (const dep of op.after) {
      if (!ids.has(dep))
        throw new Error(`invalid plan: ${op.id} waits for unknown operation ${dep}`);
    }
  }
  // Kahn's algorithm: whatever cannot be ordered sits on a cycle and would never start.
  const remaining = new Map(plan.operations.map((op) => [op.id, new Set(op.after)]));
  let progress = true;
  while (progress) {
    progress = false;
    for (const [id, deps] of remaining) {
      if ([...deps].every((d) => !remaining.has(d))) {
        remaining.delete(id);
        progress = true;
      }
    }
  }
  if (remaining.size > 0)
    throw new Error(`invalid plan: dependency cycle among ${[...remaining.keys()].join(", ")}`);
}
