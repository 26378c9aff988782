/**
 * The contract between the driver-neutral core (converge loop, plan executor, API, CLI, UI)
 * and an engine driver (`src/drivers/docker`, `src/drivers/swarm`). A driver owns everything
 * that differs between engines: what it observes, how it plans (a pure reconcile), how it
 * runs each operation, how it judges readiness, and the read views. Nothing outside
 * `src/drivers/` knows which driver it talks to.
 */
import type { MountSpec, SpecIssue, SpecWarning, StackSpec } from "../model/types.js";
import type { LayerProgress, ProgressSink } from "../progress/events.js";

export type { LayerProgress };
import type { Operation, Plan } from "./operation.js";
import type { ContainerState, HealthState, ObservedContainer } from "./replica.js";
import type { RetryOptions } from "./retry-policy.js";
import type { ServiceRow } from "./views.js";

/** The engine drivers: plain containers on one engine, or services on a Docker Swarm. */
export type DriverName = "docker" | "swarm";

/**
 * Which implementation serves the Docker Engine API: dockerd, or Podman's Docker-compatible
 * service (`podman system service`).
 */
export type EngineKind = "docker" | "podman";

/** Facts about the engine a driver talks to. */
export interface EngineInfo {
  /** Where it is reached, e.g. `unix:///var/run/docker.sock`. */
  readonly address: string;
  readonly serverVersion: string;
  readonly apiVersion: string;
  /** True when this engine is an active swarm manager. */
  readonly swarmManager: boolean;
  /** Which engine answers, from its version reply; undefined when the driver cannot tell. */
  readonly kind?: EngineKind;
  /** Product and version for messages, e.g. `Docker 20.10.24` or `Podman 4.3.1`. */
  readonly product?: string;
}

/** One stack found on the engine, for `stack ls`. */
export interface StackSummary {
  readonly name: string;
  readonly services: number;
  readonly containers: number;
  readonly running: number;
}

/** Image pull or build progress, aggregated over layers. */
export interface PullProgress {
  readonly image: string;
  readonly status: string;
  /** Bytes of the image's layers downloaded (pull) or uploaded (push) so far; never decreases. */
  readonly currentBytes?: number;
  readonly totalBytes?: number;
  /** The layer this report is about, when it is about one. */
  readonly layer?: LayerProgress;
}

/** One log line of one replica. */
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

/**
 * A change on the engine that concerns a stack: a trigger to re-observe, and what `stack
 * events` prints (with the engine's time, object id and attributes when it gives them).
 */
export interface EngineEvent {
  readonly type: "container" | "network" | "volume" | "service" | "engine";
  readonly action: string;
  readonly name?: string;
  readonly service?: string;
  /** ISO time the engine recorded. */
  readonly time?: string;
  /** Engine id of the object (container, network, service). */
  readonly id?: string;
  /** The engine's attributes of the object (labels, image, exit code, ...). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** A terminal's size, and how to hear about changes of it (exec and run with a TTY). */
export interface TerminalSize {
  size(): { readonly rows: number; readonly columns: number };
  /** Calls `listener` on every resize until the returned function is called. */
  onResize(listener: () => void): () => void;
}

/**
 * A command to run in a running replica (`stack exec`, and compose lifecycle hooks). The
 * process's output goes to `stdout`/`stderr` (one stream with `tty`); without `stdin`
 * nothing is attached to its input.
 */
export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly user?: string;
  readonly workingDir?: string;
  /** `KEY=VALUE` entries added to the replica's environment. */
  readonly env?: readonly string[];
  readonly privileged?: boolean;
  /** Allocate a pseudo-terminal (output then arrives as one stream on `stdout`). */
  readonly tty?: boolean;
  readonly terminal?: TerminalSize;
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
}

/** What `stack run` adds to or changes in the service's configuration for one container. */
export interface OneOffOptions {
  readonly service: string;
  /** Replaces the service's command (empty: keep it). */
  readonly cmd: readonly string[];
  /** Replaces the image's and the service's entrypoint. */
  readonly entrypoint?: readonly string[];
  /** `KEY=VALUE` entries over the service's environment. */
  readonly env: readonly string[];
  /** Extra mounts (`-v`), over the service's own at the same target. */
  readonly mounts: readonly MountSpec[];
  readonly user?: string;
  readonly workingDir?: string;
  /** Remove the container when it ends (nothing is left behind). */
  readonly remove: boolean;
  readonly tty: boolean;
  readonly terminal?: TerminalSize;
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Ctrl-C: the container is stopped (and removed with `remove`). */
  readonly signal?: AbortSignal;
}

