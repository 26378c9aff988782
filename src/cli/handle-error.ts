import { CommanderError } from "commander";
import { EngineError, NotFoundError, UnsupportedError } from "../core/errors.js";
import { SpecError } from "../stackfile/errors.js";
import { EXIT, type ExitCode } from "./exit-codes.js";

/** Thrown by commands to end with a message and a given exit code (no stack trace). */
export class CliExit extends Error {
  readonly code: ExitCode;
  constructor(code: ExitCode, message: string) {
    super(message);
    this.name = "CliExit";
    this.code = code;
  }
}

/**
 * The one place errors become output and exit codes. Known errors print one clear message;
 * only unknown errors (bugs) print a stack trace, and only with STACK_DEBUG set.
 */
export function handleError(
  err: unknown,
  write: (text: string) => void,
  env = process.env,
): ExitCode {
  if (err instanceof SpecError) {
    write(`error: invalid input\n${err.message}\n`);
    return EXIT.invalidInput;
  }
  if (err instanceof CliExit) {
    if (err.message) write(`${err.message}\n`);
    return err.code;
  }
  if (err instanceof NotFoundError) {
    write(`error: ${err.message}\n`);
    return EXIT.notFound;
  }
  if (err instanceof UnsupportedError) {
    write(`error: ${err.message}\n`);
    return EXIT.unsupported;
  }
  if (err instanceof CommanderError) {
    // commander has already printed its message.
    return err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
  }
  if (err instanceof EngineError) {
    write(`error: ${err.message}\n`);
    if (err.kind === "unavailable") return EXIT.engineUnavailable;
    if (err.kind === "timeout") return EXIT.timeout;
    return EXIT.failed;
  }
  const detail =
    err instanceof Error
      ? env.STACK_DEBUG
        ? (err.stack ?? err.message)
        : err.message
      : String(err);
  write(
    `internal error: ${detail}\nThis is a bug in stack; set STACK_DEBUG=1 for a stack trace and report it.\n`,
  );
  return EXIT.internal;
}
