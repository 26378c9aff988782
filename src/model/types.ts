/**
 * The normalised, engine-neutral model of a stack file.
 *
 * Everything downstream (planner, drivers, `stack config`) reads only these types. Units are
 * fixed here so nobody converts twice: memory in bytes, CPUs in nano-CPUs, durations in
 * milliseconds. Maps are plain objects whose keys are emitted in sorted order by the
 * normaliser, so JSON of a spec is canonical.
 */

/** A position in a source file, 1-based line and column. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem found in the input; `path` is the dotted path in the document. */
export interface SpecIssue {
  readonly pos?: SourcePos;
  readonly path: string;
  readonly message: string;
}

/** A warning about the input that does not stop a deploy (unsupported key, unset variable). */
export interface SpecWarning {
  readonly pos?: SourcePos;
  readonly path?: string;
  readonly message: string;
}

export type Protocol = "tcp" | "udp" | "sctp";
export type PortMode = "ingress" | "host";

/** One published or exposed container port (ranges are expanded to one entry per port). */
export interface PortSpec {
  /** Port inside the container. */
  readonly target: number;
  /** Host port; undefined lets the engine choose an ephemeral one. */
  readonly published?: number;
  /** Host address to bind, e.g. `127.0.0.1`; undefined binds all addresses. */
  readonly hostIp?: string;
  readonly protocol: Protocol;
  readonly mode: PortMode;
  /**
   * Last host port of a range published to one container port (`6005-6015:80`): the engine
   * picks a free port from `published` to here. Undefined for a single host port.
   */
  readonly publishedEnd?: number;
}

export type MountType = "volume" | "bind" | "tmpfs";

/** A filesystem mounted into the service's containers. */
export interface MountSpec {
  readonly type: MountType;
  /**
   * volume: the key in the top-level `volumes:` map (resolve the engine name through
   * `StackSpec.volumes[source].name`), or undefined for an anonymous volume;
   * bind: an absolute host path (relative paths are resolved against the first file's dir);
   * tmpfs: undefined.
   */
  readonly source?: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** bind only: create the host path when missing (compose default true for short syntax). */
  readonly createHostPath?: boolean;
  /** volume only: do not copy image content into an empty volume. */
  readonly noCopy?: boolean;
  /** tmpfs only: size limit in bytes. */
  readonly tmpfsSize?: number;
  readonly tmpfsMode?: number;
}

/** How a service joins one network. */
export interface ServiceNetworkSpec {
  /** Extra DNS names on that network (link aliases and `aliases:`), sorted, deduplicated. */
  readonly aliases: readonly string[];
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
}

export type DependencyCondition =
  "service_started" | "service_healthy" | "service_completed_successfully";

export interface DependencySpec {
  readonly condition: DependencyCondition;
  /** compose `restart: true`: restart this service when the dependency is updated. */
  readonly restart: boolean;
  /** compose `required: false`: a missing dependency is only a warning. */
  readonly required: boolean;
}

/** A normalised healthcheck; `test` is always the engine's list form (`CMD`, `CMD-SHELL`, `NONE`). */
export interface HealthcheckSpec {
  readonly test: readonly string[];
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly startPeriodMs?: number;
  readonly startIntervalMs?: number;
}

/**
 * A request for devices of a kind (compose `gpus:` and `deploy.resources.reservations.devices`),
 * the engine's DeviceRequest: `count` -1 means all.
 */
export interface DeviceRequestSpec {
  readonly capabilities: readonly string[];
  readonly driver?: string;
  readonly count?: number;
  readonly deviceIds?: readonly string[];
  readonly options?: Readonly<Record<string, string>>;
}

export interface ResourceSet {
  /** CPUs as nano-CPUs (`"0.1"` -> 100000000). */
  readonly nanoCpus?: number;
  readonly memoryBytes?: number;
  readonly pids?: number;
  /** Reservations only: devices the container needs (GPUs, ...). */
  readonly devices?: readonly DeviceRequestSpec[];
}

