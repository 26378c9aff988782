// An in-memory Engine for apply tests: containers, networks, volumes and images live in maps,
// writes are recorded in `calls` (by container name, so tests read like engine transcripts),
// and faults can be injected per method. Container life is driven by "reads": every
// inspectContainer of a container and every observe advances the containers it reports by
// one, so a behaviour like "healthy after 2 reads" is deterministic without wall-clock time.
import type {
  ContainerStats,
  EngineEvent,
  EngineInfo,
  EngineKind,
  ExecOptions,
  LogLine,
  PullProgress,
  StackSummary,
  ReplicaSummary,
} from "../../../../../src/core/driver.js";
import { replicaSummary } from "../../../../../src/drivers/docker-api/replica-summary.js";
import { EngineError } from "../../../../../src/core/errors.js";
import type {
  ContainerState,
  HealthState,
  ObservedContainer,
} from "../../../../../src/core/replica.js";
import type {
  AttachOptions,
  BuildRequest,
  ContainerEngine,
  ContainerRequest,
} from "../../../../../src/drivers/docker/container-engine.js";
import type { DockerObservedState } from "../../../../../src/drivers/docker/observed-state.js";
import type { EngineIdentity } from "../../../../../src/drivers/docker-api/engine-info.js";
import {
  DOCKER_OPERATIONS,
  type DockerDraft,
  type DockerOperation,
} from "../../../../../src/drivers/docker/operations.js";
import type { ProgressEvent, ProgressSink } from "../../../../../src/progress/events.js";
import type {
  DependencyCondition,
  NetworkSpec,
  RestartPolicySpec,
  StackSpec,
  VolumeSpec,
} from "../../../../../src/model/types.js";
import type { Plan } from "../../../../../src/core/operation.js";
import type { RunContext } from "../../../../../src/core/driver.js";
import {
  executePlan,
  type ExecuteContext,
  type ExecuteResult,
} from "../../../../../src/core/execute-plan.js";
import { dockerRunner } from "../../../../../src/drivers/docker/run-operation.js";
import { containerName } from "../../../../../src/model/naming.js";
import { MemoryLockStore } from "../../docker-api/helpers/memory-lock-store.js";

/** How a container created by the executor behaves once started. */
export interface Behavior {
  /** The process exits with this code after `exitAfterReads` reads (default: at the first read). */
  readonly exitCode?: number;
  readonly exitAfterReads?: number;
  /**
   * Health when the container has a healthcheck: "healthy" (default) after
   * `healthyAfterReads` reads, "unhealthy" after that many reads, "never" stays starting.
   * Setting it gives the container a healthcheck even when its service has none.
   */
  readonly health?: "healthy" | "unhealthy" | "never";
  readonly healthyAfterReads?: number;
  readonly logs?: readonly string[];
  /** startContainer rejects with this error. */
  readonly startError?: EngineError;
}

interface FakeContainer {
  id: string;
  name: string;
  stack: string;
  service: string;
  slot: number;
  configHash: string;
  image: string;
  /** The image ID the reference resolved to at create time. */
  imageId?: string;
  state: ContainerState;
  exitCode?: number;
  hasHealth: boolean;
  health?: HealthState;
  reads: number;
  restartCount: number;
  createdAt: string;
  startedAt?: string;
  error?: string;
  behavior: Behavior;
  /** The command of a one-off container (`oneOff.cmd`). */
  cmd?: readonly string[];
}

/** What a command run by exec or in a one-off container does (see `FakeEngine.commands`). */
export interface CommandResult {
  readonly exitCode?: number;
  /** Lines it prints (on stdout). */
  readonly output?: readonly string[];
  /** Never ends. */
  readonly hang?: boolean;
}

interface Fault {
  readonly method: string;
  readonly error: () => Error;
  remaining: number;
  readonly match?: (arg: string) => boolean;
}

const seededHealth = { healthy: "healthy", unhealthy: "unhealthy", starting: "never" } as const;

export const retryable = (message = "engine hiccup") =>
  new EngineError("server", message, { statusCode: 500 });
export const reset = () =>
  new EngineError("unavailable", "connect ECONNRESET /var/run/docker.sock");
export const invalid = (message = "bad parameter") =>
  new EngineError("invalid", message, { statusCode: 400 });

