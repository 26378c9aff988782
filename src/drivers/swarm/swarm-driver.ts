/**
 * The swarm driver: a stack as Docker Swarm services, overlay networks, secrets and configs,
 * named and labelled as `docker stack deploy` names them. Swarm schedules, restarts and
 * rolls the tasks; this driver plans at the service level and follows the rollouts.
 */
import type {
  BuildOptions,
  ControlAction,
  ControlOptions,
  ControlOutcome,
  Deployment,
  Driver,
  DriverIssues,
  ExecOptions,
  ImageRow,
  OneOffOptions,
  ProcessList,
  PrepareOptions,
  PublishedAddress,
  PullProgress,
  Removal,
  ReplicaExit,
  ReplicaSummary,
} from "../../core/driver.js";
import {
  EngineError,
  InterruptedError,
  NotFoundError,
  UnsupportedError,
} from "../../core/errors.js";
import { LABELS } from "../docker-api/labels.js";
import { inOrder } from "../docker-api/in-order.js";
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
import { withContextHashes } from "../../stackfile/build-context.js";
import { builtImageName } from "../../model/naming.js";
import { buildConfigHash } from "../../model/config-hash.js";
import { prepareSwarmImages } from "./prepare-images.js";
import type { EncodedAuth } from "../docker-api/registry-header.js";

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
  auths: ReadonlyMap<string, EncodedAuth> = new Map(),
): Deployment<SwarmObservedState, SwarmOperation> {
  const wants = wantedObjects(spec, desired);
  return {
    spec,
    observe: () => engine.observe(spec.name, wants),
    plan: (observed, options) => reconcileSwarm(spec, desired, observed, options),
    runner: (_plan, context) => swarmRunner(engine, context, auths),
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
    options: PrepareOptions = {},
  ): Promise<Deployment> {
    // Images first: built and pushed, tags pinned to digests, so the desired service bodies
    // (and their hashes) name what every node will run.
    const observed = await this.engine.observe(spec.name);
    const images = await prepareSwarmImages(this.engine, spec, observed.services, options);
    return swarmDeployment(
      this.engine,
      images.spec,
      await this.engine.desiredState(images.spec, env),
      images.auths,
    );
  }

  async planRemoval(stack: string, options: { readonly volumes: boolean }): Promise<Removal> {
    const observed = await this.engine.observe(stack);
    // One-off jobs of `stack run` go with the stack.
    const plan = planRemoveSwarm({
      ...observed,
      services: [
        ...observed.services,
        // Named by their own engine name: a one-off of `job` is not the service `job`.
        ...(observed.oneOffServices ?? []).map((o) => ({
          ...o,
          service: o.name.startsWith(`${stack}_`) ? o.name.slice(stack.length + 1) : o.name,
        })),
      ],
    });
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

  /** Tasks, and those of one-off jobs of `stack run` (role `run`). */
  async replicas(stack: string): Promise<readonly ObservedContainer[]> {
    return this.replicasWithOneOffs(stack);
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

  /** Tasks, and the tasks of one-off jobs of `stack run` (role `run`). */
  async replicasWithOneOffs(stack: string): Promise<readonly ObservedContainer[]> {
    const observed = await this.engine.observe(stack);
    return [...observed.tasks, ...(observed.oneOffTasks ?? [])];
  }

  /**
   * The container of task `replica` when it runs on the node this engine is; else
   * UnsupportedError saying where it runs and how to reach it (`what` names the command).
   */
  private async localContainer(replica: ObservedContainer, what: string): Promise<string> {
    const [task, here] = await Promise.all([this.engine.task(replica.id), this.engine.localNode()]);
    if (task?.containerId === undefined)
      throw new NotFoundError(
        `task ${replica.name} has no container (it is ${task?.state ?? "gone"})`,
      );
    if (task.nodeId !== here.id)
      throw new UnsupportedError(
        `${what}: task ${replica.name} runs on node ${replica.node ?? task.nodeId ?? "?"}, and stack reaches containers only on the node it talks to (${here.hostname}); there, run docker exec ${task.containerId.slice(0, 12)} ..., or pick a task on ${here.hostname} with --index`,
      );
    return task.containerId;
  }

  async exec(replica: ObservedContainer, options: ExecOptions): Promise<number> {
    return this.engine.exec(await this.localContainer(replica, "exec"), options);
  }

  async inspect(replica: ObservedContainer): Promise<ReplicaSummary> {
    return this.engine.summary(await this.localContainer(replica, "inspect"));
  }

  async run(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
    options: OneOffOptions,
  ): Promise<number> {
    // A swarm job has no TTY and no stdin: its output is read from the task's log.
    return this.engine.runJob(
      spec,
      env,
      options.service,
      {
        ...(options.cmd.length > 0 && { cmd: options.cmd }),
        ...(options.entrypoint !== undefined && { entrypoint: options.entrypoint }),
        env: options.env,
        mounts: options.mounts,
        ...(options.user !== undefined && { user: options.user }),
        ...(options.workingDir !== undefined && { workingDir: options.workingDir }),
        tty: false,
        stdin: false,
      },
      {
        remove: options.remove,
        ...(options.stdout !== undefined && { stdout: options.stdout }),
        ...(options.stderr !== undefined && { stderr: options.stderr }),
        ...(options.signal !== undefined && { signal: options.signal }),
      },
    );
  }

  async port(
    stack: string,
    replica: ObservedContainer,
    target: number,
    protocol: "tcp" | "udp",
  ): Promise<PublishedAddress | undefined> {
    const service = (await this.engine.observe(stack)).services.find(
      (s) => s.service === replica.service,
    );
    if (service === undefined) return undefined;
    const endpoint = await this.engine.serviceEndpoint(service.id);
    const port = endpoint?.ports.find(
      (p) => p.target === target && p.protocol === protocol && p.published !== undefined,
    );
    if (port?.published === undefined) return undefined;
    // The routing mesh answers on every node; a host-mode port only on the task's node.
    if (port.mode === "ingress") return { hostIp: "0.0.0.0", port: port.published };
    const task = await this.engine.task(replica.id);
    const published =
      replica.ports.find((p) => p.target === target && p.protocol === protocol)?.published ??
      port.published;
    const address =
      task?.nodeId === undefined ? undefined : await this.engine.nodeAddress(task.nodeId);
    return { hostIp: address ?? "0.0.0.0", port: published };
  }

  async control(
    stack: string,
    services: readonly string[] | undefined,
    action: ControlAction,
    options: ControlOptions,
  ): Promise<readonly ControlOutcome[]> {
    if (options.replicas !== undefined)
      throw new UnsupportedError(
        `swarm ${action}s whole services, not single tasks: ${action} the service instead (swarm replaces a task itself when it fails)`,
      );
    if (action === "kill" || action === "pause" || action === "unpause")
      throw new UnsupportedError(
        `swarm has no ${action} for services: it restarts or reschedules their tasks itself; use stack stop and stack start (or docker ${action} on the task's node)`,
      );
    const observed = await this.engine.observe(stack);
    const names = inOrder(services ?? observed.services.map((s) => s.service), options.order);
    const chosen = names.flatMap((n) => observed.services.filter((s) => s.service === n));
    const global = chosen.filter((s) => s.mode === "global");
    if ((action === "stop" || action === "start") && global.length > 0)
      throw new UnsupportedError(
        `swarm cannot ${action} global service ${global.map((s) => s.name).join(", ")}: it runs one task on every node; remove it with stack rm or make it replicated`,
      );
    const note =
      options.timeoutMs !== undefined
        ? " (-t not applied: swarm stops tasks after their stop_grace_period)"
        : "";
    const outcomes: ControlOutcome[] = [];
    for (const s of chosen) {
      try {
        if (action === "restart") {
          await this.engine.forceUpdate(s.id);
          outcomes.push({ name: s.name, result: `restarting (rolling update)${note}`, ok: true });
          continue;
        }
        const endpoint = await this.engine.serviceEndpoint(s.id);
        const remembered = Number(endpoint?.labels[LABELS.stoppedReplicas]);
        const replicas = endpoint?.replicas ?? s.replicas ?? 0;
        if (action === "stop") {
          if (replicas === 0) {
            outcomes.push({ name: s.name, result: "already stopped (0 replicas)", ok: true });
            continue;
          }
          await this.engine.scaleService(s.id, 0, {
            set: { [LABELS.stoppedReplicas]: String(replicas) },
          });
          outcomes.push({
            name: s.name,
            result: `stopped: scaled to 0 (was ${replicas})${note}`,
            ok: true,
          });
          continue;
        }
        if (replicas > 0) {
          outcomes.push({
            name: s.name,
            result: `already running (${replicas} replicas)`,
            ok: true,
          });
          continue;
        }
        if (!Number.isInteger(remembered) || remembered < 1) {
          outcomes.push({
            name: s.name,
            result: "has 0 replicas and no count from stack stop: use stack scale or stack deploy",
            ok: false,
          });
          continue;
        }
        await this.engine.scaleService(s.id, remembered, { remove: [LABELS.stoppedReplicas] });
        outcomes.push({ name: s.name, result: `started: scaled to ${remembered}`, ok: true });
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        outcomes.push({ name: s.name, result: `failed: ${err.message}`, ok: false });
      }
    }
    return outcomes;
  }

  async top(replica: ObservedContainer): Promise<ProcessList> {
    return this.engine.top(await this.localContainer(replica, "top"));
  }

  async images(stack: string): Promise<readonly ImageRow[]> {
    return this.imageRows(await this.replicasWithOneOffs(stack));
  }

  /** Polls the tasks (swarm has no wait): each one ends in complete, failed, shutdown or rejected. */
  async waitExit(
    replicas: readonly ObservedContainer[],
    signal: AbortSignal,
  ): Promise<ReplicaExit> {
    const ended = new Map<string, ReplicaExit>();
    const order: string[] = [];
    for (;;) {
      if (signal.aborted) throw new InterruptedError();
      for (const r of replicas) {
        if (ended.has(r.id)) continue;
        const t = await this.engine.task(r.id);
        if (
          t === undefined ||
          ["complete", "failed", "shutdown", "rejected", "orphaned"].includes(t.state)
        ) {
          ended.set(r.id, {
            replica: r.name,
            exitCode: t?.exitCode ?? (t?.state === "complete" ? 0 : 1),
          });
          order.push(r.id);
        }
      }
      if (ended.size === replicas.length) return ended.get(order[0] as string) as ReplicaExit;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  async build(
    spec: StackSpec,
    service: string,
    options: BuildOptions,
    onProgress?: (p: PullProgress) => void,
  ): Promise<void> {
    // Built on the manager talked to; `stack push` (or a deploy) makes it reach the nodes.
    const s = (await withContextHashes(spec)).services[service];
    if (s?.build === undefined)
      throw new EngineError("invalid", `service "${service}" has no build: section`);
    if (s.image === builtImageName(spec.name, service))
      throw new UnsupportedError(
        `service ${service} builds an image no swarm node can pull: give it image: naming a repository in a registry the nodes reach (e.g. registry.example.com:5000/${service}:1); stack builds it on the manager and pushes it there`,
      );
    const build = {
      ...s.build,
      ...(options.noCache === true && { noCache: true }),
      ...(options.pull === true && { pull: true }),
    };
    await this.engine.buildImage(
      { image: s.image, build, buildHash: buildConfigHash(s.build) },
      onProgress,
    );
  }
}