export type RestartCondition = "none" | "on-failure" | "any";

/** Restart policy; compose `restart:` and `deploy.restart_policy` both normalise to this. */
export interface RestartPolicySpec {
  readonly condition: RestartCondition;
  readonly delayMs?: number;
  /** 0 or undefined means unlimited. */
  readonly maxAttempts?: number;
  readonly windowMs?: number;
  /**
   * True when the file gave neither `restart:` nor `deploy.restart_policy` (the condition is
   * then compose's `none`): the swarm driver uses swarm's own default `any` instead, as
   * `docker stack deploy` does. Absent means the policy was given. Not part of the docker
   * driver's config hash (it changes nothing a container runs with there).
   */
  readonly defaulted?: true;
  /**
   * `restart: unless-stopped` (condition `any`): a container stopped by hand stays stopped
   * after an engine restart. Swarm has no such policy and treats it as `any`.
   */
  readonly unlessStopped?: true;
}

export type UpdateOrder = "stop-first" | "start-first";
export type FailureAction = "pause" | "continue" | "rollback";

export interface UpdateConfigSpec {
  /** Replicas replaced at once; 0 means all at once. Default 1. */
  readonly parallelism: number;
  readonly delayMs: number;
  readonly order: UpdateOrder;
  readonly failureAction: FailureAction;
  /** How long a new replica must stay up (and healthy) to count as a success. */
  readonly monitorMs: number;
  readonly maxFailureRatio: number;
}

export interface PlacementSpec {
  readonly constraints: readonly string[];
  readonly preferences: readonly { readonly spread: string }[];
  readonly maxReplicasPerNode?: number;
}

/** compose's deploy modes; the job modes run tasks to completion (swarm jobs). */
export type DeployMode = "replicated" | "global" | "replicated-job" | "global-job";

export interface DeploySpec {
  readonly mode: DeployMode;
  readonly replicas: number;
  readonly endpointMode?: "vip" | "dnsrr";
  readonly labels: Readonly<Record<string, string>>;
  readonly resources: {
    readonly limits: ResourceSet;
    readonly reservations: ResourceSet;
  };
  readonly restartPolicy: RestartPolicySpec;
  readonly updateConfig: UpdateConfigSpec;
  readonly rollbackConfig: UpdateConfigSpec;
  readonly placement: PlacementSpec;
}

export interface LoggingSpec {
  readonly driver?: string;
  readonly options: Readonly<Record<string, string>>;
}

export interface BuildSpec {
  /** Absolute path of the build context. */
  readonly context: string;
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `dockerfile_inline`: the Dockerfile's content, used instead of the `dockerfile` file. */
  readonly dockerfileInline?: string;
  /** Named extra contexts (`additional_contexts`), absolute paths or URLs. BuildKit only. */
  readonly additionalContexts?: Readonly<Record<string, string>>;
  readonly cacheFrom?: readonly string[];
  readonly cacheTo?: readonly string[];
  /** Network mode of the build's RUN steps. */
  readonly network?: string;
  /** Build secrets by id (`secrets:`). BuildKit only. */
  readonly secrets?: readonly string[];
  /** SSH agent sockets or keys (`ssh:`). BuildKit only. */
  readonly ssh?: readonly string[];
  /** Extra tags for the built image. */
  readonly tags?: readonly string[];
  readonly platforms?: readonly string[];
  readonly noCache?: boolean;
  readonly pull?: boolean;
  /** `host:ip` entries for the build's /etc/hosts. */
  readonly extraHosts?: readonly string[];
  readonly shmSize?: number;
  /**
   * SHA-256 of the context's files (after `.dockerignore`), set by deploy before planning so
   * a changed context changes the service's config hash and its image is rebuilt.
   */
  readonly contextHash?: string;
}

