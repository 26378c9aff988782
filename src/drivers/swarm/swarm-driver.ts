/**
 * The swarm driver: a stack as Docker Swarm services, overlay networks, secrets and configs,
 * named and labelled as `docker stack deploy` names them. Swarm schedules, restarts and
 * rolls the tasks; this driver plans at the service level and follows the rollouts.
 */
import type { Deployment, Driver, DriverIssues, Removal } from "../../core/driver.js";
import type { ObservedContainer } from "../../core/replica.js";
import { serviceRows, type ServiceRow } from "../../core/views.js";
import type { StackSpec } from "../../model/types.js";
import { ApiDriver } from "../docker-api/api-driver.js";
import type { DockerEnv } from "../docker-api/connection.js";
import type { ConnectEngineOptions } from "../docker-api/engine-connection.js";
import { remoteBindMountWarnings } from "../docker-api/remote-bind-mounts.js";
import type { SwarmDesiredState, SwarmObservedState } from "./observed-state.js";
import type { SwarmOperation } from "./operations.js";
import { swarmDriverIssues } from "./preflight.js";
import { waitSwarmStack } from "./readiness.js";
import { planRemoveSwarm, reconcileSwarm } from "./reconcile.js";
import { swarmRunner } from "./run-operation.js";
import type { ServiceEngine, SwarmObserveWants } from "./service-engine.js";
import { SwarmEngine } from "./swarm-engine.js";

/** External networks, secrets and configs of the deploy, to check for existence. */
function wantedObjects(spec: StackSpec, desired: SwarmDesiredState): SwarmObserveWants {
  const external = (objects: SwarmDesiredState["secrets"]) =>
    Object.values(objects)
      .filter((o) => o.external)
      .map((o) => o.name);
  return {
    externalNetworks: Object.values(spec.networks)
      .filter((n) => n.external)
      .map((n) => n.name),
    externalSecrets: external(desired.secrets),
    externalConfigs: external(desired.configs),
  };
}

/**
 * A deploy of `spec` on a swarm whose desired state (service hashes, content-named secrets
 * and configs) is `desired`.
 */
export function swarmDeployment(
  engine: ServiceEngine,
  spec: StackSpec,
  desired: SwarmDesiredState,
): Deployment<SwarmObservedState, SwarmOperation> {
  const wants = wantedObjects(spec, desired);
  return {
    spec,
    observe: () => engine.observe(spec.name, wants),
    plan: (observed, options) => reconcileSwarm(spec, desired, observed, options),
    runner: (_plan, context) => swarmRunner(engine, context),
    // Every service runs its desired tasks of the new spec and no rollout is under way; a
    // paused or rolled-back update fails naming the service and the task error.
    waitReady: (options) =>
      waitSwarmStack(
        spec,
        desired,
        {
          engine,
          sink: options.sink,
          timeoutMs: options.timeoutMs,
          ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
          ...(options.signal !== undefined && { signal: options.signal }),
        },
        options.services,
      ),
    watch: async (options) => {
      options.sink.emit({
        type: "info",
        message:
          "--watch: the swarm keeps the stack converged itself (restart policies, rescheduling); nothing to watch",
      });
    },
  };
}

/** The swarm driver over a {@link ServiceEngine} talking to a swarm manager. */
export class SwarmDriver extends ApiDriver<ServiceEngine> implements Driver {
  readonly name = "swarm" as const;

  /**
   * The driver for the manager `env` and `options.context` name (DOCKER_HOST, DOCKER_CONTEXT,
   * the current Docker context; see `connectEngine`); connects lazily.
   */
  static fromEnv(env: DockerEnv, options: ConnectEngineOptions = {}): SwarmDriver {
    return new SwarmDriver(SwarmEngine.fromEnv(env, options));
  }

  async preflight(spec: StackSpec): Promise<DriverIssues> {
    const nodes = (await this.engine.observe(spec.name)).nodes.filter(
      (n) => n.availability === "active",
    ).length;
    const issues = swarmDriverIssues(spec, nodes);
    // Swarm ignores these and its warnings say so; the security warnings about them would
    // only repeat it.
    return {
      ...issues,
      warnings: [...issues.warnings, ...remoteBindMountWarnings(spec, this.engine)],
      ignoredSettings: ["privileged", "pid"],
    };
  }

  async prepare(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
  ): Promise<Deployment> {
    return swarmDeployment(this.engine, spec, await this.engine.desiredState(spec, env));
  }

  async planRemoval(stack: string, options: { readonly volumes: boolean }): Promise<Removal> {
    const plan = planRemoveSwarm(await this.engine.observe(stack));
    return {
      plan,
      runner: (context) => swarmRunner(this.engine, context),
      notes: options.volumes
        ? [
            `volumes of a swarm stack live on each node; remove them there with docker volume rm (stack ${stack})`,
          ]
        : [],
    };
  }

  async replicas(stack: string): Promise<readonly ObservedContainer[]> {
    return (await this.engine.observe(stack)).tasks;
  }

  /**
   * The mode and desired count come from the services themselves (replicas, or for a global
   * service the nodes it has a task on), not from the task slots: swarm keeps old tasks of
   * removed slots for a while.
   */
  async services(stack: string): Promise<readonly ServiceRow[]> {
    const observed = await this.engine.observe(stack);
    const rows = new Map(serviceRows(observed.tasks).map((r) => [r.name, r]));
    return observed.services
      .map((s): ServiceRow => {
        const row = rows.get(s.service);
        const live = observed.tasks.filter(
          (t) => t.service === s.service && t.state !== "exited" && t.state !== "dead",
        ).length;
        return {
          name: s.service,
          mode: s.mode,
          running: row?.running ?? 0,
          desired: s.mode === "replicated" ? (s.replicas ?? 0) : live,
          image: s.image,
          ports: row?.ports ?? [],
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
