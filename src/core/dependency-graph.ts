import type { DependencyCondition, ServiceSpec } from "../model/types.js";

/**
 * Compares strings by UTF-16 code units, never by locale, so every machine sorts alike.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Thrown when operations do not form a DAG or name an unknown dependency (a planner bug). */
export class PlanGraphError extends Error {
  override readonly name = "PlanGraphError";
}

/** A binary min-heap; Kahn's algorithm pops the smallest ready node each round. */
class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i] as T, items[parent] as T) >= 0) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let min = i;
        if (l < items.length && this.compare(items[l] as T, items[min] as T) < 0) min = l;
        if (r < items.length && this.compare(items[r] as T, items[min] as T) < 0) min = r;
        if (min === i) break;
        [items[i], items[min]] = [items[min] as T, items[i] as T];
        i = min;
      }
    }
    return top;
  }
}

/** How {@link topologicalOrder} reads nodes and what it does on a cycle. */
export interface TopologicalOrderOptions<T> {
  /** Unique key of a node. */
  readonly key: (node: T) => string;
  /** Keys of the nodes that must come before this one; each must be the key of a node. */
  readonly dependencies: (node: T) => readonly string[];
  /** Total order among nodes that are ready at the same time. */
  readonly compare: (a: T, b: T) => number;
  /**
   * `throw`: a cycle is an error. `break`: when nothing is ready, the smallest remaining node
   * (by `compare`) is emitted anyway, so every node appears exactly once.
   */
  readonly onCycle: "throw" | "break";
}

/**
 * Returns the nodes in dependency order (Kahn's algorithm): every node after all its
 * dependencies, ties broken by `compare`, so the result depends only on the set of nodes and
 * edges, never on input order. Throws {@link PlanGraphError} on duplicate keys, unknown
 * dependencies, or (with `onCycle: "throw"`) a cycle.
 */
export function topologicalOrder<T>(nodes: readonly T[], options: TopologicalOrderOptions<T>): T[] {
  const { key, dependencies, compare, onCycle } = options;
  const byKey = new Map<string, T>();
  for (const node of nodes) {
    const k = key(node);
    if (byKey.has(k)) throw new PlanGraphError(`duplicate node "${k}"`);
    byKey.set(k, node);
  }
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const node of nodes) {
    const k = key(node);
    const deps = new Set(dependencies(node));
    for (const dep of deps) {
      if (!byKey.has(dep)) throw new PlanGraphError(`"${k}" depends on unknown "${dep}"`);
      const list = dependents.get(dep);
      if (list) list.push(k);
      else dependents.set(dep, [k]);
    }
    indegree.set(k, deps.size);
  }

  const ready = new MinHeap<T>(compare);
  for (const node of nodes) if (indegree.get(key(node)) === 0) ready.push(node);
  const out: T[] = [];
  const emitted = new Set<string>();
  while (out.length < nodes.length) {
    let next = ready.pop();
    if (next === undefined) {
      const remaining = nodes.filter((n) => !emitted.has(key(n)));
      if (onCycle === "throw") {
        const keys = remaining.map(key).sort(compareStrings);
        throw new PlanGraphError(`dependency cycle among: ${keys.join(", ")}`);
      }
      next = [...remaining].sort(compare)[0] as T;
    }
    const k = key(next);
    if (emitted.has(k)) continue;
    emitted.add(k);
    out.push(next);
    for (const dependent of dependents.get(k) ?? []) {
      const left = (indegree.get(dependent) ?? 0) - 1;
      indegree.set(dependent, left);
      if (left === 0 && !emitted.has(dependent)) ready.push(byKey.get(dependent) as T);
    }
  }
  return out;
}

/**
 * Orders service names so that every service comes after the services it `depends_on`,
 * ties by name. Dependencies on services that are not in `services` are ignored. Cycles are
 * rejected earlier by the spec checks; should one slip through, it is broken at the
 * alphabetically first service instead of failing, so the planner never loops.
 */
export function orderServices(services: Readonly<Record<string, ServiceSpec>>): string[] {
  const names = Object.keys(services).sort(compareStrings);
  return topologicalOrder(names, {
    key: (name) => name,
    dependencies: (name) =>
      Object.keys(services[name]?.dependsOn ?? {}).filter((dep) => dep !== name && dep in services),
    compare: compareStrings,
    onCycle: "break",
  });
}

/** How much each depends_on condition asks of a dependency, weakest first. */
const CONDITION_STRENGTH: Readonly<Record<DependencyCondition, number>> = {
  service_started: 0,
  service_healthy: 1,
  service_completed_successfully: 2,
};

/**
 * The stronger of two depends_on conditions (`service_completed_successfully` >
 * `service_healthy` > `service_started`): one wait at the stronger condition serves every
 * dependent of a dependency, so one failed dependency is one failed wait.
 */
export function strongerCondition(
  a: DependencyCondition | undefined,
  b: DependencyCondition,
): DependencyCondition {
  return a !== undefined && CONDITION_STRENGTH[a] >= CONDITION_STRENGTH[b] ? a : b;
}

/**
 * Sorts operations topologically over their `after` edges, ties broken by `compare` (each
 * driver ranks its own kinds). Throws {@link PlanGraphError} when an `after` names no
 * operation of the list or the edges form a cycle.
 */
export function sortOperations<
  Op extends { readonly id: string; readonly after: readonly string[] },
>(operations: readonly Op[], compare: (a: Op, b: Op) => number): Op[] {
  return topologicalOrder(operations, {
    key: (op) => op.id,
    dependencies: (op) => op.after,
    compare,
    onCycle: "throw",
  });
}
