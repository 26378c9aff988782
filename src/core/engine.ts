import type { ObservedContainer, ObservedState } from "./observed-state.js";
import type {
  BuildSpec,
  NetworkSpec,
  RestartPolicySpec,
  ServiceSpec,
  StackSpec,
  VolumeSpec,
} from "../model/types.js";

/** Facts about the engine we talk to. */
export interface EngineInfo {
  /** Where it is reached, e.g. `unix:///var/run/docker.sock`. */
  readonly address: string;
  readonly serverVersion: string;
  readonly apiVersion: string;
  /** True when this engine is an active swarm manager. */
  readonly swarmManager: boolean;
}

/** One stack found on the engine, for `stack ls`. */
export interface StackSummary {
  readonly name: string;
  readonly services: number;
  readonly containers: number;
  readonly running: number;
}

/** Image pull progress, aggregated over layers. */
export interface PullProgress {
  readonly image: string;
  readonly status: string;
  readonly currentBytes?: number;
  readonly totalBytes?: number;
}

/** Everything needed to create one replica container. */
export interface ContainerRequest {
  readonly spec: StackSpec;
  readonly service: ServiceSpec;
  readonly slot: number;
  /** Engine name to create it under (slot name or replacement name). */
  readonly name: string;
  readonly configHash: string;
}

/** One log line of one container. */
export interface LogLine {
  readonly container: string;
  readonly stream: "stdout" | "stderr";
  readonly text: string;
  readonly time?: string;
}

/** One resource sample of one container, for `stack ps --stats`. */
export interface ContainerStats {
  /** CPU use; 100 means one full core. */
  readonly cpuPercent: number;
  /** Memory in use, without the page cache. */
  readonly memoryBytes: number;
  /** The container's memory limit (the host's memory when it has none), when known. */
  readonly memoryLimitBytes?: number;
}

/** A change on the engine that concerns a stack; only a trigger to re-observe. */
export interface EngineEvent {
  readonly type: "container" | "network" | "volume" | "service" | "engine";
  readonly action: string;
  readonly name?: string;
  readonly service?: string;
}

/**
 * A container engine behind a driver-neutral interface. Only `src/engine/docker/` and
 * `src/engine/swarm/` implement it; nothing else imports dockerode. Every method throws
 * `EngineError` only. Idempotent where the engine allows: stopping a stopped container and
 * removing a missing one succeed, so a re-run after a crash is safe.
 */
export interface Engine {
  readonly driver: "docker" | "swarm";
  /** Address for messages, e.g. `unix:///var/run/docker.sock`. */
  readonly address: string;

  ping(): Promise<EngineInfo>;
  /** Reads the stack's objects by label; `images`/external names are checked for presence. */
  observe(
    stack: string,
    want?: {
      readonly images?: readonly string[];
      readonly externalNetworks?: readonly string[];
      readonly externalVolumes?: readonly string[];
    },
  ): Promise<ObservedState>;
  listStacks(): Promise<readonly StackSummary[]>;

  pullImage(image: string, onProgress?: (p: PullProgress) => void): Promise<void>;

  createNetwork(stack: string, network: NetworkSpec, configHash: string): Promise<void>;
  removeNetwork(idOrName: string): Promise<void>;
  createVolume(stack: string, volume: VolumeSpec): Promise<void>;
  removeVolume(name: string): Promise<void>;

  /** Creates (does not start) a replica container, attached to all its networks; returns its id. */
  createContainer(request: ContainerRequest): Promise<string>;
  startContainer(id: string): Promise<void>;
  /**
   * Stops with the given grace period (engine default when undefined); 304/404 count as
   * success. With `stack`, refuses (EngineError `invalid`) a container not labelled as
   * belonging to that stack, before touching it.
   */
  stopContainer(id: string, timeoutMs?: number, stack?: string): Promise<void>;
  /**
   * Removes (forced, with anonymous volumes); 404 counts as success. With `stack`, refuses
   * (EngineError `invalid`) a container not labelled as belonging to that stack.
   */
  removeContainer(id: string, stack?: string): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  /** Current state of one container, or undefined when it no longer exists. */
  inspectContainer(id: string): Promise<ObservedContainer | undefined>;

  /** Last `tail` lines (and with `follow`, new ones until `signal` aborts). */
  logs(
    id: string,
    options: { readonly tail?: number; readonly follow?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<LogLine>;
  /** Engine events concerning `stack` until `signal` aborts; ends or throws when the stream breaks. */
  events(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent>;
  /**
   * Changes the engine restart policy of container `id` in place (no recreate), e.g. to
   * `none` while `stack deploy --watch` applies the policy itself. Optional: drivers
   * without containers of their own (swarm) leave it out.
   */
  updateRestartPolicy?(id: string, policy: RestartPolicySpec): Promise<void>;
  /**
   * One CPU and memory sample of container `id` (may take about a second: the engine
   * measures CPU over an interval). Optional: drivers without it make `ps --stats` say so.
   */
  stats?(id: string): Promise<ContainerStats>;
  /**
   * Builds `request.build` into the image `request.image`, labelled with `request.buildHash`
   * (LABELS.buildHash); `onProgress` gets each build output line as its `status`. Optional:
   * drivers that cannot build (swarm) leave it out.
   */
  buildImage?(request: BuildRequest, onProgress?: (p: PullProgress) => void): Promise<void>;
  /**
   * Creates and starts the stack's ingress proxy container `name` serving the spec's ingress
   * routes, labelled with `configHash`; returns its id. Optional: the docker driver only.
   */
  createIngress?(spec: StackSpec, name: string, configHash: string): Promise<string>;
}

/** One image build: the service's `build:` settings and the tag to give the result. */
export interface BuildRequest {
  readonly image: string;
  readonly build: BuildSpec;
  /** Written into the image's LABELS.buildHash label. */
  readonly buildHash: string;
}
