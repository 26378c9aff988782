/**
 * The docker driver: a stack as plain containers, networks and volumes on one engine, found
 * by label. It plans replicas itself (slots, rolling updates, restarts under `--watch`); the
 * engine runs them.
 */
import { randomBytes } from "node:crypto";
import type {
  BuildOptions,
  ContainerStats,
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
  PublishedAddress,
  PullProgress,
  Removal,
  ReplicaExit,
  ReplicaSummary,
} from "../../core/driver.js";
import { EngineError, UnsupportedError } from "../../core/errors.js";
import type { ObservedContainer } from "../../core/replica.js";
import { buildConfigHash, networkConfigHash, serviceConfigHash } from "../../model/config-hash.js";
import { LABELS } from "../docker-api/labels.js";
import { inOrder } from "../docker-api/in-order.js";
import { controlReplicas } from "./control-replicas.js";
import { createReplica } from "./create-replica.js";
import { serviceRows, type ServiceRow } from "../../core/views.js";
import { ingressImage, ingressRoutes } from "../../model/ingress.js";
import type { StackSpec } from "../../model/types.js";
import { withContextHashes } from "../../stackfile/build-context.js";
import { withSecretContents } from "../../stackfile/secret-content.js";
import { ApiDriver } from "../docker-api/api-driver.js";
import type { DockerEnv } from "../docker-api/connection.js";
import type { ConnectEngineOptions } from "../docker-api/engine-connection.js";
import { remoteBindMountWarnings } from "../docker-api/remote-bind-mounts.js";
import type { ContainerEngine, ImageInfo } from "./container-engine.js";
import { DockerEngine } from "./docker-engine.js";
import type { DockerObservedState, ObserveWants } from "./observed-state.js";
import type { Cause, DockerOperation } from "./operations.js";
import { neverPullIssues, policyPulls } from "./pull-policy.js";
import { planRemove } from "./plan-remove.js";
import { dockerDriverIssues, dockerDriverWarnings, engineWarnings } from "./preflight.js";
import { reconcile } from "./reconcile.js";
import { dockerRunner } from "./run-operation.js";
import { supervise } from "./supervise.js";
import { waitForStack } from "./wait-stack.js";

/** Images to check for presence and external objects to check for existence. */
function wantedObjects(spec: StackSpec): ObserveWants {
  const images = [
    ...new Set([
      ...Object.values(spec.services).map((s) => s.image),
      ...(ingressRoutes(spec).length > 0 ? [ingressImage(spec)] : []),
    ]),
  ].sort();
  const externalNetworks = Object.values(spec.networks)
    .filter((n) => n.external)
    .map((n) => n.name)
    .sort();
  const externalVolumes = Object.values(spec.volumes)
    .filter((v) => v.external)
    .map((v) => v.name)
    .sort();
  return { images, externalNetworks, externalVolumes, engineStart: true };
}

/**
 * A deploy of `spec` (its secret contents already read) on `engine`: the steps the core's
 * converge loop drives, plus `--wait` and `--watch`.
 */
export function dockerDeployment(
  engine: ContainerEngine,
  spec: StackSpec,
  pulls: ReadonlyMap<string, Cause> = new Map(),
): Deployment<DockerObservedState, DockerOperation> {
  const wants = wantedObjects(spec);
  const deployment: Deployment<DockerObservedState, DockerOperation> = {
    spec,
    observe: () => engine.observe(spec.name, wants),
    plan: (observed, options) =>
      reconcile(spec, observed, options.firstRound === true ? { ...options, pulls } : options),
    runner: (plan, context) => dockerRunner(engine, plan, context),
    waitReady: (options) => waitForStack(spec, { ...options, engine }),
    watch: async (options) => {
      options.sink.emit({
        type: "info",
        message: `watching stack ${spec.name}; Ctrl-C stops watching and leaves it running`,
      });
      await supervise(deployment, { ...options, engine });
    },
  };
  return deployment;
}

/** The docker driver over a {@link ContainerEngine}. */
export class DockerDriver extends ApiDriver<ContainerEngine> implements Driver {
  readonly name = "docker" as const;

  /**
   * The driver for the engine `env` and `options.context` name (DOCKER_HOST, DOCKER_CONTEXT,
   * the current Docker context; see `connectEngine`); connects lazily.
   */
  static fromEnv(env: DockerEnv, options: ConnectEngineOptions = {}): DockerDriver {
    return new DockerDriver(DockerEngine.fromEnv(env, options));
  }