/** A published port as `stack port` prints it: `HOST:PORT`. */
export interface PublishedAddress {
  readonly hostIp: string;
  readonly port: number;
}

/** What `stack restart|stop|start|kill|pause|unpause` does to each replica or service. */
export type ControlAction = "restart" | "stop" | "start" | "kill" | "pause" | "unpause";

/** Options of a control action. */
export interface ControlOptions {
  /** Grace period of stop/restart before the process is killed; default: the service's own. */
  readonly timeoutMs?: number;
  /** Signal of `kill`; default SIGKILL. */
  readonly signal?: string;
  /** The order to go through the services in (dependency order from the file); others after, by name. */
  readonly order?: readonly string[];
  /**
   * The stack file, when read, and where hook output goes: the docker driver runs the
   * services' `pre_stop` hooks before stop/restart and `post_start` hooks after
   * start/restart. Without it no hooks run.
   */
  readonly hooks?: { readonly spec: StackSpec; readonly sink: ProgressSink };
  /**
   * Only these replicas (ids from `replicas()`) of the services, e.g. the one selected in the
   * live view; unset: every replica. A driver that acts on whole services only (swarm)
   * throws `UnsupportedError` before any change.
   */
  readonly replicas?: readonly string[];
}

/**
 * What the live view's inspect pane shows of one replica. Never a value of its environment
 * (they may be secrets): only the variable names are read out.
 */
export interface ReplicaSummary {
  readonly image: string;
  /** Entrypoint and command as the process was started. */
  readonly command: readonly string[];
  /** Names of the environment variables, sorted; the values are left behind in the driver. */
  readonly envNames: readonly string[];
  /** `volume app_data -> /data`, `bind /srv -> /srv (ro)`, ... */
  readonly mounts: readonly string[];
  /** `0.0.0.0:4000->80/tcp`, or `80/tcp` when not published. */
  readonly ports: readonly string[];
  /** `memory 50.0MiB`, `cpus 0.5`, `pids 100`; empty when unlimited. */
  readonly limits: readonly string[];
  /** The last health checks, oldest first; empty without a healthcheck. */
  readonly health: readonly {
    readonly end: string;
    readonly exitCode: number;
    readonly output: string;
  }[];
}

/** What a control action did to one replica (docker) or service (swarm). */
export interface ControlOutcome {
  /** Replica or service name. */
  readonly name: string;
  /** `restarted`, `stopped`, `already stopped`, `scaled to 0 (was 3)`, ... */
  readonly result: string;
  readonly ok: boolean;
}

/** The processes of one replica (`stack top`), as the engine's `ps` lists them. */
export interface ProcessList {
  readonly titles: readonly string[];
  readonly processes: readonly (readonly string[])[];
}

/** One image a replica of the stack runs (`stack images`). */
export interface ImageRow {
  /** Replica name. */
  readonly container: string;
  readonly service: string;
  /** The reference the replica was created from, e.g. `redis:7`. */
  readonly image: string;
  /** Image id and size, when the image is on the engine talked to. */
  readonly id?: string;
  readonly sizeBytes?: number;
}

/** How the first replica of a `stack wait` ended. */
export interface ReplicaExit {
  readonly replica: string;
  readonly exitCode: number;
}

/** Options of `stack build`. */
export interface BuildOptions {
  readonly noCache?: boolean;
  /** Pull newer base images. */
  readonly pull?: boolean;
}

/** What a driver's preflight found: errors stop the deploy before any change. */
export interface DriverIssues {
  readonly errors: readonly SpecIssue[];
  readonly warnings: readonly SpecWarning[];
  /**
   * Service settings this driver ignores (say `privileged` on swarm); its warnings already
   * say so, so other warnings about them (security) are left out.
   */
  readonly ignoredSettings: readonly string[];
}

/**
 * How `docker stack deploy --resolve-image` treats tags: `always` asks the registry for each
 * tag's digest on every deploy (a moved tag is an update); `changed` only for a tag that
 * differs from the one the service runs; `never` deploys tags as written.
 */
export type ResolveImageMode = "always" | "changed" | "never";

