/**
 * Exit codes of the `stack` command; documented in the README. Scripts and CI depend on
 * them, so they never change meaning.
 */
export const EXIT = {
  /** Everything asked for was done. */
  ok: 0,
  /** The engine was reached but an operation, a replica or `--wait` failed. */
  failed: 1,
  /** Invalid input: stack file, env file or command line. Nothing was changed. */
  invalidInput: 2,
  /** The Docker engine could not be reached. Nothing was changed. */
  engineUnavailable: 3,
  /** `--wait` ran out of time before the stack was ready. */
  timeout: 4,
  /** The stack, service or replica named has nothing on the engine. Nothing was changed. */
  notFound: 5,
  /** The driver cannot do this (say exec into a swarm task on another node). Nothing was changed. */
  unsupported: 6,
  /** Interrupted by Ctrl-C / SIGTERM; the next deploy completes the work. */
  interrupted: 130,
  /** A bug in stack: please report it with the output. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
