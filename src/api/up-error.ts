/**
 * The error `up()` throws when the stack did not come up: which replica failed, why, and the
 * last lines it logged, as fields a test can assert on and as one readable message.
 */

/** Why `up()` failed: the stack could not be deployed, or it did not become ready in time. */
export type UpFailure = "failed" | "timed-out" | "interrupted";

/** What {@link UpError} carries besides its message. */
export interface UpErrorDetails {
  /** The stack `up()` deployed (removed again unless `keepOnFailure` was set). */
  readonly stackName: string;
  readonly reason: UpFailure;
  /** The service the failure is about, when it is about one. */
  readonly service?: string;
  /** The replica's engine name, e.g. `app_db.1`, when the failure is about one. */
  readonly replica?: string;
  /** The replica's last log lines (oldest first); empty when there are none. */
  readonly logs: readonly string[];
}

/**
 * Thrown by `up()` when the stack did not come up: the message names the stack, the service
 * or replica and why ("replica app_db.1 exited with code 1"), followed by its last log lines;
 * the same facts are fields. Invalid stack files throw `SpecError` instead, and an engine
 * that cannot be reached `EngineError`.
 */
export class UpError extends Error implements UpErrorDetails {
  readonly stackName: string;
  readonly reason: UpFailure;
  readonly service?: string;
  readonly replica?: string;
  readonly logs: readonly string[];

  constructor(why: string, details: UpErrorDetails) {
    const logs =
      details.logs.length === 0
        ? ""
        : `\nlast log lines of ${details.replica ?? details.service ?? "the replica"}:\n${details.logs.map((l) => `  ${l}`).join("\n")}`;
    super(`stack ${details.stackName} did not come up: ${why}${logs}`);
    this.name = "UpError";
    this.stackName = details.stackName;
    this.reason = details.reason;
    if (details.service !== undefined) this.service = details.service;
    if (details.replica !== undefined) this.replica = details.replica;
    this.logs = details.logs;
  }
}