/** What a deploy asks of {@link Driver.prepare} besides the spec. */
export interface PrepareOptions {
  /** Where prepare reports what it does (a swarm deploy builds and pushes images first). */
  readonly sink?: ProgressSink;
  /** `--dry-run`: prepare writes nothing (no build, no push). */
  readonly dryRun?: boolean;
  /** Build images of services with `build:` even when current (`--build`). */
  readonly build?: boolean;
  /** Swarm: pin tags to digests (default `always`). */
  readonly resolveImage?: ResolveImageMode;
  /** Swarm: hand the user's registry credentials to the swarm so every node can pull. */
  readonly withRegistryAuth?: boolean;
  readonly signal?: AbortSignal;
}

/** What a deploy asks of the planner besides the spec and the observation. */
export interface PlanOptions {
  /** Remove services/containers that are no longer in the file (else only warn). */
  readonly prune: boolean;
  /** Recreate every replica even when its hash matches (`--force-recreate`). */
  readonly forceRecreate?: boolean;
  /** Restrict to these services (and nothing else is touched), e.g. `stack scale`. */
  readonly services?: readonly string[];
  /** Build every image of a service with `build:` even when it is current (`--build`). */
  readonly build?: boolean;
  /**
   * True in the converge loop's first round only: what a deploy does once per run because a
   * service's `pull_policy` says so (pull `always` or a due refresh, build `build`) is
   * planned then, so the loop still ends.
   */
  readonly firstRound?: boolean;
}

/** Backoff bounds of engine calls (tests shrink them); the signal comes separately. */
export type RetryBounds = Pick<RetryOptions, "retries" | "minTimeoutMs" | "maxTimeoutMs">;

/** What running the operations of one plan needs. */
export interface RunContext {
  /** The spec the plan was made from; operations name its services, networks and volumes. */
  readonly spec: StackSpec;
  readonly sink: ProgressSink;
  /** Ctrl-C: running operations stop after their current engine call. */
  readonly signal?: AbortSignal;
  /** Limit of one readiness gate or of a new replica reaching running/healthy. */
  readonly readyTimeoutMs?: number;
  /** Pause between two polls of the engine while waiting; default 500 ms. */
  readonly pollIntervalMs?: number;
  readonly retry?: RetryBounds;
  /**
   * Grace period of every stop this run makes, overriding each container's own
   * (`stack rm -t`, `stack stop -t`); unset: each container stops with the grace period and
   * signal it was created with (`stop_grace_period`, `stop_signal`).
   */
  readonly stopTimeoutMs?: number;
}

/**
 * What the executor lends an operation while it runs: `idle` runs a part that only waits
 * (a stop's grace period) without holding the operation's write slot, so the grace periods
 * of many removals overlap while at most `--parallel` operations are doing engine work. The
 * slot is taken back (waiting for one to be free) before `idle` returns.
 */
