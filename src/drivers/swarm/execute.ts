/**
 * The swarm driver's operations: each op kind maps to one engine call (or one readiness
 * wait), with no decision logic, like the docker executor. `executePlan` dispatches here
 * when the engine is the swarm driver.
 */
import { EngineError } from "../../core/errors.js";
import { isServiceEngine } from "./service-engine.js";
import type { Operation } from "../../core/operation.js";
import { networkConfigHash } from "../../model/config-hash.js";
import type { ExecuteContext } from "../../core/execute-plan.js";
import { StepFailure } from "../docker/readiness.js";
import { engineCall, sleep, type RetryOptions } from "../../core/retry-policy.js";
import { waitSwarmReady } from "./readiness.js";

/** Default limit of one `depends_on` gate on a swarm (images may be pulled on each node). */
const SWARM_READY_TIMEOUT_MS = 180_000;

function inContext(what: string, error: unknown): unknown {
  if (error instanceof EngineError && !(error instanceof StepFailure)) {
    return new EngineError(error.kind, `${what}: ${error.message}`, {
      cause: error,
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    });
  }
  return error;
}

/**
 * Runs one operation of a swarm plan against `ctx.engine` (which must be the swarm driver).
 * Throws like the docker executor: `StepFailure` for a failed gate, `EngineError` for a
 * failed call (retried first when retryable), `InterruptedError` on Ctrl-C. Container-level
 * kinds throw: a swarm plan never contains them.
 */
export async function runSwarmOperation(op: Operation, ctx: ExecuteContext): Promise<void> {
  const { engine, spec, sink, signal } = ctx;
  if (!isServiceEngine(engine)) throw new StepFailure(`${op.kind} needs the swarm driver`);
  const retry: RetryOptions = {
    ...ctx.retry,
    ...(signal === undefined ? {} : { signal }),
    onRetry: (error, attempt) =>
      sink.emit({
        type: "info",
        message: `${op.id}: attempt ${attempt} failed (${error.message}), retrying`,
      }),
  };
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await engineCall(what, fn, retry);
    } catch (error) {
      throw inContext(what, error);
    }
  };

  switch (op.kind) {
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
    case "create-secret":
      await call(`creating secret ${op.name}`, () => engine.createSecret(spec, op.secret));
      return;
    case "create-config":
      await call(`creating config ${op.name}`, () => engine.createConfig(spec, op.config));
      return;
    case "remove-secret": {
      const removed = await call(`removing secret ${op.name}`, () =>
        engine.removeSecret(op.secretId),
      );
      if (!removed)
        sink.emit({ type: "info", message: `kept secret ${op.name}: a service still uses it` });
      return;
    }
    case "remove-config": {
      const removed = await call(`removing config ${op.name}`, () =>
        engine.removeConfig(op.configId),
      );
      if (!removed)
        sink.emit({ type: "info", message: `kept config ${op.name}: a service still uses it` });
      return;
    }
    case "create-service":
      await call(`creating service ${op.name}`, () => engine.createService(spec, op.service));
      return;
    case "update-service":
      // Not retried blindly: a retry would send a stale version ("update out of sequence");
      // the next converge round observes the new version and plans again.
      try {
        await engine.updateService(spec, op.service, op.serviceId, op.version);
      } catch (error) {
        throw inContext(`updating service ${op.name}`, error);
      }
      return;
    case "remove-service":
      await call(`removing service ${op.name}`, () => engine.removeService(op.serviceId));
      return;
    case "wait-ready":
      await waitSwarmReady(spec, op.service, op.condition, {
        engine,
        sink,
        timeoutMs: ctx.readyTimeoutMs ?? SWARM_READY_TIMEOUT_MS,
        ...(ctx.pollIntervalMs === undefined ? {} : { pollIntervalMs: ctx.pollIntervalMs }),
        ...(signal === undefined ? {} : { signal }),
      });
      return;
    case "delay":
      await sleep(op.ms, signal);
      return;
    default:
      throw new StepFailure(`${op.kind} is not supported by the swarm driver`);
  }
}
