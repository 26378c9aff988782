import {
  OPERATION_KIND_RANK,
  compareStrings,
  sortOperations,
} from "../../core/dependency-graph.js";
import type { ObservedState } from "../../core/observed-state.js";
import type { Operation, Plan } from "../../core/operation.js";

/** What `stack rm` removes besides containers and networks. */
export interface PlanRemoveOptions {
  /** Also remove the stack's named volumes (`stack rm --volumes`); their data is lost. */
  readonly volumes: boolean;
}

/**
 * Plans `stack rm`: remove every observed container of the stack, then every network of the
 * stack once all containers are gone (a network with attached containers cannot be
 * removed), then, only with `volumes`, every named volume of the stack. Pure, and
 * independent of the order of the observation. External networks and volumes are never in
 * the observation (it is by stack label), so they are never removed.
 */
export function planRemove(observed: ObservedState, options: PlanRemoveOptions): Plan {
  const ops: Operation[] = [];
  const containers = [...observed.containers].sort(
    (a, b) =>
      compareStrings(a.service, b.service) ||
      // Highest slots first, as with scale-down.
      (Number.isFinite(a.slot) && Number.isFinite(b.slot) ? b.slot - a.slot : 0) ||
      compareStrings(a.name, b.name) ||
      compareStrings(a.id, b.id),
  );
  for (const c of containers) {
    ops.push({
      id: `container:${c.name}:remove`,
      kind: "remove-container",
      name: c.name,
      containerId: c.id,
      service: c.service,
      ...(Number.isInteger(c.slot) && { slot: c.slot }),
      cause: "removed by rm",
      after: [],
    });
  }
  const containerOps = ops.map((op) => op.id).sort(compareStrings);

  const networks = [...observed.networks].sort(
    (a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id),
  );
  const seen = new Set<string>();
  for (const n of networks) {
    // Docker tolerates two networks with one name; the id keeps operation ids unique then.
    const id = seen.has(n.name) ? `network:${n.name}:${n.id}:remove` : `network:${n.name}:remove`;
    seen.add(n.name);
    ops.push({
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
      ops.push({
        id: `volume:${name}:remove`,
        kind: "remove-volume",
        name,
        cause: "removed by rm",
        after: containerOps,
      });
    }
  }

  const seq = new Map(ops.map((op, i) => [op.id, i]));
  const operations = sortOperations(
    ops,
    (a, b) =>
      OPERATION_KIND_RANK[a.kind] - OPERATION_KIND_RANK[b.kind] ||
      (seq.get(a.id) ?? 0) - (seq.get(b.id) ?? 0),
  );
  return { stack: observed.stack, operations, warnings: [] };
}
