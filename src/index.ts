/**
 * Programmatic API of stack: load a stack file, deploy, inspect and remove stacks from code
 * (for example a test suite's global setup). The CLI is a thin layer over these functions.
 */
export { up, type UpEngineOptions } from "./up.js";
export { DEFAULT_UP_TIMEOUT_MS, type UpOptions } from "./api/up-stack.js";
export {
  StackHandle,
  type ControlServicesOptions,
  type DownOptions,
  type ExecCommandOptions,
  type ExecResult,
  type HostPort,
  type LogsReadOptions,
  type PortLookupOptions,
  type ReplicaOptions,
  type UrlOptions,
} from "./api/stack-handle.js";
export { UpError, type UpErrorDetails, type UpFailure } from "./api/up-error.js";
export { deployStack, type DeployOptions, type DeployResult } from "./api/deploy.js";
export { removeStack, type RemoveOptions } from "./api/remove.js";
export { followLogs, type LogsOptions } from "./api/logs.js";
export { listStacks, stackReplicas, stackServices } from "./api/status.js";
export { replicaRows, serviceRows, type ReplicaRow, type ServiceRow } from "./core/views.js";
export { connectDriver, type ConnectOptions } from "./drivers/connect-driver.js";
export { selectDriver, type DriverSelection } from "./drivers/select-driver.js";
export type {
  BuildOptions,
  ContainerStats,
  ControlAction,
  ControlOptions,
  ControlOutcome,
  Deployment,
  Driver,
  DriverIssues,
  DriverName,
  EngineEvent,
  EngineInfo,
  EngineKind,
  ExecOptions,
  ImageRow,
  LockHolder,
  LockOptions,
  LockOwner,
  LogLine,
  OneOffOptions,
  OperationLease,
  OperationRunner,
  PlanOptions,
  ProcessList,
  PublishedAddress,
  PullProgress,
  Removal,
  ReplicaExit,
  RetryBounds,
  RunContext,
  StackLock,
  StackSummary,
  TerminalSize,
  WaitOptions,
  WaitReplica,
  WaitResult,
  WatchOptions,
} from "./core/driver.js";
export type {
  ObservedContainer,
  ObservedPort,
  ContainerState,
  HealthState,
} from "./core/replica.js";
export {
  EngineError,
  InterruptedError,
  NotFoundError,
  UnsupportedError,
  type EngineErrorKind,
} from "./core/errors.js";
export type { RetryOptions } from "./core/retry-policy.js";
export { loadStack, type LoadStackOptions, type LoadedStack } from "./stackfile/load-stack.js";
export type { LoadOptions } from "./stackfile/load-document.js";
export { SpecError, formatIssue } from "./stackfile/errors.js";
export type * from "./model/types.js";
export { formatPlan } from "./core/format-plan.js";
export type { Plan, Operation } from "./core/operation.js";
export type { ProgressEvent, ProgressSink } from "./progress/events.js";
export { PlainSink } from "./progress/plain-sink.js";
export { JsonSink } from "./progress/json-sink.js";
