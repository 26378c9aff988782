/**
 * The swarm driver's runner: each operation kind maps to one engine call (or one readiness
 * wait), with no decision logic, like the docker driver's; every call goes through
 * `stepCalls`.
 */
import type { OperationRunner, RunContext } from "../../core/driver.js";
import { inContext, stepCalls } from "../../core/retry-policy.js";
import { runNetworkOperation } from "../docker-api/network-operations.js";
import type { EncodedAuth } from "../docker-api/registry-header.js";
import type { SwarmOperation } from "./operations.js";
import { waitSwarmReady } from "./readiness.js";
import type { ServiceEngine } from "./service-engine.js";

/** Default limit of one `depends_on` gate on a swarm (images may be pulled on each node). */
const SWARM_READY_TIMEOUT_MS = 180_000;

/** The runner of swarm plans on `engine`. */
export function swarmRunner(
  engine: ServiceEngine,
  ctx: RunContext,
  auths: ReadonlyMap<string, EncodedAuth> = new Map(),
): OperationRunner<SwarmOperation> {
  return { run: (op) => runOperation(op, engine, ctx, auths) };
}

async function runOperation(
  op: SwarmOperation,
  engine: ServiceEngine,
  ctx: RunContext,
  auths: ReadonlyMap<string, EncodedAuth>,
): Promise<void> {
  // `--with-registry-auth`: the credentials for the service's image go with it to the swarm.
  const authOf = (service: string) => auths.get(spec.services[service]?.image ?? "");
  const { spec, sink, signal } = ctx;
  const call = stepCalls(op.id, ctx);
  switch (op.kind) {
    case "create-network":
    case "remove-network":
      await runNetworkOperation(op, engine, spec, call);
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
      await call(`creating service ${op.name}`, () =>
        engine.createService(spec, op.service, authOf(op.service)),
      );
      return;
    case "update-service":
      // Not retried blindly: a retry would send a stale version ("update out of sequence");
      // the next converge round observes the new version and plans again.
      try {
        await engine.updateService(spec, op.service, op.serviceId, op.version, authOf(op.service));
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
      // The executor sleeps delays itself; nothing to do here.
      return;
  }
}
