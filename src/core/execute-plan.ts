import type { Engine } from "./engine.js";
import { EngineError } from "./errors.js";
import type { Operation, Plan } from "./operation.js";
import type { ProgressSink } from "../progress/events.js";
import { buildConfigHash, networkConfigHash, serviceConfigHash } from "../model/config-hash.js";
import { ingressConfigHash } from "../model/ingress.js";
import type { StackSpec } from "../model/types.js";
import { StepFailure, tailLogs, waitReady } from "../drivers/docker/readiness.js";
import { runSwarmOperation } from "../drivers/swarm/execute.js";
import { RolloutTracker, replaceReplica } from "../drivers/docker/replace-replica.js";
import { InterruptedError, engineCall, sleep, type RetryOptions } from "./retry-policy.js";

/** Everything `executePlan` needs: where to write, what to report, how much at once. */
export interface ExecuteContext {
  readonly engine: Engine;
  /** The spec the plan was made from; ops name its services, networks and volumes by key. */
  readonly spec: StackSpec;
  readonly sink: ProgressSink;
  /**
   * Most operations that write to the engine running at once (at least 1). Waits
   * (`wait-ready`, `delay`) take no slot: they only read, and a gate holding the last slot
   * while the work it waits for queues behind it would only slow the plan down.
   */
  readonly parallel: number;
  /** Ctrl-C: no new operation starts; running ones stop after their current engine call. */
  readonly signal?: AbortSignal;
  /** Limit of one readiness gate or of a new replica reaching running/healthy; default 120 s. */
  readonly readyTimeoutMs?: number;
  /** Pause between two polls of the engine while waiting; default 500 ms. */
  readonly pollIntervalMs?: number;
  /** Backoff of engine calls (tests shrink it); the signal comes from `signal`. */
  readonly retry?: Pick<RetryOptions, "retries" | "minTimeoutMs" | "maxTimeoutMs">;
}