/** A secret or config reference inside a service. */
export interface FileReferenceSpec {
  /** Key in the top-level `secrets:` / `configs:` map. */
  readonly source: string;
  /** Absolute path in the container. */
  readonly target: string;
  readonly uid?: string;
  readonly gid?: string;
  readonly mode?: number;
  /**
   * Keyed digest of the object's content (`secretDigest`), set by deploy before planning
   * for the docker driver, so the service's config hash changes with the content without
   * the hash revealing it. Never the content itself.
   */
  readonly contentDigest?: string;
}

/** A device of the host mapped into the container (`devices:`). */
export interface DeviceSpec {
  readonly source: string;
  readonly target: string;
  /** cgroup permissions, `rwm` by default. */
  readonly permissions: string;
}

/**
 * A lifecycle hook (`post_start`, `pre_stop`, `pre_start`): a command compose runs in the
 * service's container through the engine's exec API (`pre_start` in a one-off container of
 * the same settings). The docker driver runs them (`drivers/docker/hooks.ts`), with their
 * output in the progress stream; the swarm driver names them as unsupported.
 */
export interface HookSpec {
  readonly command: readonly string[];
  readonly user?: string;
  readonly privileged?: boolean;
  readonly workingDir?: string;
  readonly environment: Readonly<Record<string, string | null>>;
  /**
   * `pre_start` only: the image of the hook's container (default: the service's). Undefined
   * when unset, so the config hash of a file without it is unchanged.
   */
  readonly image?: string;
}

/** A service's `pull_policy` other than the default `missing` (see ServiceSpec.pullPolicy). */
export type PullPolicy = "always" | "never" | "build" | "refresh";

/** One service after normalisation. */
export interface ServiceSpec {
  /** The key in `services:`. */
  readonly name: string;
  /** Image reference; when the file has only `build:`, `<stack>_<service>` (built later). */
  readonly image: string;
  readonly build?: BuildSpec;
  /**
   * compose's `pull_policy`, when it is not the default (`missing`, also spelled
   * `if_not_present`): `always` pulls on every deploy, `never` never pulls (the image must be
   * on the engine), `build` builds on every deploy, `refresh` (`daily`, `weekly`,
   * `every_<duration>`) pulls when the image was last pulled longer than `pullRefreshMs` ago.
   */
  readonly pullPolicy?: PullPolicy;
  /** With `pullPolicy: refresh`: the period, in milliseconds. */
  readonly pullRefreshMs?: number;
  /** Replaces the image CMD; undefined keeps it. Shell-form strings are split compose-style. */
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  /**
   * Environment after `env_file` and `environment` merge, keys sorted. A value of `null`
   * means "take it from the deploying process's environment" was asked but it was unset;
   * such variables are passed through unset.
   */
  readonly environment: Readonly<Record<string, string | null>>;
  readonly workingDir?: string;
  readonly user?: string;
  readonly hostname?: string;
  readonly containerName?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly init?: boolean;
  readonly stopGracePeriodMs?: number;
  readonly stopSignal?: string;
  readonly ports: readonly PortSpec[];
  /** Keyed by the network key in the top-level `networks:` map. */
  readonly networks: Readonly<Record<string, ServiceNetworkSpec>>;
  /** `links:` entries; their aliases are also folded into `networks[*].aliases`. */
  readonly links: readonly { readonly service: string; readonly alias: string }[];
  readonly mounts: readonly MountSpec[];
  readonly healthcheck?: HealthcheckSpec | { readonly disable: true };
  readonly dependsOn: Readonly<Record<string, DependencySpec>>;
  readonly deploy: DeploySpec;
  readonly logging?: LoggingSpec;
  readonly secrets: readonly FileReferenceSpec[];
  readonly configs: readonly FileReferenceSpec[];
  readonly privileged?: boolean;
  readonly networkMode?: string;
  readonly pid?: string;
  readonly readOnly?: boolean;
  readonly tty?: boolean;
  readonly stdinOpen?: boolean;
  readonly extraHosts: readonly string[];
  readonly dns: readonly string[];
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly ulimits: Readonly<Record<string, { readonly soft: number; readonly hard: number }>>;
  readonly sysctls: Readonly<Record<string, string>>;
  readonly shmSize?: number;
  readonly expose: readonly string[];
  /** compose `profiles:`; services with profiles are inactive unless selected. */
  readonly profiles: readonly string[];
  /**
   * compose `restart:` as written (`always`, `unless-stopped`, `on-failure:3`, `no`), kept for
   * `stack config` even when `deploy.restart_policy` decides. Not hashed: the effective
   * policy is `deploy.restartPolicy`.
   */
  readonly restart?: string;
  // Settings below are undefined when the file does not set them, so a spec (and its config
  // hash) written before they existed is unchanged.
  readonly devices?: readonly DeviceSpec[];
  readonly deviceCgroupRules?: readonly string[];
  readonly gpus?: readonly DeviceRequestSpec[];
  readonly securityOpt?: readonly string[];
  readonly cgroupParent?: string;
  readonly dnsSearch?: readonly string[];
  readonly dnsOptions?: readonly string[];
  readonly domainname?: string;
  readonly ipc?: string;
  readonly uts?: string;
  readonly macAddress?: string;
  readonly storageOpt?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Run after the container starts (compose `post_start`). */
  readonly postStart?: readonly HookSpec[];
  /** Run before the container is stopped (compose `pre_stop`). */
  readonly preStop?: readonly HookSpec[];
  /** Run before the container starts, in a container of the same settings (compose `pre_start`). */
  readonly preStart?: readonly HookSpec[];
  /** Compose keys present on this service that `stack` accepts but does not act on. */
  readonly ignoredKeys: readonly string[];
}