export interface OperationLease {
  idle<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Performs the operations of one plan execution. `run` maps one operation to its engine
 * calls and decides nothing; it throws `StepFailure` (with the replica's last log lines),
 * `EngineError` or `InterruptedError`.
 */
export interface OperationRunner<Op extends Operation = Operation> {
  run(op: Op, lease?: OperationLease): Promise<void>;
  /**
   * Called once for every operation after it ended (done, failed or skipped); the executor
   * waits for it before reporting the operation. The docker driver finishes a service's
   * rolling update here (removing kept predecessors, or rolling back).
   */
  settle?(op: Op): Promise<void>;
}

/** The replica a failed or timed-out wait is about. */
export interface WaitReplica {
  readonly service: string;
  readonly slot: number;
  /** Engine name; undefined when the slot has no container at all. */
  readonly container?: string;
  readonly state?: ContainerState;
  readonly exitCode?: number;
  readonly health?: HealthState;
}

/** What `deploy --wait` needs. */
export interface WaitOptions {
  readonly sink: ProgressSink;
  /** Limit for the whole wait. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Pause between two observations; default 500 ms. */
  readonly pollIntervalMs?: number;
  /** Only these services (default: every service of the spec). */
  readonly services?: readonly string[];
  readonly retry?: RetryBounds;
}

/** Outcome of `deploy --wait`. */
export interface WaitResult {
  readonly ok: boolean;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  /** Why it failed, naming the replica or service: "app_db.1 exited with code 1". */
  readonly message?: string;
  readonly replica?: WaitReplica;
  /** The replica's last log lines. */
  readonly logs?: readonly string[];
}

/** What `deploy --watch` needs. */
export interface WatchOptions {
  readonly sink: ProgressSink;
  /** Aborting ends the watch; the stack is left running. */
  readonly signal: AbortSignal;
  readonly parallel: number;
  readonly prune: boolean;
}

/**
 * One deploy of one spec on a driver: the spec as the driver prepared it (secret contents
 * read, desired state computed), and the steps the core's converge loop drives. `plan` is
 * pure: no I/O, no clock, no randomness.
 */
export interface Deployment<Observed = unknown, Op extends Operation = Operation> {
  readonly spec: StackSpec;
  /** Reads the stack's objects on the engine (and what the plan needs to know: images, externals). */
  observe(): Promise<Observed>;
  plan(observed: Observed, options: PlanOptions): Plan<Op>;
  /** A runner for one execution of `plan`. */
  runner(plan: Plan<Op>, context: RunContext): OperationRunner<Op>;
  /** `deploy --wait`: until every replica of the spec is ready, one fails, or time runs out. */
  waitReady(options: WaitOptions): Promise<WaitResult>;
  /**
   * `deploy --watch`: keeps the stack converged until the signal aborts. A driver whose
   * engine supervises the stack itself (swarm) says so and returns.
   */
  watch(options: WatchOptions): Promise<void>;
}

/** `stack rm` on a driver: the plan (from a fresh observation) and how to run it. */
export interface Removal<Op extends Operation = Operation> {
  readonly plan: Plan<Op>;
  runner(context: RunContext): OperationRunner<Op>;
  /** Said after the removal, e.g. the volumes kept. */
  readonly notes: readonly string[];
}

/**
 * Who runs a command that changes a stack (deploy, scale, rm): what a second command that
 * has to wait for the stack's lock shows.
 */
export interface LockOwner {
  /** Host name of the machine the command runs on. */
  readonly host: string;
  readonly pid: number;
  /** The command line, e.g. `stack deploy -c stack.yml app`. */
  readonly command: string;
  /**
   * When the process started, in a form only compared for equality (on Linux, its start time
   * in clock ticks since boot from /proc), so a pid reused by another process is not taken
   * for the holder; absent where unknown.
   */
  readonly processStart?: string;
}

/** The holder of a stack's lock as read from the engine. */
export interface LockHolder extends LockOwner {
  /** When it took the lock, by the engine's clock (ISO 8601). */
  readonly since: string;
}

/** What {@link Driver.lock} needs besides the stack and the owner. */
export interface LockOptions {
  /** Told when the lock is held by someone else and the caller waits (again when the holder changes). */
  readonly onWait?: (holder: LockHolder) => void;
  /** Told when the lock of a holder that died is broken, with why it counts as dead. */
  readonly onBreak?: (holder: LockHolder, why: string) => void;
  /** Longest wait; unset waits until the lock is free or `signal` aborts. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Pause between two looks at a held lock; default 1 s (tests shrink it). */
  readonly pollIntervalMs?: number;
}

/** A stack lock this process holds; renewed in the background until released. */
export interface StackLock {
  readonly holder: LockHolder;
  /** Gives the lock up; idempotent, and never throws (a lock it cannot remove expires). */
  release(): Promise<void>;
}

/**
 * An engine driver. Every method throws `EngineError` only (classified once, in the
 * driver's API layer); removing something missing succeeds, so a re-run after a crash is
 * safe. Only `src/drivers/` implements it, and only the drivers import dockerode.
 */
export interface Driver {
  readonly name: DriverName;
  /** Address for messages, e.g. `unix:///var/run/docker.sock`. */
  readonly address: string;
  ping(): Promise<EngineInfo>;
  /** Checks `spec` against what this driver can do, before any change (may read the engine). */
  preflight(spec: StackSpec): Promise<DriverIssues>;
  /**
   * Prepares a deploy of `spec`: reads what it needs besides the spec (secret and config
   * contents, with `env` for `environment:` sources). Throws `SpecError` for unreadable input.
   */
  prepare(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
    options?: PrepareOptions,
  ): Promise<Deployment>;
  /**
   * Takes the deploy lock of `stack`: an object on the engine that only one process can hold
   * at a time, so deploys, scales and removals of one stack from any machine sharing the
   * engine (or the swarm) run one after another. Waits while a live holder has it (telling
   * `onWait` who and since when); breaks the lock of a holder that died (same host and its
   * pid gone, or a lease it stopped renewing has expired). Throws `EngineError` kind
   * `timeout` when `timeoutMs` runs out, `InterruptedError` when `signal` aborts.
   */
  lock(stack: string, owner: LockOwner, options?: LockOptions): Promise<StackLock>;
  /** Plans `stack rm` of `stack` from a fresh observation; named volumes only with `volumes`. */
  planRemoval(stack: string, options: { readonly volumes: boolean }): Promise<Removal>;
  listStacks(): Promise<readonly StackSummary[]>;
  /** The replicas (containers or tasks) of `stack` that matter now. */
  replicas(stack: string): Promise<readonly ObservedContainer[]>;
  /** The services of `stack` with running/desired counts, sorted by name. */
  services(stack: string): Promise<readonly ServiceRow[]>;
  /** Last `tail` lines of replica `id` (and with `follow`, new ones until `signal` aborts). */
  logs(
    id: string,
    options: { readonly tail?: number; readonly follow?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<LogLine>;
  /** Engine events concerning `stack` until `signal` aborts; ends or throws when the stream breaks. */
  events(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent>;
  /**
   * One CPU and memory sample of replica `id` (may take about a second; `signal` ends it
   * early). Optional: drivers without it make `ps --stats` say so.
   */
  stats?(id: string, options?: { readonly signal?: AbortSignal }): Promise<ContainerStats>;
  /**
   * The inspect summary of `replica` (the live view's `d`), without environment values.
   * Optional like `stats`; `UnsupportedError` when the replica cannot be reached (a swarm
   * task on another node).
   */
  inspect?(replica: ObservedContainer): Promise<ReplicaSummary>;

  /**
   * Runs a command in `replica` (one of `replicas()`, running) with its streams attached and
   * returns the command's exit code. Throws `UnsupportedError` when this driver cannot reach
   * the replica (a swarm task on another node).
   */
  exec(replica: ObservedContainer, options: ExecOptions): Promise<number>;
  /**
   * Runs a one-off container of `options.service` of `spec` (its configuration and networks,
   * labelled as a one-off so `ps` shows and `rm` removes it) with the streams attached, and
   * returns its exit code. `spec` is prepared as for a deploy (secret contents read with `env`).
   */
  run(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
    options: OneOffOptions,
  ): Promise<number>;
  /**
   * The host address a client reaches port `target` of `replica` on (through the stack's
   * ingress when the port is served by one); undefined when it is not published.
   */
  port(
    stack: string,
    replica: ObservedContainer,
    target: number,
    protocol: "tcp" | "udp",
  ): Promise<PublishedAddress | undefined>;
  /**
   * Applies `action` to the replicas of `services` (every service of the stack, and what
   * belongs to the stack as a whole such as the docker driver's ingress, when undefined), in
   * `options.order`. Checks everything it needs first and throws `UnsupportedError` before
   * any change when it cannot do it.
   */
  control(
    stack: string,
    services: readonly string[] | undefined,
    action: ControlAction,
    options: ControlOptions,
  ): Promise<readonly ControlOutcome[]>;
  /** The processes running in `replica`; `UnsupportedError` when it cannot be reached. */
  top(replica: ObservedContainer): Promise<ProcessList>;
  /** The images the stack's replicas run. */
  images(stack: string): Promise<readonly ImageRow[]>;
  /** Resolves once every one of `replicas` has exited, with the first to exit. */
  waitExit(replicas: readonly ObservedContainer[], signal: AbortSignal): Promise<ReplicaExit>;
  /**
   * Pulls `image` onto the engine talked to, reporting progress per layer, with the
   * credentials the user's docker config holds for its registry.
   */
  pull(image: string, onProgress?: (p: PullProgress) => void): Promise<void>;
  /**
   * Pushes `image` from the engine talked to into its registry, reporting progress per layer,
   * with the user's credentials for that registry; returns the pushed manifest digest.
   */
  push(image: string, onProgress?: (p: PullProgress) => void): Promise<string | undefined>;
  /**
   * Builds the image of `service` of `spec` (which has `build:`), so a later deploy finds it
   * current; `UnsupportedError` on a driver that cannot build.
   */
  build(
    spec: StackSpec,
    service: string,
    options: BuildOptions,
    onProgress?: (p: PullProgress) => void,
  ): Promise<void>;
}
