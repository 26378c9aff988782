/**
 * The engine calls the swarm driver is built from: services, overlay networks, secrets and
 * configs on a swarm manager, and the tasks swarm runs for them. `SwarmEngine` implements it
 * over dockerode. Every method throws `EngineError` only; removing something missing succeeds.
 */
import type { BuildRequest } from "../docker-api/build-image.js";
import type { EncodedAuth } from "../docker-api/registry-header.js";
import type {
  EngineEvent,
  EngineInfo,
  ExecOptions,
  LogLine,
  ProcessList,
  PullProgress,
  StackSummary,
  ReplicaSummary,
} from "../../core/driver.js";
import type { OneOffSettings } from "../../model/one-off.js";
import type { NetworkSpec, StackSpec } from "../../model/types.js";
import type { SwarmDesiredState, SwarmObservedState } from "./observed-state.js";
import type { LockStore } from "../docker-api/stack-lock.js";

/** What an observation is asked to check besides the stack's own objects. */
export interface SwarmObserveWants {
  readonly externalNetworks?: readonly string[];
  readonly externalSecrets?: readonly string[];
  readonly externalConfigs?: readonly string[];
}

export interface ServiceEngine {
  /** Address for messages, e.g. `unix:///var/run/docker.sock`. */
  readonly address: string;
  /** True when the manager is not on this machine (ssh://, tcp://). */
  readonly remote?: boolean;
  ping(): Promise<EngineInfo>;
  /** Reads the stack's services, tasks, networks, secrets, configs and the cluster's nodes. */
  observe(stack: string, want?: SwarmObserveWants): Promise<SwarmObservedState>;
  listStacks(): Promise<readonly StackSummary[]>;
  /**
   * The desired state of `spec`; reads secret/config files (and `env` for `environment:`
   * ones) to name them by content. Memoised per spec object. Throws an `invalid` EngineError
   * for an unreadable file or an unset variable.
   */
  desiredState(
    spec: StackSpec,
    env?: Readonly<Record<string, string | undefined>>,
  ): Promise<SwarmDesiredState>;
  createNetwork(stack: string, network: NetworkSpec, configHash: string): Promise<void>;
  removeNetwork(idOrName: string): Promise<void>;
  /**
   * Creates service `service` of `spec`; with `auth`, the swarm keeps those registry
   * credentials with the service and hands them to the node of each task (never shown).
   */
  createService(spec: StackSpec, service: string, auth?: EncodedAuth): Promise<void>;
  /**
   * Updates service `id` to the spec of `service`, sending the observed `version`; without
   * `auth` the swarm keeps the credentials stored with the service.
   */
  updateService(
    spec: StackSpec,
    service: string,
    id: string,
    version: number,
    auth?: EncodedAuth,
  ): Promise<void>;
  removeService(id: string): Promise<void>;
  /** Creates the secret / config `key` of `spec` under its content-hashed name. */
  createSecret(spec: StackSpec, key: string): Promise<void>;
  createConfig(spec: StackSpec, key: string): Promise<void>;
  /** Removes a secret / config; one still in use by a service is kept (returns false). */
  removeSecret(id: string): Promise<boolean>;
  removeConfig(id: string): Promise<boolean>;
  /** Logs of task `id` (the manager collects them from whichever node runs it). */
  logs(
    id: string,
    options: { readonly tail?: number; readonly follow?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<LogLine>;
  /** Changes of the stack's services and tasks until `signal` aborts. */
  events(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent>;
  /** Stack locks on this swarm (configs, see `config-lock-store.ts`). */
  lockStore(): LockStore;
  /** The id of the node this engine is (where its containers run). */
  localNode(): Promise<{ readonly id: string; readonly hostname: string }>;
  /** Where task `id` runs: its node, its container there, its state and exit code. */
  task(id: string): Promise<SwarmTaskInfo | undefined>;
  /** The address other machines reach node `id` on (`Status.Addr`). */
  nodeAddress(id: string): Promise<string | undefined>;
  /** Runs a command in container `id` on this engine's node (see `ContainerEngine.exec`). */
  exec(containerId: string, options: ExecOptions): Promise<number>;
  /** The processes of container `id` on this engine's node. */
  top(containerId: string): Promise<ProcessList>;
  /** The inspect summary of container `id` on this engine's node (environment names only). */
  summary(containerId: string): Promise<ReplicaSummary>;
  /** Updates service `id` with its spec unchanged but ForceUpdate incremented: swarm replaces every task. */
  forceUpdate(id: string): Promise<void>;
  /** Sets the replica count of replicated service `id` and adds / removes service labels. */
  scaleService(
    id: string,
    replicas: number,
    labels: {
      readonly set?: Readonly<Record<string, string>>;
      readonly remove?: readonly string[];
    },
  ): Promise<void>;
  /** The labels of service `id` and its published ports as swarm assigned them. */
  serviceEndpoint(id: string): Promise<SwarmServiceEndpoint | undefined>;
  pullImage(image: string, onProgress?: (p: PullProgress) => void): Promise<void>;
  /** Pushes local tag `image` into its registry; returns the pushed manifest digest. */
  pushImage(image: string, onProgress?: (p: PullProgress) => void): Promise<string | undefined>;
  /** Builds `request` on the engine talked to (a manager), as the docker driver builds. */
  buildImage(request: BuildRequest, onProgress?: (p: PullProgress) => void): Promise<void>;
  /** The build-hash label of local image `reference`; undefined when missing or unlabelled. */
  imageBuildHash(reference: string): Promise<string | undefined>;
  /**
   * The manifest digest the registry of `image` holds for its tag, asked through the engine
   * (`GET /distribution/{name}/json`) with `auth`; `EngineError` when it cannot tell
   * (`not-found` for a missing tag or repository).
   */
  distributionDigest(image: string, auth?: EncodedAuth): Promise<string>;
  imageInfo(
    reference: string,
  ): Promise<{ readonly id: string; readonly sizeBytes: number } | undefined>;
  /**
   * Runs a one-off of `service` of `spec` as a swarm job (one task, restart none, no ports,
   * labelled `stack.role=run`), writes its output to `output` as it comes, and returns its
   * exit code; the job service is removed afterwards with `remove` (and when `signal` aborts).
   */
  runJob(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
    service: string,
    settings: OneOffSettings,
    output: {
      readonly stdout?: NodeJS.WritableStream;
      readonly stderr?: NodeJS.WritableStream;
      readonly remove: boolean;
      readonly signal?: AbortSignal;
    },
  ): Promise<number>;
}

/** What the swarm driver needs to know of one task beyond its replica row. */
export interface SwarmTaskInfo {
  readonly id: string;
  readonly nodeId?: string;
  readonly containerId?: string;
  /** Swarm's task state: `running`, `complete`, `failed`, `shutdown`, `rejected`, ... */
  readonly state: string;
  readonly exitCode?: number;
  readonly error?: string;
}

/** A service's labels and published ports (`Endpoint.Ports`, with assigned host ports). */
export interface SwarmServiceEndpoint {
  readonly labels: Readonly<Record<string, string>>;
  readonly replicas?: number;
  readonly ports: readonly {
    readonly target: number;
    readonly published?: number;
    readonly protocol: string;
    readonly mode: "ingress" | "host";
  }[];
}
