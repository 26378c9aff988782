/**
 * Every label `stack` writes or reads on engine objects, in one place. Observation is by
 * these labels only, so `docker ps --filter label=stack.name=NAME` shows what stack sees.
 */
export const LABELS = {
  /** Stack name, on every container, network and volume. */
  stack: "stack.name",
  /** Service key in the stack file (containers). */
  service: "stack.service",
  /** 1-based replica slot (containers). */
  slot: "stack.slot",
  /** Config hash of the service (containers) or network definition (networks). */
  configHash: "stack.config-hash",
  /** Network key in the stack file (networks). */
  network: "stack.network",
  /** Volume key in the stack file (volumes). */
  volume: "stack.volume",
  /** Version of stack that created the object. */
  version: "stack.version",
  /** Container role: `replica` for service replicas, `ingress`, `run` for one-offs of `stack run`. */
  role: "stack.role",
  /** Hash of the build settings and context an image was built from (images). */
  buildHash: "stack.build-hash",
  /** The ingress container's routes, JSON `[{service, target, listen}]`, for `stack port`. */
  ingressRoutes: "stack.ingress-routes",
  /** Swarm services stopped by `stack stop`: their replica count before, for `stack start`. */
  stoppedReplicas: "stack.stopped-replicas",
} as const;

/** Swarm's own namespace label, used by the swarm driver so `docker stack` tools work. */
export const SWARM_NAMESPACE_LABEL = "com.docker.stack.namespace";

/** Label filter value selecting every object of `stack`. */
export function stackFilter(stack: string): string {
  return `${LABELS.stack}=${stack}`;
}