/** In-memory `ContainerEngine` with fault injection; see the file comment. */
export class FakeEngine implements ContainerEngine {
  readonly address = "fake://engine";
  /** The engine this fake pretends to be (its `identity`). */
  kind: EngineKind = "docker";
  /** Writes in order, e.g. `create demo_web.1`, `stop demo_web.1`, `rename demo_web.1.abc -> demo_web.1`. */
  readonly calls: string[] = [];
  /** Attempts per method, including failed ones. */
  readonly attempts = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  /** Milliseconds a stop of a running container waits (its grace period running out). */
  stopDelayMs = 0;
  /** Stops waiting now, and the most at once. */
  stopping = 0;
  maxStopping = 0;
  /** Milliseconds every write takes, to make concurrency observable. */
  latencyMs = 0;
  observeCount = 0;

  private readonly containers = new Map<string, FakeContainer>();
  private readonly networks = new Map<
    string,
    { id: string; name: string; key: string; configHash: string; stack: string }
  >();
  private readonly volumes = new Map<string, { name: string; key: string; stack: string }>();
  /** Image references by name: their current ID and build-hash label. */
  private readonly images = new Map<string, { id: string; buildHash?: string }>();
  private imageSerial = 0;
  private readonly behaviors = new Map<string, Behavior>();
  private readonly faults: Fault[] = [];
  private nextId = 1;
  private clock = 0;

  /** When the fake engine "started", reported to observations that ask. */
  engineStartedAt?: string;

  /** Stack locks of this fake engine. */
  readonly locks = new MemoryLockStore();

  lockStore(): MemoryLockStore {
    return this.locks;
  }

  /** Called at the start of every write, before its latency (e.g. to abort mid-call). */
  beforeWrite?: (method: string, arg: string) => void;

  /** Containers created from now on under this exact name, or else of this service, behave like `b`. */
  behave(nameOrService: string, b: Behavior): this {
    this.behaviors.set(nameOrService, b);
    return this;
  }

  /** The next `times` calls of `method` (whose first argument matches) throw `error()`. */
  fail(
    method: keyof ContainerEngine & string,
    error: () => Error,
    times = 1,
    match?: (arg: string) => boolean,
  ): this {
    this.faults.push({
      method,
      error,
      remaining: times,
      ...(match === undefined ? {} : { match }),
    });
    return this;
  }

  addImage(image: string): this {
    this.images.set(image, { id: this.newImageId() });
    return this;
  }

  /** Points `image` at a new image ID, as a `docker build`, pull or tag outside stack would. */
  moveTag(image: string): string {
    const id = this.newImageId();
    this.images.set(image, { id });
    return id;
  }

  /** The ID `image` resolves to now, if present. */
  imageIdOf(image: string): string | undefined {
    return this.images.get(image)?.id;
  }

  private newImageId(): string {
    this.imageSerial += 1;
    return `sha256:${this.imageSerial.toString(16).padStart(64, "0")}`;
  }

  /** Seeds an existing container (running unless `state` says otherwise). */
  seed(c: {
    stack: string;
    name: string;
    service: string;
    slot: number;
    configHash: string;
    state?: ContainerState;
    exitCode?: number;
    health?: HealthState;
    id?: string;
    restartCount?: number;
    startedAt?: string;
    error?: string;
    behavior?: Behavior;
  }): string {
    const id = c.id ?? `c${this.nextId++}`;
    this.containers.set(id, {
      id,
      name: c.name,
      stack: c.stack,
      service: c.service,
      slot: c.slot,
      configHash: c.configHash,
      image: `${c.service}:old`,
      state: c.state ?? "running",
      ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
      hasHealth: c.health !== undefined || c.behavior?.health !== undefined,
      ...(c.health === undefined ? {} : { health: c.health }),
      reads: 0,
      restartCount: c.restartCount ?? 0,
      createdAt: this.timestamp(),
      ...(c.startedAt === undefined ? {} : { startedAt: c.startedAt }),
      ...(c.error === undefined ? {} : { error: c.error }),
      // A seeded health stays as given unless a behaviour says how it evolves.
      behavior:
        c.health === undefined || c.behavior?.health !== undefined
          ? (c.behavior ?? {})
          : { ...c.behavior, health: seededHealth[c.health], healthyAfterReads: 0 },
    });
    return id;
  }

