/**
 * The engine calls the docker driver is built from: containers, networks, volumes and
 * images on one Docker engine. `DockerEngine` implements it over dockerode; unit tests use
 * an in-memory fake. Every method throws `EngineError` only. Idempotent where the engine
 * allows: stopping a stopped container and removing a missing one succeed, so a re-run after
 * a crash is safe. Long calls (pull, build, log and event streams, stats) take an abort
 * signal that reaches the request itself, so Ctrl-C ends them on any engine: pull and build
 * then throw `InterruptedError`, the streams end quietly.
 */
import type {
  ContainerStats,
  EngineEvent,
  EngineInfo,
  ExecOptions,
  LogLine,
  ProcessList,
  PullProgress,
  StackSummary,
  TerminalSize,
  ReplicaSummary,
} from "../../core/driver.js";
import type { ObservedContainer } from "../../core/replica.js";
import type {
  BuildSpec,
  NetworkSpec,
  RestartPolicySpec,
  ServiceSpec,
  StackSpec,
  VolumeSpec,
} from "../../model/types.js";
import type { DockerObservedState, ObserveWants } from "./observed-state.js";
import type { OneOffSettings } from "./one-off-config.js";
import type { EngineIdentity } from "../docker-api/engine-info.js";
import type { LockStore } from "../docker-api/stack-lock.js";

/** Everything needed to create one replica container. */
export interface ContainerRequest {
  readonly spec: StackSpec;
  readonly service: ServiceSpec;
  readonly slot: number;
  /** ContainerEngine name to create it under (slot name or replacement name). */
  readonly name: string;
  readonly configHash: string;
  /** Create a one-off container of the service (`stack run`) instead of a replica. */
  readonly oneOff?: OneOffSettings;
}

/** The caller's side of a container run attached (`stack run`). */
export interface AttachOptions {
  readonly tty: boolean;
  readonly terminal?: TerminalSize;
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Aborting stops the container (its grace period applies). */
  readonly signal?: AbortSignal;
}

/** An image on the engine. */
export interface ImageInfo {
  readonly id: string;
  readonly sizeBytes: number;
  /**
   * When a name was last given to the image (`Metadata.LastTagTime`, ISO 8601): what
   * compose's refresh pull policies compare with; `stack` tags after each pull so it is the
   * last pull's time (a fresh pull alone leaves it unset on dockerd 20.10). Absent when unset.
   */
  readonly lastTagTime?: string;
}

/** One image build: the service's `build:` settings and the tag to give the result. */
export interface BuildRequest {
  readonly image: string;
  readonly build: BuildSpec;
  /** Written into the image's LABELS.buildHash label. */
  readonly buildHash: string;
}

/** How a stop is meant. */
export interface StopOptions {
  /**
   * The container is going away (rm, scale-down, prune): on an engine with the 20.10 leave
   * deadlock its networks are disconnected first, one leave per network at a time, so the
   * stop itself (and its grace period) can overlap with other stops. Not for a replica that
   * must drain while still reachable (a rolling replacement).
   */
  readonly leaving?: boolean;
}

export interface ContainerEngine {
  /** Address for messages, e.g. `unix:///var/run/docker.sock`. */
  readonly address: string;
  /** True when the engine is not on this machine (ssh://, tcp://): bind mounts are its paths. */
  readonly remote?: boolean;

  ping(): Promise<EngineInfo>;
  /** Which engine this is (Docker or Podman) and the API version it speaks; read once, kept. */
  identity(): Promise<EngineIdentity>;
  /** Reads the stack's objects by label; `wants` lists images and externals to check. */
  observe(stack: string, wants?: ObserveWants): Promise<DockerObservedState>;
  listStacks(): Promise<readonly StackSummary[]>;

  pullImage(
    image: string,
    onProgress?: (p: PullProgress) => void,
    options?: { readonly signal?: AbortSignal },
  ): Promise<void>;
  /** Pushes local tag `image` into its registry; returns the pushed manifest digest. */
  pushImage(
    image: string,
    onProgress?: (p: PullProgress) => void,
    options?: { readonly signal?: AbortSignal },
  ): Promise<string | undefined>;
  /**
   * Builds `request.build` into the image `request.image`, labelled with `request.buildHash`;
   * `onProgress` gets each build output line as its `status`.
   */
  buildImage(
    request: BuildRequest,
    onProgress?: (p: PullProgress) => void,
    options?: { readonly signal?: AbortSignal },
  ): Promise<void>;

