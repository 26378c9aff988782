/**
 * Engine failures, classified once. `retryable` drives p-retry; `kind` drives the CLI's
 * message and exit code.
 */
export type EngineErrorKind =
  | "unavailable" // socket refused / timed out / DNS: the engine cannot be reached
  | "not-found" // 404
  | "conflict" // 409 (name in use, container running)
  | "not-modified" // 304 (already started / stopped): callers treat as success
  | "invalid" // 400 and other client errors: the request is wrong, retrying will not help
  | "server" // 5xx: the engine failed, may succeed on retry
  | "timeout" // a wait ran out
  | "failed" // an operation completed but the result is a failure (container exited 1)
  | "unsupported"; // the engine lacks the feature (Podman 4.3: no POST /containers/{id}/update)

export class EngineError extends Error {
  readonly kind: EngineErrorKind;
  readonly statusCode?: number;
  readonly retryable: boolean;

  /**
   * `retryable` defaults to the kind's (`unavailable` and `server` are); a failure the
   * engine cannot get out of by itself (a wedged engine) says `false` whatever its kind.
   */
  constructor(
    kind: EngineErrorKind,
    message: string,
    options?: { statusCode?: number; cause?: unknown; retryable?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EngineError";
    this.kind = kind;
    if (options?.statusCode !== undefined) this.statusCode = options.statusCode;
    // `retryable: false` marks a failure no retry can fix although its kind usually can be
    // retried: an ssh host key or login the engine's host refused.
    this.retryable = options?.retryable ?? (kind === "unavailable" || kind === "server");
  }
}

/**
 * A step of the apply phase failed for a reason the user must see: a replica crashed, stayed
 * unhealthy, or a wait ran out (`kind` "timeout"). Carries the replica's last log lines and
 * whether the failure blocks the operations that depend on it (a rolling update with
 * failure_action continue does not).
 */
export class StepFailure extends EngineError {
  readonly logs?: readonly string[];
  readonly blocking: boolean;
  /**
   * True when the next observation shows what went wrong and the planner has an operation
   * for it (a replica the engine refuses to start because of a task left by a crash is
   * recreated): the converge loop plans again instead of stopping at this round.
   */
  readonly replan: boolean;

  constructor(
    message: string,
    options: {
      readonly kind?: "failed" | "timeout";
      readonly logs?: readonly string[];
      readonly blocking?: boolean;
      readonly replan?: boolean;
      readonly cause?: unknown;
    } = {},
  ) {
    super(
      options.kind ?? "failed",
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "StepFailure";
    if (options.logs !== undefined && options.logs.length > 0) this.logs = options.logs;
    this.blocking = options.blocking ?? true;
    this.replan = options.replan ?? false;
  }
}

/** The apply step was interrupted (Ctrl-C): the work in hand stopped at a safe point. */
export class InterruptedError extends Error {
  constructor(message = "interrupted") {
    super(message);
    this.name = "InterruptedError";
  }
}

/**
 * What a command names is not there: a stack with nothing on the engine, a service without
 * replicas, a replica index the service does not have. Thrown before anything changes; the
 * CLI exits with its own code so scripts can tell "not deployed" from a failure.
 */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/**
 * The driver cannot do what was asked, and says why and what to do instead (exec into a
 * swarm task on another node, build on a swarm). Thrown before anything changes.
 */
export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedError";
  }
}
