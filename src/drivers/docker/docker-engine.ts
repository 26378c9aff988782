import Dockerode from "dockerode";
import { readEngineInfo } from "../docker-api/engine-info.js";
import { AttachmentGate } from "./attachment-gate.js";
import pLimit from "p-limit";
import { EngineError } from "../../core/errors.js";
import { stackFilter, LABELS } from "../docker-api/labels.js";
import type {
  ContainerStats,
  EngineEvent,
  EngineInfo,
  LogLine,
  PullProgress,
  StackSummary,
} from "../../core/driver.js";
import type { ObservedContainer } from "../../core/replica.js";
import type { BuildRequest, ContainerEngine, ContainerRequest } from "./container-engine.js";
import type { DockerObservedState, ObserveWants } from "./observed-state.js";
import type { NetworkSpec, RestartPolicySpec, StackSpec, VolumeSpec } from "../../model/types.js";
import { buildQuery } from "./build-options.js";
import { contextFiles } from "../../stackfile/build-context.js";
import { ingressCreatePlan } from "./ingress-config.js";
import { isEngineErrorKind, toEngineError, engineMessage } from "../docker-api/classify-error.js";
import type { DockerEnv } from "../docker-api/connection.js";
import { connectEngine } from "../docker-api/engine-connection.js";
import type { EngineFromEnvOptions } from "../docker-api/engine-connection.js";
import { containerCreatePlan } from "./container-config.js";
import { firstTarFile } from "./secret-files.js";
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
import { STACK_VERSION } from "../docker-api/stack-version.js";
import { toContainerStats } from "./stats.js";
import type { RawContainerStats } from "./stats.js";

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
}

interface BuildMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

interface PullMessage {
  readonly id?: string;
  readonly status?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

function isReadable(
  value: unknown,
): value is NodeJS.ReadableStream & AsyncIterable<Buffer | string> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
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
 */
export class DockerEngine implements ContainerEngine {
  readonly address: string;
  readonly remote: boolean;
  private readonly docker: Dockerode;
  private readonly stackVersion: string;
  private apiVersion: Promise<string> | undefined;
  private readonly gate = new AttachmentGate();

  constructor(options: DockerEngineOptions) {
    this.address = options.address;
    this.remote = options.remote ?? false;
    this.docker = new Dockerode(options.dockerOptions);
    this.stackVersion = options.stackVersion ?? STACK_VERSION;
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
    return toEngineError(err, context, this.address);
  }

  private async call<T>(context: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.fail(err, context);
    }
  }

  /** The engine's API version (cached); StartInterval and similar depend on it. */
  private engineApiVersion(): Promise<string> {
    this.apiVersion ??= this.call("read engine version", () => this.docker.version()).then(
      (v) => v.ApiVersion,
      (err: unknown) => {
        this.apiVersion = undefined;
        throw err;
      },
    );
    return this.apiVersion;
  }

