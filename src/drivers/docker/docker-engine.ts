import { setMaxListeners } from "node:events";
import Dockerode from "dockerode";
import {
  readEngineIdentity,
  readEngineInfo,
  type EngineIdentity,
} from "../docker-api/engine-info.js";
import { NetworkGate } from "./network-gate.js";
import { leaveRuleFor, type LeaveRule, type VersionReport } from "./leave-rule.js";
import { leaveTargets, type LeaveInspectItem, type AttachedNetwork } from "./leave-targets.js";
import {
  DEFAULT_LEAVE_MARGIN_MS,
  DEFAULT_PROBE_INTERVAL_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_PROBES,
  EngineStuckError,
  watchLeave,
  type ProbeResult,
} from "./stuck-leave.js";
import pLimit from "p-limit";
import { EngineError } from "../../core/errors.js";
import { stackFilter, LABELS } from "../docker-api/labels.js";
import type {
  ContainerStats,
  EngineEvent,
  EngineInfo,
  ExecOptions,
  LogLine,
  ProcessList,
  PullProgress,
  StackSummary,
  ReplicaSummary,
} from "../../core/driver.js";
import { readReplicaSummary } from "../docker-api/replica-summary.js";
import type { ObservedContainer } from "../../core/replica.js";
import type {
  AttachOptions,
  BuildRequest,
  ContainerEngine,
  ContainerRequest,
  ImageInfo,
  StopOptions,
} from "./container-engine.js";
import type { DockerObservedState, ObserveWants } from "./observed-state.js";
import type { NetworkSpec, RestartPolicySpec, StackSpec, VolumeSpec } from "../../model/types.js";
import { buildImage } from "../docker-api/build-image.js";
import { ingressCreatePlan } from "./ingress-config.js";
import { isEngineErrorKind, toEngineError } from "../docker-api/classify-error.js";
import type { DockerEnv } from "../docker-api/connection.js";
import { connectEngine } from "../docker-api/engine-connection.js";
import type { EngineFromEnvOptions } from "../docker-api/engine-connection.js";
import { containerCreatePlan } from "./container-config.js";
import { oneOffCreatePlan } from "./one-off-config.js";
import { execInContainer, followTerminalSize, joinStreams } from "../docker-api/attach-streams.js";
import { firstTarFile } from "./secret-files.js";
import { pullImage } from "../docker-api/pull-image.js";
import { pushImage } from "../docker-api/push-image.js";
import { networkCreateBody, volumeCreateBody } from "../docker-api/network-config.js";
import {
  normaliseImageId,
  summariseStacks,
  toObservedContainer,
  toObservedNetwork,
  toObservedVolume,
} from "./observe.js";
import type {
  ContainerInspectItem,
  ContainerListItem,
  NetworkListItem,
  VolumeListItem,
} from "./observe.js";
import { decodeLogStream, splitTimestamp } from "../docker-api/logs.js";
import { parseJsonLines, toStackEvent } from "../docker-api/events.js";
import type { RawEngineEvent } from "../docker-api/events.js";
import { withEventDetails, type RawEventDetails } from "../docker-api/event-details.js";
import { STACK_VERSION } from "../docker-api/stack-version.js";
import { needsSecondSample, pairSamples, toContainerStats } from "./stats.js";
import { VolumeLockStore } from "../docker-api/volume-lock-store.js";
import type { LockStore } from "../docker-api/stack-lock.js";
import type { RawContainerStats } from "./stats.js";
import { sleep } from "../../core/retry-policy.js";

/** How many inspect/image calls observation runs at once. */
const OBSERVE_CONCURRENCY = 16;

/** Options for {@link DockerEngine}. */
export interface DockerEngineOptions {
  /** Address for messages, e.g. `unix:///var/run/docker.sock`. */
  readonly address: string;
  /** Transport options for dockerode (socket path or host/port/TLS). */
  readonly dockerOptions: Dockerode.DockerOptions;
  /** True when the engine is not on this machine (bind-mount sources are its paths). */
  readonly remote?: boolean;
  /** Written into the `stack.version` label; defaults to this package's version. */
  readonly stackVersion?: string;
  /** How leaves are watched for the engine's network deadlock (tests shrink the times). */
  readonly stuckLeave?: StuckLeaveOptions;
}

/** Times of the stuck-leave detection, see `stuck-leave.ts`. */
export interface StuckLeaveOptions {
  /** Over a leave's grace period before the engine is probed; default 30 s. */
  readonly marginMs?: number;
  /** Limit of each probe call; default 10 s. */
  readonly probeTimeoutMs?: number;
  /** Pause between probes; default 10 s. */
  readonly probeIntervalMs?: number;
  /** Probes in a row that must find the engine stuck; default 2. */
  readonly probes?: number;
}

/** The engine's version and what it means for network leaves. */
interface LeaveFacts {
  readonly rule: LeaveRule;
  readonly version: string;
}

