import type { SwarmDesiredState, SwarmObservedState } from "./observed-state.js";
import type { StackSpec } from "../../model/types.js";
import type { Engine } from "../../core/engine.js";

export type { SwarmDesiredState } from "./observed-state.js";

/**
 * An engine driver that manages a stack as Swarm services (the swarm driver). Besides the
 * container-shaped `Engine` (whose `observe` returns tasks as replica rows, so `ps`, `logs`
 * and `ls` work unchanged) it reads and writes at the service level. Every method throws
 * `EngineError` only; removing something missing succeeds.
 */
export interface ServiceEngine extends Engine {
  readonly driver: "swarm";
  /** Reads the stack's services, tasks, networks, secrets, configs and the cluster's nodes. */
  observeSwarm(
    stack: string,
    want?: {
      readonly externalNetworks?: readonly string[];
      readonly externalSecrets?: readonly string[];
      readonly externalConfigs?: readonly string[];
    },
  ): Promise<SwarmObservedState>;
  /**
   * The desired state of `spec`; reads secret/config files (and `env` for `environment:`
   * ones) to name them by content. Memoised per spec object. Throws an `invalid` EngineError
   * for an unreadable file or an unset variable.
   */
  desiredState(
    spec: StackSpec,
    env?: Readonly<Record<string, string | undefined>>,
  ): Promise<SwarmDesiredState>;
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
}

/** True when `engine` is the swarm driver. */
export function isServiceEngine(engine: Engine): engine is ServiceEngine {
  return engine.driver === "swarm";
}
