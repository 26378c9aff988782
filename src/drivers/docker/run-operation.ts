/**
 * The docker driver's runner: each operation kind maps to a fixed sequence of engine calls,
 * with no decision logic (the planner decided); every call goes through `stepCalls`.
 */
import type { OperationLease, OperationRunner, RunContext } from "../../core/driver.js";
import { EngineError, InterruptedError, StepFailure } from "../../core/errors.js";
import type { Plan } from "../../core/operation.js";
import { stepCalls, type StepCall } from "../../core/retry-policy.js";
import { imageProgressEvent } from "../../progress/image-progress.js";
import { buildConfigHash, serviceConfigHash } from "../../model/config-hash.js";
import { runNetworkOperation } from "../docker-api/network-operations.js";
import { STALE_TASK_PATTERN } from "../docker-api/classify-error.js";
import { ingressConfigHash } from "../../model/ingress.js";
import type { ContainerEngine } from "./container-engine.js";
import { createReplica } from "./create-replica.js";
import {
  hasHooks,
  runPostStartHooks,
  runPreStartHooks,
  runPreStopHooks,
  type HookContext,
} from "./hooks.js";
import { startIngress } from "./ingress.js";
import type { DockerOperation } from "./operations.js";
import { tailLogs, waitReady } from "./readiness.js";
import { RolloutTracker, replaceReplica } from "./replace-replica.js";

/** The runner of one execution of `plan` on `engine`. */
export function dockerRunner(
  engine: ContainerEngine,
  plan: Plan<DockerOperation>,
  ctx: RunContext,
): OperationRunner<DockerOperation> {
  const rollouts = new RolloutTracker(plan);
  return {
    run: (op, lease) => runOperation(op, engine, ctx, rollouts, lease),
    settle: (op) =>
      op.kind === "replace-container"
        ? rollouts.settle(op.service, { engine, sink: ctx.sink, retry: ctx.retry ?? {} })
        : Promise.resolve(),
  };
}

async function runOperation(
  op: DockerOperation,
  engine: ContainerEngine,
  ctx: RunContext,
  rollouts: RolloutTracker,
  lease: OperationLease | undefined,
): Promise<void> {
  const { spec, sink, signal } = ctx;
  const call = stepCalls(op.id, ctx);
  const hooks: HookContext = { engine, spec, sink, ...(signal === undefined ? {} : { signal }) };

  switch (op.kind) {
    case "pull-image":
      await call(`pulling image ${op.image}`, () =>
        engine.pullImage(
          op.image,
          (p) => sink.emit(imageProgressEvent("pull-progress", p)),
          signal === undefined ? {} : { signal },
        ),
      );
      return;
    case "build-image": {
      const build = spec.services[op.service]?.build;
      if (build === undefined)
        throw new StepFailure(
          `cannot build ${op.image}: service ${op.service} has no build settings`,
        );
      await call(`building image ${op.image}`, () =>
        // The engine hands each output line over as a progress status: it is a build line.
        engine.buildImage(
          { image: op.image, build, buildHash: buildConfigHash(build) },
          (p) => sink.emit({ type: "build-progress", image: p.image, line: p.status }),
          signal === undefined ? {} : { signal },
        ),
      );
      return;
    }
    case "create-network":
    case "remove-network":
      await runNetworkOperation(op, engine, spec, call);
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
          createReplica(engine, {
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
      // A failing pre_start hook leaves the replica created, not started (as compose does).
      if (hasHooks(service, "preStart"))
        await runPreStartHooks(hooks, { service, id, name: op.name });
      await startWithLogs(engine, op.name, id, call);
      if (hasHooks(service, "postStart"))
        await runPostStartHooks(hooks, { service, id, name: op.name });
      return;
    }
    case "start-container": {
      const service = spec.services[op.service];
      const replica = { id: op.containerId, name: op.name };
      // A replica that was created but never started (its pre_start hook failed, or a
      // deploy was interrupted between create and start) has not had its pre_start hooks
      // succeed yet; one that ran before (stopped by `stack stop`, the engine restarted)
      // has: they run once per created replica.
      if (hasHooks(service, "preStart")) {
        const c = await call(`inspecting ${op.name}`, () =>
          engine.inspectContainer(op.containerId),
        );
        if (c?.state === "created") await runPreStartHooks(hooks, { service, ...replica });
      }
      await startWithLogs(engine, op.name, op.containerId, call);
      if (hasHooks(service, "postStart")) await runPostStartHooks(hooks, { service, ...replica });
      return;
    }
    case "remove-container": {
      // Each container stops with its own grace period and signal (StopTimeout and
      // StopSignal set at create from stop_grace_period and stop_signal, which dockerd uses
      // when a stop names no timeout: checked on 20.10 and 26.1), also for containers of
      // services no longer in the file and for `stack rm`, which has no file; `rm -t`
      // overrides it. The stop is a wait: it gives its write slot back, so the grace periods
      // of every removal run at once. With the stack name the engine checks the container's
      // labels first: never touch a container this stack does not own.
      // pre_stop hooks run first, in the running replica (the service as the stack file
      // says now; `stack rm` without a file has none). A failing hook does not keep the
      // replica: it is stopped and removed, and the failure reported afterwards.
      const service = op.service === undefined ? undefined : spec.services[op.service];
      let hookFailure: string | undefined;
      const stop = async () => {
        if (hasHooks(service, "preStop")) {
          const c = await call(`inspecting ${op.name}`, () =>
            engine.inspectContainer(op.containerId),
          );
          if (c !== undefined && c.role === undefined && c.state === "running")
            hookFailure = await runPreStopHooks(hooks, {
              service,
              id: op.containerId,
              name: op.name,
            });
        }
        await call(`stopping ${op.name}`, () =>
          engine.stopContainer(op.containerId, ctx.stopTimeoutMs, spec.name, { leaving: true }),
        );
      };
      await (lease === undefined ? stop() : lease.idle(stop));
      await call(`removing ${op.name}`, () => engine.removeContainer(op.containerId, spec.name));
      if (hookFailure !== undefined)
        throw new StepFailure(`${hookFailure}; ${op.name} was stopped and removed anyway`, {
          blocking: false,
        });
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
    case "create-ingress":
      await call(`creating ingress ${op.name}`, () =>
        startIngress(engine, spec, op.name, ingressConfigHash(spec), signal),
      );
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
      // The executor sleeps delays itself; nothing to do here.
      return;
  }
}

/** Starts a replica; when the engine refuses, the failure carries the container's last log lines. */
async function startWithLogs(
  engine: ContainerEngine,
  name: string,
  id: string,
  call: StepCall,
): Promise<void> {
  try {
    await call(`starting ${name}`, () => engine.startContainer(id));
  } catch (error) {
    if (error instanceof InterruptedError || !(error instanceof EngineError)) throw error;
    if (STALE_TASK_PATTERN.test(error.message)) {
      // The engine recorded the refusal as the container's error: the next observation
      // shows it and the planner recreates the replica ("stale task").
      throw new StepFailure(
        `${error.message} (a task left by a dockerd that was killed; ${name} is recreated)`,
        { replan: true, cause: error },
      );
    }
    const logs = await tailLogs(engine, id);
    throw new StepFailure(error.message, { logs, cause: error });
  }
}
