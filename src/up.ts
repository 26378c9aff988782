/**
 * `up()`, the entry point for tests: {@link upStack} with the engine chosen the way the CLI
 * chooses it (DOCKER_HOST, Docker contexts, swarm on a swarm manager).
 */
import type { Driver, DriverName } from "./core/driver.js";
import type { StackHandle } from "./api/stack-handle.js";
import { upStack, type UpOptions } from "./api/up-stack.js";
import { selectDriver } from "./drivers/select-driver.js";

/** {@link UpOptions} and which engine to use. */
export interface UpEngineOptions extends UpOptions {
  /**
   * `docker` or `swarm`, or a driver made with `connectDriver`. Default: swarm when the
   * engine is an active swarm manager, docker otherwise.
   */
  readonly driver?: DriverName | Driver;
  /** The Docker context to use (wins over DOCKER_HOST and the current context). */
  readonly context?: string;
}

/**
 * Deploys a stack for a test and waits until it is ready: every replica running and
 * healthy, one-shot jobs exited 0, published TCP ports answering. Resolves with a handle
 * (`port`, `url`, `exec`, `logs`, `container`, `restart`/`stop`/`start`, `down`) that
 * `await using` removes at the end of its scope. Throws SpecError for an invalid stack (nothing
 * is created) and UpError naming the replica that failed, why and its last log lines (what
 * was created is removed unless `keepOnFailure`).
 *
 * @example
 * ```ts
 * await using env = await up({ file: "stack.yml" });
 * const res = await fetch(await env.url("web", 8080));
 * const { exitCode, stdout } = await env.exec("db", ["mysql", "-e", "select 1"]);
 * ```
 */
export async function up(options: UpEngineOptions = {}): Promise<StackHandle> {
  const { driver, context, ...rest } = options;
  if (driver !== undefined && typeof driver !== "string") return upStack(rest, driver);
  const env = { ...process.env, ...options.env };
  const selection = await selectDriver(env, {
    ...(driver !== undefined && { driver }),
    ...(context !== undefined && { context }),
  });
  return upStack(rest, selection.driver);
}
