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
  | "failed"; // an operation completed but the result is a failure (container exited 1)

export class EngineError extends Error {
  readonly kind: EngineErrorKind;
  readonly statusCode?: number;
  readonly retryable: boolean;

  constructor(
    kind: EngineErrorKind,
    message: string,
    options?: { statusCode?: number; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EngineError";
    this.kind = kind;
    if (options?.statusCode !== undefined) this.statusCode = options.statusCode;
    this.retryable = kind === "unavailable" || kind === "server";
  }
}