  /** The current view of every container, sorted by name. */
  list(): ObservedContainer[] {
    return [...this.containers.values()]
      .map((c) => this.view(c))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  byName(name: string): ObservedContainer | undefined {
    return this.list().find((c) => c.name === name);
  }

  /** Changes a container's state from the outside (a crash, a healthcheck flip). */
  mutate(
    name: string,
    patch: {
      state?: ContainerState;
      exitCode?: number;
      health?: HealthState;
      restartCount?: number;
    },
  ): void {
    const c = [...this.containers.values()].find((x) => x.name === name);
    if (c === undefined) throw new Error(`no container ${name}`);
    if (patch.restartCount !== undefined) c.restartCount = patch.restartCount;
    if (patch.state !== undefined) c.state = patch.state;
    if (patch.exitCode !== undefined) c.exitCode = patch.exitCode;
    if (patch.health !== undefined) {
      c.health = patch.health;
      c.hasHealth = true;
      c.behavior = {
        ...c.behavior,
        health: patch.health === "unhealthy" ? "unhealthy" : "healthy",
        healthyAfterReads: 0,
      };
    }
  }

  networkNames(): string[] {
    return [...this.networks.values()].map((n) => n.name).sort();
  }

  volumeNames(): string[] {
    return [...this.volumes.keys()].sort();
  }

  private timestamp(): string {
    this.clock += 1;
    return new Date(Date.UTC(2024, 0, 1, 0, 0, this.clock)).toISOString();
  }

  private async enter(method: string, arg: string, write: boolean): Promise<void> {
    this.attempts.set(method, (this.attempts.get(method) ?? 0) + 1);
    const fault = this.faults.find(
      (f) => f.method === method && f.remaining > 0 && (f.match === undefined || f.match(arg)),
    );
    if (write) {
      this.beforeWrite?.(method, arg);
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        await new Promise((r) => setTimeout(r, this.latencyMs));
      } finally {
        this.inFlight -= 1;
      }
    }
    if (fault !== undefined) {
      fault.remaining -= 1;
      throw fault.error();
    }
  }

  private find(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (c === undefined)
      throw new EngineError("not-found", `No such container: ${id}`, { statusCode: 404 });
    return c;
  }

  /** Advances a container by one read and applies its behaviour. */
  private advance(c: FakeContainer): void {
    if (c.state !== "running") return;
    c.reads += 1;
    const b = c.behavior;
    if (b.exitCode !== undefined && c.reads > (b.exitAfterReads ?? 0)) {
      c.state = "exited";
      c.exitCode = b.exitCode;
      return;
    }
    if (c.hasHealth) {
      const after = b.healthyAfterReads ?? 1;
      if (b.health === "never") c.health = "starting";
      else if (c.reads > after) c.health = b.health === "unhealthy" ? "unhealthy" : "healthy";
      else c.health = "starting";
    }
  }

  private view(c: FakeContainer): ObservedContainer {
    return {
      id: c.id,
      name: c.name,
      service: c.service,
      slot: c.slot,
      configHash: c.configHash,
      image: c.image,
      ...(c.imageId !== undefined && { imageId: c.imageId }),
      state: c.state,
      ...(c.hasHealth && c.health !== undefined && c.state === "running"
        ? { health: c.health }
        : {}),
      ...(c.exitCode === undefined || c.state === "running" ? {} : { exitCode: c.exitCode }),
      createdAt: c.createdAt,
      ...(c.startedAt === undefined ? {} : { startedAt: c.startedAt }),
      ...(c.error === undefined ? {} : { error: c.error }),
      restartCount: c.restartCount,
      ports: [],
    };
  }

  async identity(): Promise<EngineIdentity> {
    return { kind: this.kind, version: "fake", apiVersion: "1.41", product: `${this.kind} fake` };
  }

  async ping(): Promise<EngineInfo> {
    return {
      address: this.address,
      serverVersion: "fake",
      apiVersion: "1.41",
      swarmManager: false,
    };
  }

