import { compareStrings, sortOperations } from "./dependency-graph.js";
import type { Draft, Operation, Plan } from "./operation.js";

/** What a driver tells the plan builder about its own operation kinds. */
export interface OperationCatalog<Op extends Operation> {
  /**
   * Rank of each kind, breaking ties between operations ready at the same time, so printed
   * plans read top to bottom in a fixed order (infrastructure first, gates last).
   */
  readonly rank: Readonly<Record<Op["kind"], number>>;
  /** The words `--dry-run` prints for an operation, e.g. `create container app_web.3`. */
  describe(op: Draft<Op>): string;
}

interface Entry<Op extends Operation> {
  readonly op: Draft<Op>;
  readonly after: Set<string>;
  /** Insertion order; planners insert in sorted order, so this is deterministic. */
  readonly seq: number;
}

/**
 * Collects a planner's operations by id and emits them as a plan: topologically sorted over
 * `after` (sorted, deduplicated), ties by kind rank then insertion order, each with its text.
 * Pure; shared by every driver's planner.
 */
export class PlanBuilder<Op extends Operation> {
  private readonly entries = new Map<string, Entry<Op>>();

  constructor(private readonly catalog: OperationCatalog<Op>) {}

  /** Adds `op`; returns its id. A duplicate id is a planner bug. */
  add(op: Draft<Op>): string {
    if (this.entries.has(op.id)) throw new Error(`planner bug: duplicate operation id "${op.id}"`);
    this.entries.set(op.id, { op, after: new Set(op.after), seq: this.entries.size });
    return op.id;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Makes every operation in `ids` wait for every one of `deps` (never for itself). */
  dependOn(ids: readonly string[], deps: readonly string[]): void {
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry) throw new Error(`planner bug: unknown operation id "${id}"`);
      for (const dep of deps) if (dep !== id) entry.after.add(dep);
    }
  }

  /** The operations added so far that match `predicate`, in insertion order. */
  ops(predicate: (op: Draft<Op>) => boolean): Draft<Op>[] {
    return [...this.entries.values()].filter((e) => predicate(e.op)).map((e) => e.op);
  }

  ids(predicate: (op: Draft<Op>) => boolean): string[] {
    return this.ops(predicate).map((op) => op.id);
  }

  /** The plan of everything added, with `warnings` and (when any) `blockers`. */
  build(
    stack: string,
    warnings: readonly string[] = [],
    blockers: readonly string[] = [],
  ): Plan<Op> {
    const rank = this.catalog.rank as Readonly<Record<string, number>>;
    const seq = new Map<string, number>();
    const ops = [...this.entries.values()].map((e) => {
      seq.set(e.op.id, e.seq);
      // Every draft plus its text is one of the driver's operations.
      return {
        ...e.op,
        after: [...e.after].sort(compareStrings),
        text: this.catalog.describe(e.op),
      } as unknown as Op;
    });
    const operations = sortOperations(
      ops,
      (a, b) =>
        (rank[a.kind] ?? 0) - (rank[b.kind] ?? 0) || (seq.get(a.id) ?? 0) - (seq.get(b.id) ?? 0),
    );
    return { stack, operations, warnings, ...(blockers.length > 0 && { blockers }) };
  }
}
