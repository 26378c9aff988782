/**
 * The engine calls the swarm driver is built from: services, overlay networks, secrets and
 * configs on a swarm manager, and the tasks swarm runs for them. `SwarmEngine` implements it
 * over dockerode. Every method throws `EngineError` only; removing something missing succeeds.
 */
import type { EngineEvent, EngineInfo, LogLine, StackSummary } from "../../core/driver.js";
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
  /** Creates service `service` of `spec`. */
  createService(spec: StackSpec, service: string): Promise<void>;
  /** Updates service `id` to the spec of `service`, sending the observed `version`. */
  updateService(spec: StackSpec, service: string, id: string, version: number): Promise<void>;
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
}