  async observe(
    stack: string,
    want?: {
      readonly images?: readonly string[];
      readonly externalNetworks?: readonly string[];
      readonly externalVolumes?: readonly string[];
      readonly engineStart?: boolean;
    },
  ): Promise<DockerObservedState> {
    this.observeCount += 1;
    await this.enter("observe", stack, false);
    const mine = [...this.containers.values()].filter((c) => c.stack === stack);
    for (const c of mine) this.advance(c);
    return {
      stack,
      containers: mine.map((c) => this.view(c)),
      networks: [...this.networks.values()]
        .filter((n) => n.stack === stack)
        .map(({ id, name, key, configHash }) => ({ id, name, key, configHash })),
      volumes: [...this.volumes.values()]
        .filter((v) => v.stack === stack)
        .map(({ name, key }) => ({ name, key })),
      presentImages: (want?.images ?? []).filter((i) => this.images.has(i)),
      imageIds: Object.fromEntries(
        (want?.images ?? []).flatMap((i) => {
          const found = this.images.get(i);
          return found === undefined ? [] : [[i, found.id]];
        }),
      ),
      imageBuildHashes: Object.fromEntries(
        (want?.images ?? []).flatMap((i) => {
          const hash = this.images.get(i)?.buildHash;
          return hash === undefined ? [] : [[i, hash]];
        }),
      ),
      externalNetworks: (want?.externalNetworks ?? []).filter((n) =>
        this.networkNames().includes(n),
      ),
      externalVolumes: (want?.externalVolumes ?? []).filter((v) => this.volumes.has(v)),
      ...(want?.engineStart === true &&
        this.engineStartedAt !== undefined && { engineStartedAt: this.engineStartedAt }),
    };
  }

  async listStacks(): Promise<readonly StackSummary[]> {
    return [];
  }

  async pullImage(image: string, onProgress?: (p: PullProgress) => void): Promise<void> {
    await this.enter("pullImage", image, true);
    this.calls.push(`pull ${image}`);
    onProgress?.({ image, status: "Downloading", currentBytes: 5, totalBytes: 10 });
    onProgress?.({ image, status: "Pull complete" });
    if (!this.images.has(image)) this.images.set(image, { id: this.newImageId() });
  }

  async pushImage(image: string): Promise<string | undefined> {
    await this.enter("pushImage", image, true);
    this.calls.push(`push ${image}`);
    return undefined;
  }

  async createNetwork(stack: string, network: NetworkSpec, configHash: string): Promise<void> {
    await this.enter("createNetwork", network.name, true);
    this.calls.push(`create network ${network.name}`);
    const id = `n${this.nextId++}`;
    this.networks.set(id, { id, name: network.name, key: network.key, configHash, stack });
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.enter("removeNetwork", idOrName, true);
    const n = [...this.networks.values()].find((x) => x.id === idOrName || x.name === idOrName);
    this.calls.push(`remove network ${n?.name ?? idOrName}`);
    if (n !== undefined) this.networks.delete(n.id);
  }

  async createVolume(stack: string, volume: VolumeSpec): Promise<void> {
    await this.enter("createVolume", volume.name, true);
    this.calls.push(`create volume ${volume.name}`);
    this.volumes.set(volume.name, { name: volume.name, key: volume.key, stack });
  }

  async removeVolume(name: string): Promise<void> {
    await this.enter("removeVolume", name, true);
    this.calls.push(`remove volume ${name}`);
    this.volumes.delete(name);
  }

  async createContainer(request: ContainerRequest): Promise<string> {
    await this.enter("createContainer", request.name, true);
    this.calls.push(`create ${request.name}`);
    if ([...this.containers.values()].some((c) => c.name === request.name)) {
      throw new EngineError(
        "conflict",
        `Conflict. The container name "/${request.name}" is already in use`,
        {
          statusCode: 409,
        },
      );
    }
    const behavior =
      this.behaviors.get(request.name) ?? this.behaviors.get(request.service.name) ?? {};
    const hc = request.service.healthcheck;
    const hasHealth = behavior.health !== undefined || (hc !== undefined && !("disable" in hc));
    const id = `c${this.nextId++}`;
    this.containers.set(id, {
      id,
      name: request.name,
      stack: request.spec.name,
      service: request.service.name,
      slot: request.slot,
      configHash: request.configHash,
      image: request.service.image,
      ...(this.images.has(request.service.image) && {
        imageId: this.images.get(request.service.image)!.id,
      }),
      state: "created",
      hasHealth,
      reads: 0,
      restartCount: 0,
      createdAt: this.timestamp(),
      behavior,
      ...(request.oneOff?.cmd !== undefined && { cmd: request.oneOff.cmd }),
    });
    if (request.oneOff !== undefined) this.oneOffRequests.push(request);
    return id;
  }

