/** The apply step: executes plans against an `Engine`, converges a stack, waits for readiness. */
export {
  converge,
  DEFAULT_MAX_ROUNDS,
  type ConvergeContext,
  type ConvergeResult,
  type ReconcileFn,
} from "./converge.js";
export {
  executePlan,
  type ExecuteContext,
  type ExecuteResult,
  type FailedOperation,
} from "./execute-plan.js";
export {
  conditionPhrase,
  currentReplicas,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_READY_TIMEOUT_MS,
  describeContainer,
  FAILURE_LOG_LINES,
  judgeReplica,
  restartComing,
  StepFailure,
  tailLogs,
  waitReady,
  type ReadinessContext,
  type ReplicaSlot,
  type ReplicaVerdict,
} from "./readiness.js";
export {
  monitorReplica,
  replaceReplica,
  RolloutTracker,
  type ReplaceContext,
  type ReplaceOperation,
} from "./replace-replica.js";
export {
  DEFAULT_RETRY,
  engineCall,
  InterruptedError,
  sleep,
  throwIfInterrupted,
  withRetry,
  type RetryOptions,
} from "./retry-policy.js";
export {
  judgeForWait,
  oneShotServices,
  waitForStack,
  type WaitContext,
  type WaitReplica,
  type WaitResult,
} from "./wait-stack.js";
