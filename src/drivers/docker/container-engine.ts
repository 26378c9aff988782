/**
 * The engine calls the docker driver is built from: containers, networks, volumes and
 * images on one Docker engine. `DockerEngine` implements it over dockerode; unit tests use
 * an in-memory fake. Every method throws `EngineError` only. Idempotent where the engine
 * allows: stopping a stopped container and removing a missing one succeed, so a re-run after
 * a crash is safe.
 */
import type {
  ContainerStats,
  EngineEvent,
  EngineInfo,
  LogLine,
  PullProgress,
  StackSummary,
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
import type { LockStore } from "../docker-api/stack-lock.js";

/** Everything needed to create one replica container. */
export interface ContainerRequest {
  readonly spec: StackSpec;
  readonly service: ServiceSpec;
  readonly slot: number;
  /** ContainerEngine name to create it under (slot name or replacement name). */
  readonly name: string;
  readonly configHash: string;
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

  ping(): Promise<EngineInfo>;
  /** Reads the stack's objects by label; `wants` lists images and externals to check. */
  observe(stack: string, wants?: ObserveWants): Promise<DockerObservedState>;
  listStacks(): Promise<readonly StackSummary[]>;

  pullImage(image: string, onProgress?: (p: PullProgress) => void): Promise<void>;
  /**
   * Builds `request.build` into the image `request.image`, labelled with `request.buildHash`;
   * `onProgress` gets each build output line as its `status`.
   */
  buildImage(request: BuildRequest, onProgress?: (p: PullProgress) => void): Promise<void>;

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
   * `none` while `stack deploy --watch` applies the policy itself.
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
  stats(id: string): Promise<ContainerStats>;
  /** Stack locks on this engine (lock volumes, see `volume-lock-store.ts`). */
  lockStore(): LockStore;
}