  /** The create requests of one-off containers, in order. */
  readonly oneOffRequests: ContainerRequest[] = [];

  async buildImage(request: BuildRequest, onProgress?: (p: PullProgress) => void): Promise<void> {
    await this.enter("buildImage", request.image, true);
    this.calls.push(`build ${request.image}`);
    onProgress?.({ image: request.image, status: "Step 1/1 : FROM scratch" });
    // Like a cached build: the same build hash gives the same image ID, another one a new ID.
    const hex = [...`${request.image}@${request.buildHash}`]
      .reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7)
      .toString(16);
    this.images.set(request.image, {
      id: `sha256:${hex.padStart(64, "f")}`,
      buildHash: request.buildHash,
    });
  }

  async createIngressContainer(spec: StackSpec, name: string, configHash: string): Promise<string> {
    await this.enter("createIngressContainer", name, true);
    this.calls.push(`create ingress ${name}`);
    const id = `c${this.nextId++}`;
    this.containers.set(id, {
      id,
      name,
      stack: spec.name,
      service: "ingress",
      slot: 0,
      configHash,
      image: "haproxy",
      state: "created",
      hasHealth: false,
      reads: 0,
      restartCount: 0,
      createdAt: this.timestamp(),
      behavior: {},
    });
    return id;
  }

  /** Files written with `putArchive`, by container id. */
  readonly archives = new Map<string, Buffer[]>();

  async readFile(_id: string, _path: string): Promise<Buffer | undefined> {
    return undefined;
  }

  async putArchive(id: string, tar: Buffer): Promise<void> {
    await this.enter("putArchive", this.containers.get(id)?.name ?? id, true);
    this.archives.set(id, [...(this.archives.get(id) ?? []), tar]);
  }

  async updateRestartPolicy(id: string, policy: RestartPolicySpec): Promise<void> {
    const name = this.containers.get(id)?.name ?? id;
    await this.enter("updateRestartPolicy", name, true);
    this.calls.push(`restart-policy ${name} ${policy.condition}`);
  }

  async stats(_id: string): Promise<ContainerStats> {
    return { cpuPercent: 0, memoryBytes: 0 };
  }

  /**
   * What commands do when run by `exec` or in a one-off container (`runAttached`), by the
   * command joined with spaces; unknown commands exit 0 and print nothing.
   */
  readonly commands = new Map<string, CommandResult>();
  /** The options of every exec, in order, with the container's name. */
  readonly execs: { readonly container: string; readonly options: ExecOptions }[] = [];

  private async command(
    cmd: readonly string[],
    stdout: NodeJS.WritableStream | undefined,
  ): Promise<number> {
    const result = this.commands.get(cmd.join(" ")) ?? {};
    for (const line of result.output ?? []) stdout?.write(`${line}\n`);
    if (result.hang === true) await new Promise(() => {});
    return result.exitCode ?? 0;
  }

  async exec(id: string, options: ExecOptions): Promise<number> {
    const name = this.containers.get(id)?.name ?? id;
    await this.enter("exec", name, true);
    this.calls.push(`exec ${name}: ${options.cmd.join(" ")}`);
    this.execs.push({ container: name, options });
    const c = this.find(id);
    if (c.state !== "running")
      throw new EngineError("conflict", `Container ${id} is not running`, { statusCode: 409 });
    return this.command(options.cmd, options.stdout);
  }

  async runAttached(id: string, options: AttachOptions): Promise<number> {
    const name = this.containers.get(id)?.name ?? id;
    await this.enter("runAttached", name, true);
    this.calls.push(`run ${name}: ${(this.find(id).cmd ?? []).join(" ")}`);
    const c = this.find(id);
    c.state = "running";
    const aborted = new Promise<number>((resolve) => {
      if (options.signal?.aborted === true) resolve(137);
      options.signal?.addEventListener("abort", () => resolve(137), { once: true });
    });
    const code = await Promise.race([this.command(c.cmd ?? [], options.stdout), aborted]);
    c.state = "exited";
    c.exitCode = code;
    return code;
  }

  async restartContainer(id: string): Promise<void> {
    this.calls.push(`restart ${this.containers.get(id)?.name ?? id}`);
  }

  async killContainer(id: string, signal: string): Promise<void> {
    this.calls.push(`kill ${this.containers.get(id)?.name ?? id} ${signal}`);
  }

  async pauseContainer(id: string): Promise<void> {
    this.calls.push(`pause ${this.containers.get(id)?.name ?? id}`);
  }

  async unpauseContainer(id: string): Promise<void> {
    this.calls.push(`unpause ${this.containers.get(id)?.name ?? id}`);
  }

  async top(): Promise<{ titles: string[]; processes: string[][] }> {
    return { titles: [], processes: [] };
  }

  /** The summary of a replica as the engine would inspect it (image only: the fake keeps no env). */
  async summary(id: string): Promise<ReplicaSummary> {
    const c = this.containers.get(id);
    if (c === undefined) throw new EngineError("not-found", `no container ${id}`);
    return replicaSummary({ Config: { Image: c.image } });
  }

  async waitContainer(id: string): Promise<number> {
    return this.containers.get(id)?.exitCode ?? 0;
  }

  async imageInfo(): Promise<undefined> {
    return undefined;
  }

  async containerLabels(): Promise<Record<string, string>> {
    return {};
  }

  async startContainer(id: string): Promise<void> {
    const name = this.containers.get(id)?.name ?? id;
    await this.enter("startContainer", name, true);
    this.calls.push(`start ${name}`);
    const c = this.find(id);
    if (c.behavior.startError !== undefined) {
      // Like dockerd: a refused start is recorded as the container's error.
      c.error = c.behavior.startError.message;
      throw c.behavior.startError;
    }
    if (c.state === "running") return;
    delete c.error;
    c.state = "running";
    c.reads = 0;
    if (c.hasHealth) c.health = "starting";
    delete c.exitCode;
  }

  async stopContainer(id: string, timeoutMs?: number): Promise<void> {
    const name = this.containers.get(id)?.name ?? id;
    await this.enter("stopContainer", name, true);
    this.calls.push(timeoutMs === undefined ? `stop ${name}` : `stop ${name} ${timeoutMs}ms`);
    const c = this.containers.get(id);
    if (c === undefined || c.state !== "running") return;
    if (this.stopDelayMs > 0) {
      this.stopping += 1;
      this.maxStopping = Math.max(this.maxStopping, this.stopping);
      await new Promise((r) => setTimeout(r, this.stopDelayMs));
      this.stopping -= 1;
    }
    c.state = "exited";
    c.exitCode = 0;
  }

  async removeContainer(id: string): Promise<void> {
    const name = this.containers.get(id)?.name ?? id;
    await this.enter("removeContainer", name, true);
    this.calls.push(`remove ${name}`);
    this.containers.delete(id);
  }

  async renameContainer(id: string, name: string): Promise<void> {
    const from = this.containers.get(id)?.name ?? id;
    await this.enter("renameContainer", from, true);
    this.calls.push(`rename ${from} -> ${name}`);
    const c = this.find(id);
    if ([...this.containers.values()].some((x) => x.name === name && x.id !== id)) {
      throw new EngineError(
        "conflict",
        `Conflict. The container name "/${name}" is already in use`,
        { statusCode: 409 },
      );
    }
    c.name = name;
  }

  async inspectContainer(id: string): Promise<ObservedContainer | undefined> {
    await this.enter("inspectContainer", this.containers.get(id)?.name ?? id, false);
    const c = this.containers.get(id);
    if (c === undefined) return undefined;
    this.advance(c);
    return this.view(c);
  }

  async *logs(id: string, options: { readonly tail?: number }): AsyncIterable<LogLine> {
    const c = this.find(id);
    const lines = c.behavior.logs ?? [];
    const tail = options.tail === undefined ? lines : lines.slice(-options.tail);
    for (const text of tail) yield { container: c.name, stream: "stdout", text };
  }

  /** No engine events ever happen; ends when `signal` aborts. */
  events(_stack: string, signal: AbortSignal): AsyncIterable<EngineEvent> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<EngineEvent>>((resolve) =>
            signal.addEventListener("abort", () => resolve({ done: true, value: undefined }), {
              once: true,
            }),
          ),
      }),
    };
  }
}