/** One operation that failed, with what the user needs to see about it. */
export interface FailedOperation {
  readonly op: Operation;
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
export interface ExecuteResult {
  /** True when every operation succeeded and nothing was interrupted. */
  readonly ok: boolean;
  /** Ids of operations that succeeded, in completion order. */
  readonly done: readonly string[];
  readonly failed: readonly FailedOperation[];
  /** Ids of operations not run: a dependency failed or was skipped, or the run was interrupted. */
  readonly skipped: readonly string[];
  /** True when `signal` aborted before the plan finished. */
  readonly interrupted: boolean;
}

type Status = "pending" | "running" | "done" | "failed" | "tolerated" | "skipped";

/** Ops that only wait; they do not count toward `parallel`. */
function isWait(op: Operation): boolean {
  return op.kind === "wait-ready" || op.kind === "delay";
}

/**
 * Runs `plan` against `ctx.engine`: an operation starts when every operation in its `after`
 * has succeeded (or failed without blocking, see `FailedOperation.blocking`), at most
 * `ctx.parallel` writing operations at once, in plan order among those ready. When a
 * dependency failed or was skipped the operation is skipped, and `op-skipped` names that
 * dependency. Emits `op-start`, `op-done`, `op-failed` (with the container's last log lines
 * for replica failures) and `pull-progress`. Every engine call is retried by `withRetry`.
 *
 * The executor carries no decision logic: each op kind maps to a fixed sequence of engine
 * calls. Failures are reported in the result, never thrown; it throws only for a malformed
 * plan (duplicate ids, `after` naming an unknown op, a cycle), before any engine call.
 */
export async function executePlan(plan: Plan, ctx: ExecuteContext): Promise<ExecuteResult> {
  const ops = plan.operations;
  validatePlan(plan);
  const parallel = Math.max(1, Math.floor(ctx.parallel));
  const status = new Map<string, Status>(ops.map((op) => [op.id, "pending"]));
  const done: string[] = [];
  const failed: FailedOperation[] = [];
  const skipped: string[] = [];
  const rollouts = new RolloutTracker(plan);
  const background: Promise<void>[] = [];
  let writing = 0;
  let running = 0;
  let interrupted = false;

  const settleRollout = (op: Operation): Promise<void> =>
    op.kind === "replace-container"
      ? rollouts.settle(op.service, { ...ctx, retry: ctx.retry ?? {} })
      : Promise.resolve();

  const skip = (op: Operation, reason: string) => {
    status.set(op.id, "skipped");
    skipped.push(op.id);
    ctx.sink.emit({ type: "op-skipped", op, reason });
    background.push(settleRollout(op));
  };

  return new Promise<ExecuteResult>((resolve) => {
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

    const start = (op: Operation) => {
      status.set(op.id, "running");
      running += 1;
      const slot = !isWait(op);
      if (slot) writing += 1;
      ctx.sink.emit({ type: "op-start", op });
      const started = Date.now();
      void runOperation(op, ctx, rollouts)
        .then(
          async () => {
            await settleRollout(op);
            status.set(op.id, "done");
            done.push(op.id);
            ctx.sink.emit({ type: "op-done", op, ms: Date.now() - started });
          },
          async (error: unknown) => {
            await settleRollout(op);
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
          if (!isWait(op) && writing >= parallel) continue;
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
function validatePlan(plan: Plan): void {
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

/** Re-labels an engine error with what was being done, keeping its kind for the CLI. */
function inContext(what: string, error: unknown): unknown {
  if (error instanceof InterruptedError || error instanceof StepFailure) return error;
  if (error instanceof EngineError) {
    return new EngineError(error.kind, `${what}: ${error.message}`, {
      cause: error,
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    });
  }
  return error;
}

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw inContext(what, error);
  }
}

/** Maps one operation to its engine calls. */
async function runOperation(
  op: Operation,
  ctx: ExecuteContext,
  rollouts: RolloutTracker,
): Promise<void> {
  const { engine, spec, sink, signal } = ctx;
  const retry: RetryOptions = {
    ...ctx.retry,
    ...(signal === undefined ? {} : { signal }),
    onRetry: (error, attempt) =>
      sink.emit({
        type: "info",
        message: `${op.id}: attempt ${attempt} failed (${error.message}), retrying`,
      }),
  };
  const call = <T>(what: string, fn: () => Promise<T>) =>
    step(what, () => engineCall(what, fn, retry));

  if (engine.driver === "swarm") return runSwarmOperation(op, ctx);
  switch (op.kind) {
    case "pull-image":
      await call(`pulling image ${op.image}`, () =>
        engine.pullImage(op.image, (p) =>
          sink.emit({
            type: "pull-progress",
            image: p.image,
            status: p.status,
            ...(p.currentBytes === undefined ? {} : { currentBytes: p.currentBytes }),
            ...(p.totalBytes === undefined ? {} : { totalBytes: p.totalBytes }),
          }),
        ),
      );
      return;
    case "create-network": {
      const network = spec.networks[op.network];
      if (network === undefined)
        throw new StepFailure(`network "${op.network}" is not in the stack file`);
      await call(`creating network ${op.name}`, () =>
        engine.createNetwork(spec.name, network, networkConfigHash(network)),
      );
      return;
    }
    case "remove-network":
      await call(`removing network ${op.name}`, () => engine.removeNetwork(op.networkId));
      return;
    case "create-volume": {
      const volume = spec.volumes[op.volume];
      if (volume === undefined)
        throw new StepFailure(`volume "${op.volume}" is not in the stack file`);
      await call(`creating volume ${op.name}`, () => engine.createVolume(spec.name, volume));
      return;
    }
    case "remove-volume":
      await call(`removing volume ${op.name}`, () => engine.removeVolume(op.name));
      return;
    case "create-container": {
      const service = spec.services[op.service];
      if (service === undefined)
        throw new StepFailure(`service "${op.service}" is not in the stack file`);
      let id: string;
      try {
        id = await call(`creating ${op.name}`, () =>
          engine.createContainer({
            spec,
            service,
            slot: op.slot,
            name: op.name,
            configHash: serviceConfigHash(service),
          }),
        );
      } catch (error) {
        // An interrupted earlier run may have left a container under this name. Deleting it
        // blindly could destroy a replica the user cares about; the next round observes it
        // and the planner decides.
        if (error instanceof EngineError && error.kind === "conflict") {
          throw new StepFailure(
            `cannot create ${op.name}: a container with that name already exists (left by an interrupted deploy?); deploy again to resolve it`,
            { cause: error },
          );
        }
        throw error;
      }
      await startWithLogs(op.name, id, ctx, call);
      return;
    }
    case "start-container":
      await startWithLogs(op.name, op.containerId, ctx, call);
      return;
    case "remove-container": {
      const grace =
        op.service === undefined ? undefined : spec.services[op.service]?.stopGracePeriodMs;
      await call(`stopping ${op.name}`, () =>
        engine.stopContainer(op.containerId, grace, spec.name),
      );
      // With the stack name the driver checks the container's labels first: never touch
      // a container this stack does not own.
      await call(`removing ${op.name}`, () => engine.removeContainer(op.containerId, spec.name));
      return;
    }
    case "rename-container":
      await call(`renaming ${op.from} to ${op.to}`, () =>
        engine.renameContainer(op.containerId, op.to),
      );
      return;
    case "replace-container":
      await replaceReplica(op, {
        engine,
        spec,
        sink,
        rollouts,
        retry: ctx.retry ?? {},
        ...(signal === undefined ? {} : { signal }),
        ...(ctx.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: ctx.readyTimeoutMs }),
        ...(ctx.pollIntervalMs === undefined ? {} : { pollIntervalMs: ctx.pollIntervalMs }),
      });
      return;
    case "wait-ready":
      await waitReady(op.service, op.condition, {
        engine,
        spec,
        sink,
        retry: ctx.retry ?? {},
        ...(signal === undefined ? {} : { signal }),
        ...(ctx.readyTimeoutMs === undefined ? {} : { timeoutMs: ctx.readyTimeoutMs }),
        ...(ctx.pollIntervalMs === undefined ? {} : { pollIntervalMs: ctx.pollIntervalMs }),
      });
      return;
    case "delay":
      await sleep(op.ms, signal);
      return;
    case "build-image": {
      const build = spec.services[op.service]?.build;
      if (build === undefined || engine.buildImage === undefined)
        throw new StepFailure(`cannot build ${op.image}: no build settings or no build support`);
      const buildImage = engine.buildImage.bind(engine);
      await call(`building image ${op.image}`, () =>
        buildImage({ image: op.image, build, buildHash: buildConfigHash(build) }, (p) =>
          sink.emit({ type: "pull-progress", image: p.image, status: p.status }),
        ),
      );
      return;
    }
    case "create-ingress": {
      if (engine.createIngress === undefined)
        throw new StepFailure(`the ${engine.driver} driver cannot run an ingress`);
      const createIngress = engine.createIngress.bind(engine);
      await call(`creating ingress ${op.name}`, () =>
        createIngress(spec, op.name, ingressConfigHash(spec)),
      );
      return;
    }
    default:
      throw new StepFailure(`${op.kind} is not supported by the docker driver`);
  }
}

/** Starts a replica; when the engine refuses, the failure carries the container's last log lines. */
async function startWithLogs(
  name: string,
  id: string,
  ctx: ExecuteContext,
  call: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
): Promise<void> {
  try {
    await call(`starting ${name}`, () => ctx.engine.startContainer(id));
  } catch (error) {
    if (error instanceof InterruptedError || !(error instanceof EngineError)) throw error;
    const logs = await tailLogs(ctx.engine, id);
    throw new StepFailure(error.message, { logs, cause: error });
  }
}
