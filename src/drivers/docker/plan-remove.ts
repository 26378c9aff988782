import { compareStrings } from "../../core/dependency-graph.js";
import type { Plan } from "../../core/operation.js";
import { PlanBuilder } from "../../core/plan-builder.js";
import type { DockerObservedState } from "./observed-state.js";
import { DOCKER_OPERATIONS, removeContainerDraft, type DockerOperation } from "./operations.js";

/** What `stack rm` removes besides containers and networks. */
export interface PlanRemoveOptions {
  /** Also remove the stack's named volumes (`stack rm --volumes`); their data is lost. */
  readonly volumes: boolean;
}

/**
 * Plans `stack rm`: remove every observed container of the stack (one-offs of `stack run`
 * included), then every network of the
 * stack once all containers are gone (a network with attached containers cannot be
 * removed), then, only with `volumes`, every named volume of the stack. Pure, and
 * independent of the order of the observation. External networks and volumes are never in
 * the observation (it is by stack label), so they are never removed.
 */
export function planRemove(
  observed: DockerObservedState,
  options: PlanRemoveOptions,
): Plan<DockerOperation> {
  const b = new PlanBuilder(DOCKER_OPERATIONS);
  const containerOps: string[] = [];
  const containers = [...observed.containers, ...(observed.oneOffs ?? [])].sort(
    (a, b) =>
      compareStrings(a.service, b.service) ||
      // Highest slots first, as with scale-down.
      (Number.isFinite(a.slot) && Number.isFinite(b.slot) ? b.slot - a.slot : 0) ||
      compareStrings(a.name, b.name) ||
      compareStrings(a.id, b.id),
  );
  for (const c of containers) {
    containerOps.push(b.add(removeContainerDraft(c, "removed by rm")));
  }

  const networks = [...observed.networks].sort(
    (a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id),
  );
  const seen = new Set<string>();
  for (const n of networks) {
    // Docker tolerates two networks with one name; the id keeps operation ids unique then.
    const id = seen.has(n.name) ? `network:${n.name}:${n.id}:remove` : `network:${n.name}:remove`;
    seen.add(n.name);
    b.add({
      id,
      kind: "remove-network",
      name: n.name,
      networkId: n.id,
      cause: "removed by rm",
      after: containerOps,
    });
  }

  if (options.volumes) {
    const names = [...new Set(observed.volumes.map((v) => v.name))].sort(compareStrings);
    for (const name of names) {
      b.add({
        id: `volume:${name}:remove`,
        kind: "remove-volume",
        name,
        cause: "removed by rm",
        after: containerOps,
      });
    }
  }

  return b.build(observed.stack);
}