/** A sink that keeps every event, for assertions. */
export function recordingSink(): ProgressSink & {
  readonly events: ProgressEvent[];
  of<T extends ProgressEvent["type"]>(type: T): Extract<ProgressEvent, { type: T }>[];
} {
  const events: ProgressEvent[] = [];
  return {
    events,
    emit(event) {
      events.push(event);
    },
    async close() {},
    of<T extends ProgressEvent["type"]>(type: T) {
      return events.filter((e): e is Extract<ProgressEvent, { type: T }> => e.type === type);
    },
  };
}

/** `draft` with the text its planner would give it. */
export function op(draft: DockerDraft): DockerOperation {
  return { ...draft, text: DOCKER_OPERATIONS.describe(draft) } as DockerOperation;
}

/** DockerOperation builders with the planner's id conventions, for hand-written plans. */
export const ops = {
  pull: (image: string, after: readonly string[] = []): DockerOperation =>
    op({
      id: `image:${image}:pull`,
      kind: "pull-image",
      image,
      cause: "image missing",
      after,
    }),
  network: (stack: string, key: string, after: readonly string[] = []): DockerOperation =>
    op({
      id: `network:${key}:create`,
      kind: "create-network",
      network: key,
      name: `${stack}_${key}`,
      cause: "not found",
      after,
    }),
  volume: (stack: string, key: string, after: readonly string[] = []): DockerOperation =>
    op({
      id: `volume:${key}:create`,
      kind: "create-volume",
      volume: key,
      name: `${stack}_${key}`,
      cause: "not found",
      after,
    }),
  create: (
    stack: string,
    service: string,
    slot: number,
    after: readonly string[] = [],
  ): DockerOperation =>
    op({
      id: `container:${service}.${slot}:create`,
      kind: "create-container",
      service,
      slot,
      name: containerName(stack, service, slot),
      cause: "not found",
      after,
    }),
  remove: (
    stack: string,
    service: string,
    slot: number,
    containerId: string,
    after: readonly string[] = [],
  ): DockerOperation =>
    op({
      id: `container:${containerName(stack, service, slot)}:remove`,
      kind: "remove-container",
      service,
      slot,
      name: containerName(stack, service, slot),
      containerId,
      cause: "scale down",
      after,
    }),
  replace: (
    stack: string,
    service: string,
    slot: number,
    containerId: string,
    order: "stop-first" | "start-first",
    after: readonly string[] = [],
  ): DockerOperation =>
    op({
      id: `container:${service}.${slot}:replace`,
      kind: "replace-container",
      service,
      slot,
      name: containerName(stack, service, slot),
      containerId,
      order,
      cause: "config hash diverged",
      after,
    }),
  wait: (
    service: string,
    condition: DependencyCondition,
    after: readonly string[] = [],
  ): DockerOperation =>
    op({
      id: `wait:${service}:${condition}`,
      kind: "wait-ready",
      service,
      condition,
      cause: "dependency",
      after,
    }),
  delay: (id: string, ms: number, after: readonly string[] = []): DockerOperation =>
    op({
      id,
      kind: "delay",
      ms,
      cause: "update delay",
      after,
    }),
};

/** A plan of `operations` for `stack`. */
export function planOf(
  stack: string,
  operations: readonly DockerOperation[],
): Plan<DockerOperation> {
  return { stack, operations, warnings: [] };
}

/** What a test run of a docker plan needs: the executor's context, the runner's, and the engine. */
export type DockerTestContext = ExecuteContext & RunContext & { readonly engine: FakeEngine };

/** Runs `plan` with the core executor and the docker driver's runner on the fake engine. */
export function execute(
  plan: Plan<DockerOperation>,
  ctx: DockerTestContext,
): Promise<ExecuteResult<DockerOperation>> {
  return executePlan(plan, dockerRunner(ctx.engine, plan, ctx), ctx);
}