  async ping(): Promise<EngineInfo> {
    return readEngineInfo(this.docker, this.address);
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
    const [presentImages, externalNetworks, externalVolumes] = await Promise.all([
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
    ]);
    return {
      stack,
      containers: inspected.filter((c): c is ObservedContainer => c !== undefined),
      networks: networks.map(toObservedNetwork),
      volumes: volumes.map(toObservedVolume),
      presentImages,
      ...(Object.keys(imageBuildHashes).length > 0 && { imageBuildHashes }),
      ...(Object.keys(imageIds).length > 0 && { imageIds }),
      externalNetworks,
      externalVolumes,
    };
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

  async pullImage(image: string, onProgress?: (p: PullProgress) => void): Promise<void> {
    const context = `pull image ${image}`;
    const layers = new Map<string, { current: number; total: number }>();
    const report = (message: PullMessage): void => {
      if (onProgress === undefined || message.status === undefined) return;
      const detail = message.progressDetail;
      if (message.id !== undefined && detail?.total !== undefined && detail.total > 0) {
        layers.set(message.id, { current: detail.current ?? 0, total: detail.total });
      }
      let current = 0;
      let total = 0;
      for (const l of layers.values()) {
        current += l.current;
        total += l.total;
      }
      onProgress(
        total > 0
          ? { image, status: message.status, currentBytes: current, totalBytes: total }
          : { image, status: message.status },
      );
    };
    let failure: string | undefined;
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (message: PullMessage) => {
            // A failed pull still answers 200; the failure arrives as an `error` message.
            if (message.error !== undefined)
              failure ??= message.errorDetail?.message ?? message.error;
            else report(message);
          },
        );
      });
    } catch (err) {
      throw pullError(
        image,
        engineMessage(err) ?? (err instanceof Error ? err.message : String(err)),
        this.fail(err, context),
      );
    }
    if (failure !== undefined) throw pullError(image, failure, undefined);
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
    const apiVersion = await this.engineApiVersion();
    const plan = containerCreatePlan({ ...request, stackVersion: this.stackVersion, apiVersion });
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
      for (const { network, endpoint } of plan.connectAfterCreate) {
        await this.gate.join(() =>
          this.call(`${context}: connect network ${network}`, () =>
            this.docker.getNetwork(network).connect({
              Container: container.id,
              EndpointConfig: endpoint as Dockerode.EndpointSettings,
            }),
          ),
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

  async buildImage(request: BuildRequest, onProgress?: (p: PullProgress) => void): Promise<void> {
    const { build, image } = request;
    const context = `build image ${image}`;
    const files = await this.call(context, () => contextFiles(build.context, build.dockerfile));
    let failure: string | undefined;
    try {
      const stream = await this.docker.buildImage(
        { context: build.context, src: files },
        // Several tags go as repeated `t=` parameters (docker-modem sends a list that way);
        // dockerode's type allows one.
        buildQuery(image, build, {
          ...build.labels,
          [LABELS.buildHash]: request.buildHash,
        }) as unknown as Dockerode.ImageBuildOptions,
      );
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (message: BuildMessage) => {
            // Like a pull, a failed build still answers 200 and reports in-stream.
            if (message.error !== undefined) {
              failure ??= message.errorDetail?.message ?? message.error;
              return;
            }
            for (const line of (message.stream ?? message.status ?? "").split("\n")) {
              if (line.trim() !== "") onProgress?.({ image, status: line.trimEnd() });
            }
          },
        );
      });
    } catch (err) {
      throw this.fail(err, context);
    }
    if (failure !== undefined)
      throw new EngineError("invalid", `${context} from ${build.context}: ${failure}`);
  }

  async startContainer(id: string): Promise<void> {
    await this.gate.join(() =>
      this.ignoring(["not-modified"], `start container ${id}`, () =>
        this.docker.getContainer(id).start(),
      ),
    );
  }

  async stopContainer(id: string, timeoutMs?: number, stack?: string): Promise<void> {
    if (stack !== undefined && !(await this.ownedBy(id, stack, "stop"))) return;
    const options = timeoutMs === undefined ? {} : { t: Math.ceil(timeoutMs / 1000) };
    await this.gate.leave(() =>
      this.ignoring(["not-modified", "not-found"], `stop container ${id}`, () =>
        this.docker.getContainer(id).stop(options),
      ),
    );
  }

  async removeContainer(id: string, stack?: string): Promise<void> {
    const context = `remove container ${id}`;
    if (stack !== undefined && !(await this.ownedBy(id, stack, "remove"))) return;
    try {
      // v: anonymous volumes go with the container; named volumes are never removed by this.
      await this.gate.leave(() => this.docker.getContainer(id).remove({ force: true, v: true }));
    } catch (err) {
      const e = this.fail(err, context);
      if (e.kind === "not-found") return;
      // "removal of container ... is already in progress": it is going away, as asked.
      if (e.kind === "conflict" && /already in progress/i.test(e.message)) return;
      throw e;
    }
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
    const raw: unknown = await this.call<unknown>(context, () =>
      options.follow === true
        ? this.docker.getContainer(id).logs({ ...base, follow: true })
        : this.docker.getContainer(id).logs({ ...base, follow: false }),
    );
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
    const stream = await this.call(context, () =>
      this.docker.getEvents({ filters: { type: ["container", "network", "volume"] } }),
    );
    const unsubscribe = destroyOnAbort(stream, signal);
    try {
      for await (const raw of parseJsonLines(stream as AsyncIterable<Buffer | string>)) {
        if (signal.aborted) return;
        const event = toStackEvent(raw as RawEngineEvent, stack);
        if (event !== undefined) yield event;
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
    await this.call(`update restart policy of container ${id}`, () =>
      this.docker.getContainer(id).update({ RestartPolicy }),
    );
  }

  async stats(id: string): Promise<ContainerStats> {
    const raw = await this.call(
      `read stats of container ${id}`,
      () => this.docker.getContainer(id).stats({ stream: false }) as Promise<RawContainerStats>,
    );
    return toContainerStats(raw);
  }

  /**
   * Checks the `stack.name` label of container `id` before a stop or remove: true when it is
   * `stack`'s, false when the container is already gone (nothing to do), and throws
   * `invalid` when it belongs to another stack or to none, so a stack never touches
   * containers it does not own (say one that took a replica's name by hand).
   */
  private async ownedBy(id: string, stack: string, action: string): Promise<boolean> {
    const inspect = await this.inspectRaw(id, `${action} container ${id}`);
    if (inspect === undefined) return false;
    const owner = inspect.Config?.Labels?.[LABELS.stack];
    if (owner === stack) return true;
    const name = (inspect.Name ?? id).replace(/^\//, "");
    throw new EngineError(
      "invalid",
      `refusing to ${action} container ${name}: it ${owner === undefined ? "is not managed by stack" : `belongs to stack ${owner}`}, not to stack ${stack}`,
    );
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

/**
 * A pull failure naming the image: registry refusals (denied, unknown repository or tag) are
 * `not-found` and not retried; anything else (registry unreachable, engine error) keeps the
 * classification of `classified`, or `server` (retryable) when the failure came in-stream.
 */
function pullError(
  image: string,
  detail: string,
  classified: EngineError | undefined,
): EngineError {
  if (classified?.kind === "unavailable") return classified;
  const options =
    classified?.statusCode !== undefined
      ? { statusCode: classified.statusCode, cause: classified }
      : {};
  if (
    /pull access denied|manifest unknown|not found|repository does not exist|unauthorized|denied/i.test(
      detail,
    )
  ) {
    return new EngineError(
      "not-found",
      `cannot pull image ${image}: ${detail} (check the image name and tag, and log in with docker login if the registry is private)`,
      options,
    );
  }
  if (
    /dial tcp|no such host|i\/o timeout|TLS handshake|connection refused|network is unreachable/i.test(
      detail,
    )
  ) {
    return new EngineError(
      "server",
      `cannot pull image ${image}: the registry cannot be reached (${detail})`,
      options,
    );
  }
  return new EngineError(
    classified?.kind ?? "server",
    `cannot pull image ${image}: ${detail}`,
    options,
  );
}
