import type { DependencyCondition } from "../model/types.js";

/**
 * One step of a plan, as the driver-neutral core sees it: an id, the ids it waits for, why it
 * is there, and what it does in words. Each driver extends it with its own kinds (one engine
 * call, or one small fixed sequence of calls its runner performs without deciding anything);
 * the waits below are shared by every driver.
 */
export interface Operation {
  /** Unique, stable id, e.g. `container:web.3:create`; used in `after` edges. */
  readonly id: string;
  /** What kind of step this is, e.g. `create-container`; the driver's runner switches on it. */
  readonly kind: string;
  /** Ids of operations that must succeed before this one starts. */
  readonly after: readonly string[];
  /** Why the operation is in the plan ("config hash diverged", "scale down"); printed by `--dry-run`. */
  readonly cause: string;
  /** The service the operation belongs to, if any (for grouping in UIs and failure scope). */
  readonly service?: string;
  /**
   * What it does, e.g. `create container app_web.3`: the words `deploy --dry-run` prints and
   * the progress sinks show. Set by the planner that made the operation.
   */
  readonly text: string;
}

/** Readiness gate: `service` reaches `condition` (a dependency or an update batch). */
export interface WaitReadyOperation extends Operation {
  readonly kind: "wait-ready";
  readonly service: string;
  readonly condition: DependencyCondition;
}

/** A pause between rolling-update batches (`update_config.delay`). */
export interface DelayOperation extends Operation {
  readonly kind: "delay";
  readonly ms: number;
}

/** The operations every driver's plans may contain: they wait and write nothing. */
export type WaitOperation = WaitReadyOperation | DelayOperation;

/** True for operations that only wait: they take no write slot and change nothing. */
export function isWait(op: Operation): op is WaitOperation {
  return op.kind === "wait-ready" || op.kind === "delay";
}

/** True for a `delay` operation (the executor sleeps it itself). */
export function isDelay(op: Operation): op is DelayOperation {
  return op.kind === "delay";
}

/** `250ms`, `1.5s`, `10s`: update_config.delay as a user wrote it. */
function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

/** The text of a `wait-ready` operation, e.g. `wait for db (service healthy)`. */
export function waitReadyText(op: Pick<WaitReadyOperation, "service" | "condition">): string {
  return `wait for ${op.service} (${op.condition.replace(/_/g, " ")})`;
}

/** The text of a `delay` operation, e.g. `wait 10s between web update batches`. */
export function delayText(op: Pick<DelayOperation, "ms" | "service">): string {
  const between = op.service === undefined ? "" : `${op.service} `;
  return `wait ${formatDelay(op.ms)} between ${between}update batches`;
}

/** The text of a wait operation, as every driver prints it. */
export function waitText(op: Draft<WaitOperation>): string {
  return op.kind === "wait-ready" ? waitReadyText(op) : delayText(op);
}

/** Ranks of the wait operations: after the work they wait between or for. */
export const WAIT_RANKS = { delay: 9, "wait-ready": 10 } as const;

/** An operation as a planner builds it, before its text is added. */
export type Draft<Op extends Operation> = Op extends Operation ? Omit<Op, "text"> : never;

/** A plan: operations forming a DAG through `after`, plus what deserves a warning. */
export interface Plan<Op extends Operation = Operation> {
  readonly stack: string;
  /** Topologically sorted: every op comes after all ops it names in `after`. */
  readonly operations: readonly Op[];
  /** Notes for the user (orphans kept without --prune, etc.). */
  readonly warnings: readonly string[];
  /**
   * Conditions that make the plan impossible to apply (an external network or volume that
   * does not exist, an unknown service asked for); absent when there are none. The CLI
   * refuses to apply a plan with blockers and reports them as errors; `--dry-run` prints them.
   */
  readonly blockers?: readonly string[];
}