export interface NetworkSpec {
  /** The key in `networks:` (`default` for the implicit one). */
  readonly key: string;
  /** Engine name: `<stack>_<key>` unless `name:` or `external`. */
  readonly name: string;
  readonly external: boolean;
  readonly driver?: string;
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly attachable?: boolean;
  readonly internal?: boolean;
  readonly enableIpv6?: boolean;
  readonly ipam?: {
    readonly driver?: string;
    readonly config: readonly {
      readonly subnet?: string;
      readonly gateway?: string;
      readonly ipRange?: string;
    }[];
  };
  readonly labels: Readonly<Record<string, string>>;
}

export interface VolumeSpec {
  readonly key: string;
  /** Engine name: `<stack>_<key>` unless `name:` or `external`. */
  readonly name: string;
  readonly external: boolean;
  readonly driver?: string;
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/** A top-level secret or config: content from a file or from an environment variable. */
export interface FileObjectSpec {
  readonly key: string;
  readonly name: string;
  readonly external: boolean;
  /** Absolute path when from `file:`. */
  readonly file?: string;
  /** Variable name when from `environment:`. */
  readonly environment?: string;
  /** Inline `content:` (configs only). */
  readonly content?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The whole normalised stack. */
export interface StackSpec {
  /** Stack name (from the command line; else the file's `name:`; else the directory). */
  readonly name: string;
  /** Files it was loaded from, in merge order (`-` for stdin). */
  readonly files: readonly string[];
  /** Directory relative paths were resolved against. */
  readonly workingDir: string;
  readonly services: Readonly<Record<string, ServiceSpec>>;
  readonly networks: Readonly<Record<string, NetworkSpec>>;
  readonly volumes: Readonly<Record<string, VolumeSpec>>;
  readonly secrets: Readonly<Record<string, FileObjectSpec>>;
  readonly configs: Readonly<Record<string, FileObjectSpec>>;
  /** Image of the ingress proxy (`STACK_INGRESS_IMAGE`); undefined means the default. */
  readonly ingressImage?: string;
}