  async preflight(spec: StackSpec): Promise<DriverIssues> {
    const errors = [
      ...dockerDriverIssues(spec),
      ...neverPullIssues(spec, await this.imageInfos(spec, "never")),
    ];
    // Errors need no engine; warnings that depend on the engine ask it (its identity is kept).
    if (errors.length > 0) return { errors, warnings: [], ignoredSettings: [] };
    const { kind, apiVersion } = await this.engine.identity();
    return {
      errors,
      warnings: [
        ...dockerDriverWarnings(spec, apiVersion),
        ...engineWarnings(spec, kind),
        ...remoteBindMountWarnings(spec, this.engine),
      ],
      ignoredSettings: [],
    };
  }

  async prepare(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
  ): Promise<Deployment> {
    // Secret and config content is read once, here: the runner writes it into each replica,
    // and its keyed digest joins the config hash so changed content rolls the service.
    // pull_policy is decided once per deploy, by this clock and the images' last pulls.
    const pulls = policyPulls(spec, await this.imageInfos(spec, "always", "refresh"), Date.now());
    return dockerDeployment(this.engine, await withSecretContents(spec, env), pulls);
  }

  /** What the engine holds for the images of services with one of `policies`. */
  private async imageInfos(
    spec: StackSpec,
    ...policies: readonly string[]
  ): Promise<Map<string, ImageInfo | undefined>> {
    const images = [
      ...new Set(
        Object.values(spec.services)
          .filter((s) => s.pullPolicy !== undefined && policies.includes(s.pullPolicy))
          .map((s) => s.image),
      ),
    ];
    const infos = await Promise.all(images.map((i) => this.engine.imageInfo(i)));
    return new Map(images.map((image, i) => [image, infos[i]]));
  }

  async planRemoval(stack: string, options: { readonly volumes: boolean }): Promise<Removal> {
    const observed = await this.engine.observe(stack);
    const plan = planRemove(observed, options);
    const notes =
      plan.operations.length > 0 && !options.volumes && observed.volumes.length > 0
        ? [
            `kept ${observed.volumes.length} volume(s) of stack ${stack}: ${observed.volumes
              .map((v) => v.name)
              .sort()
              .join(", ")} (remove them with --volumes)`,
          ]
        : [];
    return {
      plan,
      runner: (context) => dockerRunner(this.engine, plan, context),
      notes,
    };
  }

  /** Replicas, the ingress and one-off containers of `stack run` (role `run`). */
  async replicas(stack: string): Promise<readonly ObservedContainer[]> {
    const observed = await this.engine.observe(stack);
    return [...observed.containers, ...(observed.oneOffs ?? [])];
  }

  async services(stack: string): Promise<readonly ServiceRow[]> {
    return serviceRows((await this.engine.observe(stack)).containers);
  }

  stats(id: string, options?: { readonly signal?: AbortSignal }): Promise<ContainerStats> {
    return this.engine.stats(id, options);
  }

  exec(replica: ObservedContainer, options: ExecOptions): Promise<number> {
    return this.engine.exec(replica.id, options);
  }

  inspect(replica: ObservedContainer): Promise<ReplicaSummary> {
    return this.engine.summary(replica.id);
  }

  async run(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
    options: OneOffOptions,
  ): Promise<number> {
    const prepared = await withSecretContents(spec, env);
    const service = prepared.services[options.service];
    if (service === undefined)
      throw new EngineError("invalid", `service "${options.service}" is not in the stack file`);
    // What a deploy would create for this service and a one-off needs: its networks, named
    // volumes and image (compose's run does the same).
    if (service.networkMode === undefined) {
      for (const key of Object.keys(service.networks).sort()) {
        const n = prepared.networks[key];
        if (n !== undefined && !n.external)
          await this.engine.createNetwork(prepared.name, n, networkConfigHash(n));
      }
    }
    for (const m of service.mounts) {
      const v =
        m.type === "volume" && m.source !== undefined ? prepared.volumes[m.source] : undefined;
      if (v !== undefined && !v.external) await this.engine.createVolume(prepared.name, v);
    }
    if ((await this.engine.imageInfo(service.image)) === undefined) {
      if (service.build !== undefined) {
        const hashed = await withContextHashes(prepared);
        const build = hashed.services[options.service]?.build ?? service.build;
        await this.engine.buildImage({
          image: service.image,
          build,
          buildHash: buildConfigHash(build),
        });
      } else await this.engine.pullImage(service.image);
    }
    const name = `${prepared.name}_${service.name}_run_${randomBytes(3).toString("hex")}`;
    const id = await createReplica(this.engine, {
      spec: prepared,
      service,
      slot: 0,
      name,
      configHash: serviceConfigHash(service),
      oneOff: {
        ...(options.cmd.length > 0 && { cmd: options.cmd }),
        ...(options.entrypoint !== undefined && { entrypoint: options.entrypoint }),
        env: options.env,
        mounts: options.mounts,
        ...(options.user !== undefined && { user: options.user }),
        ...(options.workingDir !== undefined && { workingDir: options.workingDir }),
        tty: options.tty,
        stdin: options.stdin !== undefined,
      },
    });
    try {
      return await this.engine.runAttached(id, {
        tty: options.tty,
        ...(options.terminal !== undefined && { terminal: options.terminal }),
        ...(options.stdin !== undefined && { stdin: options.stdin }),
        ...(options.stdout !== undefined && { stdout: options.stdout }),
        ...(options.stderr !== undefined && { stderr: options.stderr }),
        ...(options.signal !== undefined && { signal: options.signal }),
      });
    } finally {
      if (options.remove) await this.engine.removeContainer(id, prepared.name);
    }
  }