function isReadable(
  value: unknown,
): value is NodeJS.ReadableStream & AsyncIterable<Buffer | string> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** `{ abortSignal }` for a dockerode call when there is a signal: the request itself is aborted. */
function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** Destroys `stream` (ending its iteration) when `signal` aborts; returns the unsubscribe. */
function destroyOnAbort(
  stream: NodeJS.ReadableStream,
  signal: AbortSignal | undefined,
): () => void {
  if (signal === undefined) return () => {};
  const destroy = (): void => {
    (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  };
  if (signal.aborted) destroy();
  signal.addEventListener("abort", destroy, { once: true });
  return () => signal.removeEventListener("abort", destroy);
}

/**
 * The docker driver's engine calls over dockerode: plain containers, networks and volumes
 * found by label. Every method throws `EngineError` only, classified by `toEngineError`.
 * Engine behaviour relied on (checked on dockerd 20.10, API 1.41): start of a running and
 * stop of a stopped container answer 304; stop/remove of a missing container 404; a network
 * create with a taken name 409 (with CheckDuplicate); a volume create with a taken name 201
 * returning the existing volume unchanged.
 *
 * Podman's Docker-compatible service (checked on podman 4.3.1, API 1.41) is served by the same
 * client; where it differs, the difference is handled here or in the pure mappings this class
 * calls, from the engine's identity (its version reply, read once) or from the reply itself:
 * a follow request gets no response headers until the container writes (the abort signal
 * goes into the request), `POST /containers/{id}/update` answers 404 (`unsupported`), stats
 * come without a previous sample (a second one is taken), name conflicts answer 500
 * (classify-error.ts), healthcheck CMD arguments are split on whitespace (container-config.ts).
 */
export class DockerEngine implements ContainerEngine {
  readonly address: string;
  readonly remote: boolean;
  private readonly docker: Dockerode;
  private readonly stackVersion: string;
  private identityRead: Promise<EngineIdentity> | undefined;
  /** Set once the engine answered that it cannot update a restart policy (Podman 4.3). */
  private restartPolicyUpdate: "unknown" | "unsupported" = "unknown";
  private leaveFacts: Promise<LeaveFacts> | undefined;
  private locks: LockStore | undefined;
  private readonly gate = new NetworkGate();
  private readonly stuckLeave: Required<StuckLeaveOptions>;
  /** Set once a leave found the engine deadlocked: every call fails with it from then on. */
  private stuck: EngineStuckError | undefined;
  /** Aborted with `stuck`: ends every call still waiting on the deadlocked engine. */
  private readonly wedged = new AbortController();

  constructor(options: DockerEngineOptions) {
    this.address = options.address;
    this.remote = options.remote ?? false;
    this.docker = new Dockerode(options.dockerOptions);
    this.stackVersion = options.stackVersion ?? STACK_VERSION;
    this.stuckLeave = {
      marginMs: options.stuckLeave?.marginMs ?? DEFAULT_LEAVE_MARGIN_MS,
      probeTimeoutMs: options.stuckLeave?.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      probeIntervalMs: options.stuckLeave?.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS,
      probes: options.stuckLeave?.probes ?? DEFAULT_PROBES,
    };
    // Every dockerode call goes through docker-modem's `dial`: once the engine is known to
    // be deadlocked, calls fail at once instead of hanging, and those already waiting are
    // aborted (their sockets closed), so the command can end and say why.
    // Every call in flight listens on the one signal: no leak, so no listener warning.
    setMaxListeners(0, this.wedged.signal);
    const modem = this.docker.modem;
    const dial = modem.dial.bind(modem);
    modem.dial = (dialOptions, callback) => {
      if (this.stuck !== undefined) {
        callback?.(this.stuck, null);
        return;
      }
      dial(
        { ...dialOptions, abortSignal: dialOptions.abortSignal ?? this.wedged.signal },
        callback,
      );
    };
  }

  /**
   * A client for the engine `env` and `options.context` name, in the Docker CLI's order
   * (`connectEngine`: --context, DOCKER_HOST, DOCKER_CONTEXT, the current context);
   * connects lazily, so an unreachable engine fails on the first call, as `unavailable`.
   */
  static fromEnv(env: DockerEnv, options: EngineFromEnvOptions = {}): DockerEngine {
    const { stackVersion, ...connect } = options;
    return new DockerEngine({
      ...connectEngine(env, connect),
      ...(stackVersion !== undefined && { stackVersion }),
    });
  }

  private fail(err: unknown, context: string): EngineError {
    return this.stuck ?? toEngineError(err, context, this.address);
  }

  private async call<T>(context: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.fail(err, context);
    }
  }

  /**
   * Which engine this is (Docker or Podman) and the API version it speaks, read once from its
   * version reply and kept (a failed read is tried again next time). Create bodies
   * (StartInterval, healthchecks) and the driver's preflight depend on it.
   */
  identity(): Promise<EngineIdentity> {
    if (this.identityRead === undefined) {
      const read = readEngineIdentity(this.docker, this.address);
      this.identityRead = read;
      read.catch(() => {
        if (this.identityRead === read) this.identityRead = undefined;
      });
    }
    return this.identityRead;
  }

  /** The engine's version and leave rule (cached), read when the first leave needs it. */
  private leaves(): Promise<LeaveFacts> {
    this.leaveFacts ??= this.call(
      "read engine version",
      () => this.docker.version() as Promise<VersionReport>,
    ).then(
      (v) => ({ rule: leaveRuleFor(v), version: v.Version ?? "unknown" }),
      (err: unknown) => {
        this.leaveFacts = undefined;
        throw err;
      },
    );
    return this.leaveFacts;
  }

  async ping(): Promise<EngineInfo> {
    return readEngineInfo(this.docker, this.address, this.identity());
  }

  async observe(stack: string, want?: ObserveWants): Promise<DockerObservedState> {
    const filters = { label: [stackFilter(stack)] };
    const context = `observe stack ${stack}`;
    const [list, networks, volumes] = await Promise.all([
      this.call(
        context,
        () => this.docker.listContainers({ all: true, filters }) as Promise<ContainerListItem[]>,
      ),
      this.call(context, () => this.docker.listNetworks({ filters }) as Promise<NetworkListItem[]>),
      this.call(
        context,
        async () =>
          ((await this.docker.listVolumes({ filters })).Volumes ?? []) as VolumeListItem[],
      ),
    ]);
    const limit = pLimit(OBSERVE_CONCURRENCY);
    // The list endpoint lacks health, restart count, exit code, error and start time: inspect
    // each container. One removed between list and inspect (404) is simply gone.
    const inspected = await Promise.all(
      list.map((item) =>
        limit(async () => {
          const inspect = await this.inspectRaw(item.Id, context);
          return inspect === undefined ? undefined : toObservedContainer(item, inspect);
        }),
      ),
    );
    const exists = (what: string, fn: () => Promise<unknown>) =>
      limit(async () => {
        try {
          await fn();
          return true;
        } catch (err) {
          const e = this.fail(err, `${context}: look up ${what}`);
          if (e.kind === "not-found") return false;
          throw e;
        }
      });
    const present = async (
      names: readonly string[] | undefined,
      what: string,
      fn: (n: string) => Promise<unknown>,
    ) => {
      const unique = [...new Set(names ?? [])].sort();
      const found = await Promise.all(unique.map((n) => exists(`${what} ${n}`, () => fn(n))));
      return unique.filter((_, i) => found[i]);
    };
    const imageBuildHashes: Record<string, string> = {};
    const imageIds: Record<string, string> = {};
    const [presentImages, externalNetworks, externalVolumes, engineStartedAt] = await Promise.all([
      present(want?.images, "image", async (n) => {
        const image = (await this.docker.getImage(n).inspect()) as {
          Id?: string;
          Config?: { Labels?: Record<string, string> | null };
        };
        const hash = image.Config?.Labels?.[LABELS.buildHash];
        if (hash !== undefined) imageBuildHashes[n] = hash;
        // What the reference resolves to now: replicas created from another ID roll.
        const id = normaliseImageId(image.Id);
        if (id !== undefined) imageIds[n] = id;
      }),
      present(want?.externalNetworks, "network", (n) => this.docker.getNetwork(n).inspect()),
      present(want?.externalVolumes, "volume", (n) => this.docker.getVolume(n).inspect()),
      want?.engineStart === true ? this.engineStartedAt(context) : Promise.resolve(undefined),
    ]);
    const found = inspected.filter((c): c is ObservedContainer => c !== undefined);
    const oneOffs = found.filter((c) => c.role === "run");
    return {
      stack,
      containers: found.filter((c) => c.role !== "run"),
      ...(oneOffs.length > 0 && { oneOffs }),
      networks: networks.map(toObservedNetwork),
      volumes: volumes.map(toObservedVolume),
      presentImages,
      ...(Object.keys(imageBuildHashes).length > 0 && { imageBuildHashes }),
      ...(Object.keys(imageIds).length > 0 && { imageIds }),
      externalNetworks,
      externalVolumes,
      ...(engineStartedAt !== undefined && { engineStartedAt }),
    };
  }

  /**
   * When the engine started: dockerd deletes and creates its default `bridge` network each
   * time it starts (unless live-restore kept containers running), so that network's
   * `Created` is the start (checked on 20.10.24 and 26.1.5: within a second of the process
   * start, and after the restore that stops the containers it finds running). Undefined
   * when there is no such network (Podman, `--bridge=none`).
   */
  private async engineStartedAt(context: string): Promise<string | undefined> {
    try {
      const bridge = (await this.docker.getNetwork("bridge").inspect()) as {
        Created?: string;
        Driver?: string;
      };
      if (bridge.Driver !== "bridge" || bridge.Created === undefined) return undefined;
      const t = Date.parse(bridge.Created);
      return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
    } catch (err) {
      const e = this.fail(err, `${context}: read when the engine started`);
      if (e.kind === "not-found") return undefined;
      throw e;
    }
  }

  async listStacks(): Promise<readonly StackSummary[]> {
    const filters = { label: [LABELS.stack] };
    const context = "list stacks";
    const [containers, networks, volumes] = await Promise.all([
      this.call(
        context,
        () => this.docker.listContainers({ all: true, filters }) as Promise<ContainerListItem[]>,
      ),
      this.call(context, () => this.docker.listNetworks({ filters }) as Promise<NetworkListItem[]>),
      this.call(
        context,
        async () =>
          ((await this.docker.listVolumes({ filters })).Volumes ?? []) as VolumeListItem[],
      ),
    ]);
    return summariseStacks(containers, networks, volumes);
  }

  async pullImage(
    image: string,
    onProgress?: (p: PullProgress) => void,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    await pullImage(
      this.docker,
      image,
      onProgress,
      (err, context) => this.fail(err, context),
      options,
    );
  }

  pushImage(
    image: string,
    onProgress?: (p: PullProgress) => void,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<string | undefined> {
    return pushImage(
      this.docker,
      image,
      onProgress,
      (err, context) => this.fail(err, context),
      options,
    );
  }

  async createNetwork(stack: string, network: NetworkSpec, configHash: string): Promise<void> {
    const body = networkCreateBody(stack, network, configHash, this.stackVersion);
    const context = `create network ${network.name}`;
    try {
      await this.docker.createNetwork(body);
    } catch (err) {
      const e = this.fail(err, context);
      if (e.kind !== "conflict") throw e;
      // Left by an interrupted run of this stack: fine. Anything else holding the name is not ours.
      const existing = await this.call(
        context,
        () => this.docker.getNetwork(network.name).inspect() as Promise<NetworkListItem>,
      );
      const labels = existing.Labels ?? {};
      if (labels[LABELS.stack] !== stack || labels[LABELS.network] !== network.key) {
        throw new EngineError(
          "conflict",
          `${context}: a network named ${network.name} already exists and does not belong to stack ${stack}; remove it or declare it external`,
          { statusCode: 409, cause: err },
        );
      }
    }
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.ignoring(["not-found"], `remove network ${idOrName}`, () =>
      this.docker.getNetwork(idOrName).remove(),
    );
  }

  async createVolume(stack: string, volume: VolumeSpec): Promise<void> {
    const context = `create volume ${volume.name}`;
    const body = volumeCreateBody(stack, volume, this.stackVersion);
    // The engine answers 201 with the existing volume when the name is taken (labels unchanged).
    await this.call(context, () => this.docker.createVolume(body));
    const existing = await this.call(
      context,
      () => this.docker.getVolume(volume.name).inspect() as Promise<VolumeListItem>,
    );
    const labels = existing.Labels ?? {};
    if (labels[LABELS.stack] !== stack || labels[LABELS.volume] !== volume.key) {
      throw new EngineError(
        "conflict",
        `${context}: a volume named ${volume.name} already exists and does not belong to stack ${stack}; declare it external to use it`,
        { statusCode: 409 },
      );
    }
  }

  async removeVolume(name: string): Promise<void> {
    await this.ignoring(["not-found"], `remove volume ${name}`, () =>
      this.docker.getVolume(name).remove(),
    );
  }

  async createContainer(request: ContainerRequest): Promise<string> {
    const { apiVersion, kind } = await this.identity();
    const input = { ...request, stackVersion: this.stackVersion, apiVersion, engine: kind };
    const plan =
      request.oneOff === undefined
        ? containerCreatePlan(input)
        : oneOffCreatePlan(input, request.oneOff);
    return this.createWired(`create container ${plan.name}`, plan);
  }

  /**
   * Creates a container from `plan`, connects the networks beyond the first (API < 1.44 takes
   * one network at create; the others are connected before start so the process never runs
   * without them). On any failure the half-made container is removed so it does not hold
   * the name (or a port); the next round creates it again.
   */
  private async createWired(
    context: string,
    plan: {
      readonly name: string;
      readonly body: object;
      readonly connectAfterCreate: readonly {
        readonly network: string;
        readonly endpoint: object;
      }[];
    },
  ): Promise<string> {
    const container = await this.call(context, () =>
      this.docker.createContainer({
        name: plan.name,
        ...plan.body,
      } as Dockerode.ContainerCreateOptions),
    );
    try {
      // Joins are not part of the 20.10 leave deadlock: they never wait for leaves.
      for (const { network, endpoint } of plan.connectAfterCreate) {
        await this.call(`${context}: connect network ${network}`, () =>
          this.docker.getNetwork(network).connect({
            Container: container.id,
            EndpointConfig: endpoint as Dockerode.EndpointSettings,
          }),
        );
      }
    } catch (err) {
      await this.removeContainer(container.id).catch(() => undefined);
      throw err;
    }
    return container.id;
  }

  async createIngressContainer(spec: StackSpec, name: string, configHash: string): Promise<string> {
    const plan = ingressCreatePlan({ spec, name, configHash, stackVersion: this.stackVersion });
    return this.createWired(`create ingress ${name}`, plan);
  }

  async readFile(id: string, path: string): Promise<Buffer | undefined> {
    try {
      const stream = await this.docker.getContainer(id).getArchive({ path });
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
      return firstTarFile(Buffer.concat(chunks));
    } catch {
      // A missing file (404) and an unreadable one read the same to callers: no content.
      return undefined;
    }
  }

  async putArchive(id: string, tar: Buffer): Promise<void> {
    await this.call(`write files into container ${id}`, () =>
      this.docker.getContainer(id).putArchive(tar, { path: "/" }),
    );
  }

  buildImage(
    request: BuildRequest,
    onProgress?: (p: PullProgress) => void,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    return buildImage(this.docker, request, onProgress, (err, c) => this.fail(err, c), options);
  }

  async startContainer(id: string): Promise<void> {
    // A start joins networks: it never waits for leaves (see leave-rule.ts).
    await this.ignoring(["not-modified"], `start container ${id}`, () =>
      this.docker.getContainer(id).start(),
    );
  }

  async stopContainer(
    id: string,
    timeoutMs?: number,
    stack?: string,
    options: StopOptions = {},
  ): Promise<void> {
    const context = `stop container ${id}`;
    const facts = await this.leaves();
    const stop = () =>
      this.ignoring(["not-modified", "not-found"], context, () =>
        this.docker
          .getContainer(id)
          .stop(timeoutMs === undefined ? {} : { t: Math.ceil(timeoutMs / 1000) }),
      );
    if (facts.rule === "free" && stack === undefined) return stop();
    const inspect = await this.inspectForLeave(id, context);
    if (inspect === undefined) return;
    if (stack !== undefined) this.checkOwner(inspect, stack, "stop");
    const target = leaveTargets(inspect);
    if (facts.rule === "free" || !target.up || target.networks.length === 0) return stop();
    if (options.leaving === true && target.detachable) {
      // Going away: leave its networks one network at a time first, so the stop (and the
      // grace period) runs alongside other stops with nothing left to leave at exit.
      for (const network of target.networks) {
        await this.gate.leave([network.id], () =>
          this.watched(
            `disconnecting ${target.name} from network ${network.name}`,
            network,
            0,
            facts,
            () => this.disconnect(network, id),
          ),
        );
      }
      return stop();
    }
    await this.gate.leave(
      target.networks.map((n) => n.id),
      () =>
        this.watched(
          `stopping ${target.name}`,
          target.networks[0]!,
          timeoutMs ?? target.graceMs,
          facts,
          stop,
        ),
    );
  }

  async removeContainer(id: string, stack?: string): Promise<void> {
    const context = `remove container ${id}`;
    const facts = await this.leaves();
    let leave: { networks: readonly AttachedNetwork[]; name: string } | undefined;
    if (stack !== undefined || facts.rule !== "free") {
      const inspect = await this.inspectForLeave(id, context);
      if (inspect === undefined) return;
      if (stack !== undefined) this.checkOwner(inspect, stack, "remove");
      const target = leaveTargets(inspect);
      // A forced removal of a running container is a leave of each of its networks.
      if (facts.rule !== "free" && target.up && target.networks.length > 0) leave = target;
    }
    const remove = async () => {
      try {
        // v: anonymous volumes go with the container; named volumes are never removed by this.
        await this.docker.getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        const e = this.fail(err, context);
        if (e.kind === "not-found") return;
        // "removal of container ... is already in progress": it is going away, as asked.
        if (e.kind === "conflict" && /already in progress/i.test(e.message)) return;
        throw e;
      }
    };
    if (leave === undefined) return remove();
    const networks = leave.networks;
    await this.gate.leave(
      networks.map((n) => n.id),
      () => this.watched(`removing ${leave.name}`, networks[0]!, 0, facts, remove),
    );
  }

  /** Disconnects container `id` from `network` (forced); gone already counts as done. */
  private async disconnect(network: AttachedNetwork, id: string): Promise<void> {
    const context = `disconnect container ${id} from network ${network.name}`;
    try {
      await this.docker.getNetwork(network.id).disconnect({ Container: id, Force: true });
    } catch (err) {
      const e = this.fail(err, context);
      if (e.kind === "not-found") return;
      // Checked on 20.10: a container already off the network answers 500 "is not connected".
      if (/is not connected/i.test(e.message)) return;
      throw e;
    }
  }

  /**
   * Runs the leave `fn` on an engine with the leave deadlock, watching it: when it is still
   * running after `graceMs` plus the margin and the engine answers pings but not an inspect
   * of `network`, the engine is deadlocked: every call of this engine fails from then on
   * with an `EngineStuckError` (not retried) that says to restart dockerd.
   */
  private watched<T>(
    what: string,
    network: AttachedNetwork,
    graceMs: number,
    facts: LeaveFacts,
    fn: () => Promise<T>,
  ): Promise<T> {
    return watchLeave(
      fn(),
      {
        deadlineMs: graceMs + this.stuckLeave.marginMs,
        probeIntervalMs: this.stuckLeave.probeIntervalMs,
        probes: this.stuckLeave.probes,
        probe: () => this.probeNetworks(network),
      },
      () => {
        this.stuck ??= new EngineStuckError(what, this.address, network.name, facts.version);
        this.wedged.abort(this.stuck);
        return this.stuck;
      },
    );
  }

  /** `stuck` when the engine answers a ping within the probe timeout but not an inspect of `network`. */
  private async probeNetworks(network: AttachedNetwork): Promise<ProbeResult> {
    const within = <T>(fn: (signal: AbortSignal) => Promise<T>) =>
      fn(AbortSignal.timeout(this.stuckLeave.probeTimeoutMs)).then(
        () => "answered" as const,
        (err: unknown) =>
          err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")
            ? ("timed out" as const)
            : ("answered" as const),
      );
    const get = (path: string, abortSignal: AbortSignal) =>
      new Promise((resolve, reject) => {
        this.docker.modem.dial(
          {
            path,
            method: "GET",
            abortSignal,
            statusCodes: { 200: true, 404: "not found", 500: "server error" },
          },
          (err, data) => (err ? reject(err) : resolve(data)),
        );
      });
    const ping = await within((abortSignal) => get("/_ping", abortSignal));
    if (ping !== "answered") return "answering";
    const inspect = await within((abortSignal) =>
      get(`/networks/${encodeURIComponent(network.id)}?`, abortSignal),
    );
    return inspect === "timed out" ? "stuck" : "answering";
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.call(`rename container ${id} to ${name}`, () =>
      this.docker.getContainer(id).rename({ name }),
    );
  }

  async inspectContainer(id: string): Promise<ObservedContainer | undefined> {
    const inspect = await this.inspectRaw(id, `inspect container ${id}`);
    if (inspect === undefined) return undefined;
    // Not a replica (no stack.service label) still exists: report it with an empty service.
    return toObservedContainer({ Id: inspect.Id }, inspect, { requireService: false });
  }

  async *logs(
    id: string,
    options: { readonly tail?: number; readonly follow?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<LogLine> {
    const context = `read logs of container ${id}`;
    const inspect = await this.inspectRaw(id, context);
    if (inspect === undefined)
      throw new EngineError("not-found", `${context}: no such container`, { statusCode: 404 });
    const name = (inspect.Name ?? id).replace(/^\//, "");
    const tty = inspect.Config?.Tty === true;
    // No `tail` means all lines (the engine's default).
    const base = {
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
    };
    // The signal goes into the request itself: Podman 4.3 sends no response headers to a
    // follow request until the container writes, so a signal attached to the stream once it
    // arrives would never fire for a silent replica (and `logs -f` would ignore Ctrl-C).
    const signal = abortable(options.signal);
    let raw: unknown;
    try {
      raw = await this.call<unknown>(context, () =>
        options.follow === true
          ? this.docker.getContainer(id).logs({ ...base, ...signal, follow: true })
          : this.docker.getContainer(id).logs({ ...base, ...signal, follow: false }),
      );
    } catch (err) {
      if (options.signal?.aborted === true) return;
      throw err;
    }
    const source: AsyncIterable<Buffer | string> = isReadable(raw)
      ? raw
      : (async function* () {
          yield Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
        })();
    const unsubscribe = isReadable(raw) ? destroyOnAbort(raw, options.signal) : () => {};
    try {
      for await (const { stream, line } of decodeLogStream(source, tty)) {
        if (options.signal?.aborted === true) return;
        const { time, text } = splitTimestamp(line);
        yield time === undefined
          ? { container: name, stream, text }
          : { container: name, stream, text, time };
      }
    } catch (err) {
      if (options.signal?.aborted === true) return;
      throw this.fail(err, context);
    } finally {
      unsubscribe();
      if (isReadable(raw)) (raw as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
  }

  async *events(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent> {
    const context = `watch engine events for stack ${stack}`;
    if (signal.aborted) return;
    // Label filters would drop network and volume events (they carry no labels): filter
    // by type here and by stack in toStackEvent.
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.call(context, () =>
        this.docker.getEvents({
          filters: { type: ["container", "network", "volume"] },
          ...abortable(signal),
        }),
      );
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const unsubscribe = destroyOnAbort(stream, signal);
    try {
      for await (const raw of parseJsonLines(stream as AsyncIterable<Buffer | string>)) {
        if (signal.aborted) return;
        const event = toStackEvent(raw as RawEngineEvent, stack);
        if (event !== undefined) yield withEventDetails(event, raw as RawEventDetails);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw this.fail(err, context);
    } finally {
      unsubscribe();
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
    if (!signal.aborted) {
      throw new EngineError(
        "unavailable",
        `${context}: the engine at ${this.address} closed the event stream`,
      );
    }
  }

  async updateRestartPolicy(id: string, policy: RestartPolicySpec): Promise<void> {
    // Same mapping as at create (container-config.ts); POST /containers/{id}/update applies
    // it to a running container without a restart (checked on dockerd 20.10).
    const RestartPolicy =
      policy.condition === "none"
        ? { Name: "no" }
        : policy.condition === "on-failure"
          ? { Name: "on-failure", MaximumRetryCount: policy.maxAttempts ?? 0 }
          : { Name: "always" };
    const context = `update restart policy of container ${id}`;
    if (this.restartPolicyUpdate === "unsupported") throw this.cannotUpdatePolicy(context);
    try {
      await this.call(context, () => this.docker.getContainer(id).update({ RestartPolicy }));
    } catch (err) {
      // Podman 4.3 has no compat POST /containers/{id}/update: it answers 404 "Not Found"
      // (text/plain) for a container that exists (and libpod's own update endpoint ignores
      // restart policies). A 404 for a container that is gone stays not-found.
      if (
        !isEngineErrorKind(err, "not-found") ||
        (await this.inspectRaw(id, context)) === undefined
      )
        throw err;
      this.restartPolicyUpdate = "unsupported";
      throw this.cannotUpdatePolicy(context, err);
    }
  }

  private cannotUpdatePolicy(context: string, cause?: unknown): EngineError {
    return new EngineError(
      "unsupported",
      `${context}: the engine at ${this.address} cannot change the restart policy of an existing container (POST /containers/{id}/update answers 404)`,
      { statusCode: 404, ...(cause === undefined ? {} : { cause }) },
    );
  }

  lockStore(): LockStore {
    // Through this engine's client: a deadlocked engine fails lock calls at once too.
    this.locks ??= new VolumeLockStore(this.docker, this.address);
    return this.locks;
  }

  async stats(
    id: string,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<ContainerStats> {
    const read = async (): Promise<RawContainerStats> => {
      const raw: unknown = await this.call(`read stats of container ${id}`, () =>
        this.docker.getContainer(id).stats({ stream: false, ...abortable(options.signal) }),
      );
      // Podman answers a stopped container with 200 and an empty body.
      return typeof raw === "object" && raw !== null ? (raw as RawContainerStats) : {};
    };
    const first = await read();
    if (!needsSecondSample(first)) return toContainerStats(first);
    // dockerd samples twice itself; Podman 4.3 answers at once with an empty previous
    // sample, so the CPU share needs a second sample of our own, a second later.
    await sleep(1000, options.signal);
    return pairSamples(first, await read());
  }

  exec(id: string, options: ExecOptions): Promise<number> {
    return execInContainer(this.docker, id, options, (err, context) => this.fail(err, context));
  }

  summary(id: string): Promise<ReplicaSummary> {
    return readReplicaSummary(this.docker, id, (err, context) => this.fail(err, context));
  }

  async runAttached(id: string, options: AttachOptions): Promise<number> {
    const context = `run container ${id}`;
    const container = this.docker.getContainer(id);
    const attachStdin = options.stdin !== undefined;
    // Attached before the start, so no early output is lost.
    const stream = (await this.call(context, () =>
      container.attach({
        stream: true,
        stdin: attachStdin,
        stdout: true,
        stderr: true,
        hijack: attachStdin,
      }),
    )) as NodeJS.ReadableStream;
    const output = joinStreams(this.docker.modem, stream, {
      tty: options.tty,
      ...(options.stdin !== undefined && { stdin: options.stdin }),
      ...(options.stdout !== undefined && { stdout: options.stdout }),
      ...(options.stderr !== undefined && { stderr: options.stderr }),
    });
    output.catch(() => undefined);
    try {
      await this.call(context, () => container.start());
    } catch (err) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      const e = err instanceof EngineError ? err : this.fail(err, context);
      // The engine refuses to start a command it cannot find or execute (400/500 from the
      // runtime); `docker run` exits 127 and 126 for these.
      if (/executable file not found|no such file or directory/i.test(e.message)) {
        options.stderr?.write(`${e.message}\n`);
        return 127;
      }
      if (/permission denied/i.test(e.message)) {
        options.stderr?.write(`${e.message}\n`);
        return 126;
      }
      throw e;
    }
    const stopResizing = options.tty
      ? followTerminalSize(options.terminal, (size) => container.resize(size))
      : () => {};
    const stop = () => {
      container.stop().catch(() => undefined);
    };
    options.signal?.addEventListener("abort", stop, { once: true });
    try {
      const code = await this.waitContainer(id);
      // The output stream ends right after the process; take what is left of it. The timer
      // is cleared: left running it kept the process alive 2 s after a pre_start hook.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([output, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      return code;
    } finally {
      stopResizing();
      options.signal?.removeEventListener("abort", stop);
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
  }

  async restartContainer(id: string, timeoutMs?: number): Promise<void> {
    const options = timeoutMs === undefined ? {} : { t: Math.ceil(timeoutMs / 1000) };
    await this.call(`restart container ${id}`, () => this.docker.getContainer(id).restart(options));
  }

  async killContainer(id: string, signal: string): Promise<void> {
    await this.call(`kill container ${id} with ${signal}`, () =>
      this.docker.getContainer(id).kill({ signal }),
    );
  }

  async pauseContainer(id: string): Promise<void> {
    await this.call(`pause container ${id}`, () => this.docker.getContainer(id).pause());
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.call(`unpause container ${id}`, () => this.docker.getContainer(id).unpause());
  }

  async top(id: string): Promise<ProcessList> {
    const raw = (await this.call(`list processes of container ${id}`, () =>
      this.docker.getContainer(id).top({ ps_args: "-ef" }),
    )) as { Titles?: string[] | null; Processes?: string[][] | null };
    return { titles: raw.Titles ?? [], processes: raw.Processes ?? [] };
  }

  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    // `not-running` answers at once for a container that already exited (dockerd 20.10).
    const result = (await this.call(`wait for container ${id}`, () =>
      this.docker
        .getContainer(id)
        .wait({ condition: "not-running", ...(signal !== undefined && { abortSignal: signal }) }),
    )) as { StatusCode?: number };
    return result.StatusCode ?? 0;
  }

  async imageInfo(reference: string): Promise<ImageInfo | undefined> {
    try {
      const image = (await this.docker.getImage(reference).inspect()) as {
        Id: string;
        Size?: number;
        Metadata?: { LastTagTime?: string };
      };
      const tagged = image.Metadata?.LastTagTime;
      // The zero time (`0001-01-01T00:00:00Z`) means never tagged.
      const lastTagTime = tagged !== undefined && !tagged.startsWith("0001-") ? tagged : undefined;
      return {
        id: image.Id,
        sizeBytes: image.Size ?? 0,
        ...(lastTagTime !== undefined && { lastTagTime }),
      };
    } catch (err) {
      const e = this.fail(err, `inspect image ${reference}`);
      if (e.kind === "not-found") return undefined;
      throw e;
    }
  }

  async containerLabels(id: string): Promise<Readonly<Record<string, string>> | undefined> {
    const inspect = await this.inspectRaw(id, `inspect container ${id}`);
    if (inspect === undefined) return undefined;
    return inspect.Config?.Labels ?? {};
  }

  /**
   * Checks the `stack.name` label of an inspected container before a stop or remove: throws
   * `invalid` when it belongs to another stack or to none, so a stack never touches
   * containers it does not own (say one that took a replica's name by hand).
   */
  private checkOwner(inspect: LeaveInspectItem, stack: string, action: string): void {
    const owner = inspect.Config?.Labels?.[LABELS.stack];
    if (owner === stack) return;
    const name = (inspect.Name ?? inspect.Id).replace(/^\//, "");
    throw new EngineError(
      "invalid",
      `refusing to ${action} container ${name}: it ${owner === undefined ? "is not managed by stack" : `belongs to stack ${owner}`}, not to stack ${stack}`,
    );
  }

  /** Inspect with the fields a stop or removal needs; 404 as undefined. */
  private async inspectForLeave(
    id: string,
    context: string,
  ): Promise<LeaveInspectItem | undefined> {
    return (await this.inspectRaw(id, context)) as LeaveInspectItem | undefined;
  }

  /** Inspect, with 404 as undefined. */
  private async inspectRaw(id: string, context: string): Promise<ContainerInspectItem | undefined> {
    try {
      return (await this.docker.getContainer(id).inspect()) as ContainerInspectItem;
    } catch (err) {
      const e = this.fail(err, context);
      if (e.kind === "not-found") return undefined;
      throw e;
    }
  }

  private async ignoring(
    kinds: readonly EngineError["kind"][],
    context: string,
    fn: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const e = this.fail(err, context);
      if (isEngineErrorKind(e, ...kinds)) return;
      throw e;
    }
  }
}
