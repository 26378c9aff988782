import { EngineError } from "../../core/errors.js";
import type { EngineErrorKind } from "../../core/errors.js";

/** Socket-level error codes that mean "the engine cannot be reached" (retryable). */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOENT",
  "EACCES",
  "EPERM",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ESOCKETTIMEDOUT",
]);

interface ErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly json?: unknown;
  readonly reason?: unknown;
  readonly syscall?: unknown;
}

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === "object" && err !== null ? (err as ErrorLike) : { message: String(err) };
}

/**
 * The engine's own message from a docker-modem error: `json` is the parsed body
 * (`{ message }`), a raw Buffer/string when it was not JSON, or null.
 */
export function engineMessage(err: unknown): string | undefined {
  const e = asErrorLike(err);
  const json = e.json;
  if (typeof json === "object" && json !== null && !Buffer.isBuffer(json)) {
    const m = (json as { message?: unknown }).message;
    if (typeof m === "string" && m.trim() !== "") return m.trim();
  }
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString("utf8").trim() || undefined;
  if (typeof json === "string" && json.trim() !== "") return json.trim();
  return undefined;
}

/**
 * True for Podman's answer to a name already taken: 500, not 409, with the reason in `cause`
 * (checked on podman 4.3.1: "that name is already in use" for a container create or rename,
 * "network already exists" for a network create).
 */
function podmanNameConflict(err: unknown, status: number): boolean {
  if (status !== 500) return false;
  const json = asErrorLike(err).json;
  const cause =
    typeof json === "object" && json !== null && !Buffer.isBuffer(json)
      ? (json as { cause?: unknown }).cause
      : undefined;
  return typeof cause === "string" && /already in use|already exists/.test(cause);
}

/**
 * A start refused because containerd still holds a task of that container: left by a dockerd
 * killed in the middle of starting it (reproduced with SIGKILL: dockerd 20.10 then answers
 * 500 `task <container id>: already exists` to every start, and records it as the
 * container's State.Error). No retry gets past it; removing and recreating the container does.
 */
export const STALE_TASK_PATTERN = /\b(?:task|container) [0-9a-f]{12,64}: already exists/;

function kindForStatus(status: number): EngineErrorKind {
  if (status === 304) return "not-modified";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 408 || status === 429) return "server"; // transient: worth a retry
  if (status >= 500) return "server";
  return "invalid";
}

/**
 * Turns anything dockerode, docker-modem or Node's sockets throw into an `EngineError`,
 * the one place errors are classified: socket failures (refused, missing socket, permission,
 * timeout, reset, "socket hang up") -> `unavailable` with a message naming `address` and
 * what to try; HTTP 304 not-modified, 404 not-found, 409 conflict (and Podman's 500 for a
 * name in use), 5xx server, other 4xx invalid. The message starts with `context` (what was being done) and includes the engine's
 * own message. An `EngineError` passes through unchanged.
 */
export function toEngineError(err: unknown, context: string, address?: string): EngineError {
  if (err instanceof EngineError) return err;
  const e = asErrorLike(err);
  const rawMessage = typeof e.message === "string" ? e.message : String(err);
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  if (status !== undefined) {
    const detail =
      engineMessage(err) ?? (typeof e.reason === "string" ? e.reason : `HTTP ${status}`);
    // Podman's 500 for a taken name, and a 5xx no retry can fix (a stale task), are
    // conflicts with the engine's state, not hiccups.
    const kind =
      podmanNameConflict(err, status) || (status >= 500 && STALE_TASK_PATTERN.test(detail))
        ? "conflict"
        : kindForStatus(status);
    return new EngineError(kind, `${context}: ${detail}`, {
      statusCode: status,
      cause: err,
    });
  }
  const code = typeof e.code === "string" ? e.code : undefined;
  const hangUp = /socket hang up|connection (refused|reset)/i.test(rawMessage);
  if ((code !== undefined && UNAVAILABLE_CODES.has(code)) || hangUp) {
    const where = address ?? "the configured address";
    const syscall = typeof e.syscall === "string" ? e.syscall : undefined;
    const why = syscall !== undefined && code !== undefined ? `${syscall} ${code}` : rawMessage;
    const hint =
      code === "EACCES" || code === "EPERM"
        ? "does this user have permission to use the Docker socket (root or the docker group)?"
        : "is dockerd running?";
    return new EngineError(
      "unavailable",
      `${context}: cannot reach the Docker engine at ${where} (${why}): ${hint} Use --context NAME or set DOCKER_HOST to use another engine.`,
      { cause: err },
    );
  }
  if (err instanceof Error && err.name === "AbortError") {
    return new EngineError("timeout", `${context}: aborted`, { cause: err });
  }
  return new EngineError("server", `${context}: ${rawMessage}`, { cause: err });
}

/** True when `err` is an EngineError of one of `kinds`. */
export function isEngineErrorKind(
  err: unknown,
  ...kinds: readonly EngineErrorKind[]
): err is EngineError {
  return err instanceof EngineError && kinds.includes(err.kind);
}
