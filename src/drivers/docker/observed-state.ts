/**
 * What the docker driver observes of one stack, read only by labels: its planner's input.
 * Arrays are in no particular order; the planner sorts before iterating.
 */
import type { ObservedContainer, ObservedNetwork } from "../../core/replica.js";

export interface ObservedVolume {
  readonly name: string;
  readonly key: string;
}

/** Everything the docker planner needs to know about the engine for one stack. */
export interface DockerObservedState {
  readonly stack: string;
  /** Replicas and the ingress: what the planner decides about. */
  readonly containers: readonly ObservedContainer[];
  /** One-off containers of `stack run` (role `run`): shown and removed, never planned. */
  readonly oneOffs?: readonly ObservedContainer[];
  readonly networks: readonly ObservedNetwork[];
  readonly volumes: readonly ObservedVolume[];
  /** Image references that are present locally (of those the observation was asked about). */
  readonly presentImages: readonly string[];
  /** Build-hash label of present images (of those asked about) that `stack` built. */
  readonly imageBuildHashes?: Readonly<Record<string, string>>;
  /**
   * The image ID (`sha256:<64 hex>`) each present image reference (of those asked about)
   * resolves to now: a replica created from an older ID runs a tag that has moved since.
   */
  readonly imageIds?: Readonly<Record<string, string>>;
  /** External network/volume names (of those asked about) that exist on the engine. */
  readonly externalNetworks: readonly string[];
  readonly externalVolumes: readonly string[];
  /**
   * When the engine last started (ISO 8601, the engine's clock), when asked for and known:
   * replicas that last ran before it were ended by the engine's restart, not by themselves.
   */
  readonly engineStartedAt?: string;
}

/** What an observation is asked to check besides the stack's own objects. */
export interface ObserveWants {
  readonly images?: readonly string[];
  readonly externalNetworks?: readonly string[];
  readonly externalVolumes?: readonly string[];
  /** Also read when the engine started (`DockerObservedState.engineStartedAt`). */
  readonly engineStart?: boolean;
}