  createNetwork(stack: string, network: NetworkSpec, configHash: string): Promise<void>;
  removeNetwork(idOrName: string): Promise<void>;
  createVolume(stack: string, volume: VolumeSpec): Promise<void>;
  removeVolume(name: string): Promise<void>;

  /**
   * Creates (does not start) a replica container, attached to all its networks; returns its
   * id. A container that could not be wired is removed again, so it never holds the name.
   */
  createContainer(request: ContainerRequest): Promise<string>;
  /** Creates (does not start) the stack's ingress proxy container `name`; returns its id. */
  createIngressContainer(spec: StackSpec, name: string, configHash: string): Promise<string>;
  /** The content of the file at `path` in container `id` (created or running), or undefined. */
  readFile(id: string, path: string): Promise<Buffer | undefined>;
  /** Extracts the tar archive `tar` at `/` in container `id` (created or running). */
  putArchive(id: string, tar: Buffer): Promise<void>;
  startContainer(id: string): Promise<void>;
  /**
   * Stops with the given grace period, or when undefined the container's own (its
   * StopTimeout from create: `stop_grace_period`, else dockerd's 10 s) and always its own
   * stop signal (`stop_signal`); 304/404 count as success. With `stack`, refuses
   * (EngineError `invalid`) a container not labelled as belonging to that stack, before
   * touching it. On an engine with the 20.10 leave deadlock (see `leave-rule.ts`) it waits
   * while another stop of this engine leaves one of the same networks, and fails with a
   * non-retryable `EngineStuckError` when the engine is found deadlocked.
   */
  stopContainer(
    id: string,
    timeoutMs?: number,
    stack?: string,
    options?: StopOptions,
  ): Promise<void>;
  /**
   * Removes (forced, with anonymous volumes); 404 counts as success. With `stack`, refuses
   * (EngineError `invalid`) a container not labelled as belonging to that stack.
   */
  removeContainer(id: string, stack?: string): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  /** Current state of one container, or undefined when it no longer exists. */
  inspectContainer(id: string): Promise<ObservedContainer | undefined>;
  /**
   * Changes the engine restart policy of container `id` in place (no recreate), e.g. to
   * `none` while `stack deploy --watch` applies the policy itself. Throws EngineError
   * `unsupported` when the engine cannot (Podman 4.3), and from then on without asking it.
   */
  updateRestartPolicy(id: string, policy: RestartPolicySpec): Promise<void>;

  /** Last `tail` lines (and with `follow`, new ones until `signal` aborts). */
  logs(
    id: string,
    options: { readonly tail?: number; readonly follow?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<LogLine>;
  /** ContainerEngine events concerning `stack` until `signal` aborts; ends or throws when the stream breaks. */
  events(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent>;
  /** One CPU and memory sample of container `id` (takes about a second). */
  /** Runs a command in running container `id` with the streams attached; its exit code. */
  exec(id: string, options: ExecOptions): Promise<number>;
  /**
   * Attaches to created container `id`, starts it and returns its exit code once it ended
   * (and its output was written). A command the engine cannot start is 127 (not found) or
   * 126 (not executable), as `docker run` reports them.
   */
  runAttached(id: string, options: AttachOptions): Promise<number>;
  /** Restarts container `id` (stop with the grace period, then start). */
  restartContainer(id: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` to the main process of running container `id`. */
  killContainer(id: string, signal: string): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  /** The processes of running container `id`. */
  top(id: string): Promise<ProcessList>;
  /** The inspect summary of container `id` (environment names only, never values). */
  summary(id: string): Promise<ReplicaSummary>;
  /** Resolves with the exit code once container `id` is not running (at once if it is not). */
  waitContainer(id: string, signal?: AbortSignal): Promise<number>;
  /** Id and size of image `reference` on this engine, or undefined when it is not there. */
  imageInfo(reference: string): Promise<ImageInfo | undefined>;
  /** The labels of container `id`, or undefined when it no longer exists. */
  containerLabels(id: string): Promise<Readonly<Record<string, string>> | undefined>;
  stats(id: string, options?: { readonly signal?: AbortSignal }): Promise<ContainerStats>;
  /** Stack locks on this engine (lock volumes, see `volume-lock-store.ts`). */
  lockStore(): LockStore;
}
