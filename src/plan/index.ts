/** The pure planner: observed state + spec -> plan of operations, and its text form. */
export type { Cause, Operation, OperationKind, Plan } from "./operation.js";
export type {
  ContainerState,
  HealthState,
  ObservedContainer,
  ObservedNetwork,
  ObservedPort,
  ObservedState,
  ObservedVolume,
} from "./observed-state.js";
export { reconcile, type ReconcileOptions } from "./reconcile.js";
export { planRemove, type PlanRemoveOptions } from "./plan-rm.js";
export { describePlannedOperation, formatPlan } from "./format-plan.js";
export {
  OPERATION_KIND_RANK,
  PlanGraphError,
  compareOperations,
  compareStrings,
  orderServices,
  sortOperations,
  topologicalOrder,
  type TopologicalOrderOptions,
} from "./dependency-graph.js";