  async port(
    stack: string,
    replica: ObservedContainer,
    target: number,
    protocol: "tcp" | "udp",
  ): Promise<PublishedAddress | undefined> {
    const direct = publishedOn(replica.ports, target, protocol);
    if (direct !== undefined) return direct;
    if (protocol !== "tcp") return undefined;
    // A port the stack's ingress serves is published by the ingress, on its listen port.
    const ingress = (await this.engine.observe(stack)).containers.find((c) => c.role === "ingress");
    if (ingress === undefined) return undefined;
    const labels = await this.engine.containerLabels(ingress.id);
    const raw = labels?.[LABELS.ingressRoutes];
    if (raw === undefined)
      throw new UnsupportedError(
        `the ingress ${ingress.name} of stack ${stack} was created by an older stack and does not say which port serves what; remove it (docker rm -f ${ingress.name}) and deploy again`,
      );
    const routes = JSON.parse(raw) as { service: string; target: number; listen: number }[];
    const route = routes.find((r) => r.service === replica.service && r.target === target);
    return route === undefined ? undefined : publishedOn(ingress.ports, route.listen, "tcp");
  }

  async control(
    stack: string,
    services: readonly string[] | undefined,
    action: ControlAction,
    options: ControlOptions,
  ): Promise<readonly ControlOutcome[]> {
    const containers = (await this.engine.observe(stack)).containers;
    const names = inOrder(
      services ?? [
        ...new Set(containers.filter((c) => c.role === undefined).map((c) => c.service)),
      ],
      options.order,
    );
    // One replica (the live view's selection) or all of them.
    const only = options.replicas === undefined ? undefined : new Set(options.replicas);
    const groups = names.map((name) =>
      containers.filter(
        (c) => c.role === undefined && c.service === name && (only?.has(c.id) ?? true),
      ),
    );
    // The whole stack stops, starts, pauses with its ingress (its host ports go and come
    // with it); a restart leaves it: it follows the replicas through DNS.
    const ingress = containers.filter((c) => c.role === "ingress");
    if (
      services === undefined &&
      only === undefined &&
      action !== "restart" &&
      ingress.length > 0
    ) {
      if (action === "start" || action === "unpause") groups.push(ingress);
      else groups.unshift(ingress);
    }
    return controlReplicas(this.engine, groups, action, options);
  }

  top(replica: ObservedContainer): Promise<ProcessList> {
    return this.engine.top(replica.id);
  }

  async images(stack: string): Promise<readonly ImageRow[]> {
    const observed = await this.engine.observe(stack);
    return this.imageRows([...observed.containers, ...(observed.oneOffs ?? [])]);
  }

  async waitExit(
    replicas: readonly ObservedContainer[],
    signal: AbortSignal,
  ): Promise<ReplicaExit> {
    let first: ReplicaExit | undefined;
    await Promise.all(
      replicas.map(async (r) => {
        const exitCode = await this.engine.waitContainer(r.id, signal);
        first ??= { replica: r.name, exitCode };
      }),
    );
    if (first === undefined) throw new EngineError("invalid", "no replica to wait for");
    return first;
  }

  async build(
    spec: StackSpec,
    service: string,
    options: BuildOptions,
    onProgress?: (p: PullProgress) => void,
  ): Promise<void> {
    const s = (await withContextHashes(spec)).services[service];
    if (s?.build === undefined)
      throw new EngineError("invalid", `service "${service}" has no build: section`);
    // The hash is of the file's settings, so the next deploy finds the image current.
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

/** The first host binding of `target/protocol` in `ports` (IPv4 before IPv6). */
function publishedOn(
  ports: readonly ObservedContainer["ports"][number][],
  target: number,
  protocol: string,
): PublishedAddress | undefined {
  const bound = ports
    .filter((p) => p.target === target && p.protocol === protocol && p.published !== undefined)
    .sort(
      (a, b) => Number((a.hostIp ?? "").includes(":")) - Number((b.hostIp ?? "").includes(":")),
    );
  const p = bound[0];
  if (p?.published === undefined) return undefined;
  return {
    hostIp: p.hostIp === undefined || p.hostIp === "" ? "0.0.0.0" : p.hostIp,
    port: p.published,
  };
}
