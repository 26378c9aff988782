/**
 * Programmatic API of stack: load a stack file, deploy, inspect and remove stacks from code
 * (for example a test suite's global setup). The CLI is a thin layer over these functions.
 */
export { deployStack, type DeployOptions, type DeployResult } from "./api/deploy.js";
export { removeStack, type RemoveOptions } from "./api/remove.js";
export { followLogs, type LogsOptions } from "./api/logs.js";
export {
  listStacks,
  stackReplicas,
  stackServices,
  replicaRows,
  serviceRows,
  type ReplicaRow,
  type ServiceRow,
} from "./api/status.js";
export { connectEngine } from "./engine/connect.js";
export type { Engine, EngineInfo, StackSummary } from "./engine/engine.js";
export { EngineError, type EngineErrorKind } from "./engine/errors.js";
export { loadStack, type LoadStackOptions, type LoadedStack } from "./spec/load-stack.js";
export { SpecError, formatIssue } from "./spec/errors.js";
export type * from "./spec/types.js";
export { formatPlan } from "./plan/format-plan.js";
export type { Plan, Operation } from "./plan/operation.js";
export type { ProgressEvent, ProgressSink } from "./progress/events.js";
export { PlainSink } from "./progress/plain-sink.js";
export { JsonSink } from "./progress/json-sink.js";
