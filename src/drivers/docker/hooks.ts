/**
 * Lifecycle hooks of a service on the docker driver, run as docker compose runs them:
 *
 * - `post_start`: after a replica starts, each hook in order through the engine's exec API
 *   in that replica (the hook's user, privileged, working_dir, and its environment added to
 *   the container's); a non-zero exit fails the step ("web post_start[0] exited with status
 *   3"); the replica keeps running.
 * - `pre_stop`: before `stack` stops a running replica (rm, scale-down, prune, replacement,
 *   `stack stop`/`restart`), each hook in order by exec in it. A failing or hanging hook is
 *   reported, never a reason to keep the replica: the caller stops it anyway (teardown must
 *   not be blocked by a broken hook), so these functions return the failure instead of
 *   throwing it. A hook still running after {@link PRE_STOP_HOOK_TIMEOUT_MS} counts as
 *   failed.
 * - `pre_start`: after a replica is created and before it starts, each hook in its own
 *   one-off container of the service (`stack run`'s container: the service's networks,
 *   mounts, secrets, user, working_dir and environment, the hook's settings over them, the
 *   hook's `image:` or else the service's), one after the other; the hook container is
 *   always removed, also when the hook fails or Ctrl-C interrupts it. A non-zero exit fails
 *   the step and leaves the replica created, not started.
 *
 * Every line a hook prints goes to the progress stream as a `hook-output` event.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { EngineError, InterruptedError, StepFailure } from "../../core/errors.js";
import type { HookSpec, ServiceSpec, StackSpec } from "../../model/types.js";
import type { ProgressSink } from "../../progress/events.js";
import type { ContainerEngine } from "./container-engine.js";
import { createReplica } from "./create-replica.js";
import { serviceConfigHash } from "../../model/config-hash.js";

/** The longest one `pre_stop` hook may run before the stop goes on without it. */
export const PRE_STOP_HOOK_TIMEOUT_MS = 60_000;

/** How many of a failed `pre_start` hook's last output lines its failure carries. */
const FAILURE_TAIL_LINES = 5;

/** What running the hooks of one replica needs. */
export interface HookContext {
  readonly engine: ContainerEngine;
  readonly spec: StackSpec;
  readonly sink: ProgressSink;
  /** Ctrl-C: a running hook is given up (a pre_start hook's container is stopped and removed). */
  readonly signal?: AbortSignal;
}

/** The replica a hook runs for. */
export interface HookReplica {
  readonly service: ServiceSpec;
  /** Container id (the replica itself for post_start/pre_stop). */
  readonly id: string;
  /** The replica's container name: what its hook output lines are labelled with. */
  readonly name: string;
}

/** True when `service` has hooks of `phase`. */
export function hasHooks(
  service: ServiceSpec | undefined,
  phase: "postStart" | "preStop" | "preStart",
): service is ServiceSpec {
  return (service?.[phase]?.length ?? 0) > 0;
}

/**
 * Runs the `post_start` hooks of `replica` in order; rejects with a `StepFailure` naming the
 * first hook that exits non-zero, and with `InterruptedError` when `ctx.signal` aborts.
 */
export async function runPostStartHooks(ctx: HookContext, replica: HookReplica): Promise<void> {
  const hooks = replica.service.postStart ?? [];
  for (const [i, hook] of hooks.entries()) {
    const label = `post_start[${i}]`;
    const code = await execHook(ctx, replica, hook, label, undefined);
    if (code !== 0)
      throw new StepFailure(`${replica.service.name} ${label} exited with status ${code}`);
  }
}

/**
 * Runs the `pre_stop` hooks of running `replica` in order and returns undefined, or a
 * sentence naming the hook that failed (non-zero exit, an engine error, no end within
 * {@link PRE_STOP_HOOK_TIMEOUT_MS}); the hooks after a failed one are not run. Never
 * rejects, except with `InterruptedError` when `ctx.signal` aborts: the caller stops the
 * replica either way.
 */
export async function runPreStopHooks(
  ctx: HookContext,
  replica: HookReplica,
  timeoutMs = PRE_STOP_HOOK_TIMEOUT_MS,
): Promise<string | undefined> {
  const hooks = replica.service.preStop ?? [];
  for (const [i, hook] of hooks.entries()) {
    const label = `pre_stop[${i}]`;
    try {
      const code = await execHook(ctx, replica, hook, label, timeoutMs);
      if (code !== 0) return `${replica.service.name} ${label} exited with status ${code}`;
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      return `${replica.service.name} ${label} failed: ${messageOf(error)}`;
    }
  }
  return undefined;
}

/**
 * Runs the `pre_start` hooks of `replica` (created, not started) one after the other, each in
 * its own one-off container that is removed afterwards whatever happened; rejects with a
 * `StepFailure` ("web pre_start[1]: exited with 17: ...", with the hook's last output lines)
 * at the first hook that exits non-zero, and with `InterruptedError` when `ctx.signal`
 * aborts.
 */
export async function runPreStartHooks(ctx: HookContext, replica: HookReplica): Promise<void> {
  const hooks = replica.service.preStart ?? [];
  for (const [i, hook] of hooks.entries()) {
    const label = `pre_start[${i}]`;
    const tail: string[] = [];
    const code = await runHookContainer(ctx, replica, hook, label, (line) => {
      tail.push(line);
      if (tail.length > FAILURE_TAIL_LINES) tail.shift();
    });
    if (code !== 0)
      throw new StepFailure(
        `${replica.service.name} ${label}: exited with ${code}:${tail.length === 0 ? " (no output)" : ""}`,
        { logs: tail },
      );
  }
}

/** Runs `hook` by exec in `replica`; its exit code. */
async function execHook(
  ctx: HookContext,
  replica: HookReplica,
  hook: HookSpec,
  label: string,
  timeoutMs: number | undefined,
): Promise<number> {
  const out = lineStream((line) => emitLine(ctx, replica, label, line));
  try {
    const exec = ctx.engine.exec(replica.id, {
      cmd: hook.command,
      ...(hook.user !== undefined && { user: hook.user }),
      ...(hook.workingDir !== undefined && { workingDir: hook.workingDir }),
      ...(hook.privileged === true && { privileged: true }),
      env: environmentEntries(hook.environment),
      stdout: out,
      stderr: out,
    });
    return await bounded(exec, label, ctx.signal, timeoutMs);
  } finally {
    out.flush();
  }
}

/** Runs `hook` in a one-off container of `replica.service`; its exit code. */
async function runHookContainer(
  ctx: HookContext,
  replica: HookReplica,
  hook: HookSpec & { readonly image?: string },
  label: string,
  onLine: (line: string) => void,
): Promise<number> {
  const { engine, spec, signal } = ctx;
  const image = hook.image ?? replica.service.image;
  if (signal?.aborted === true) throw new InterruptedError(`interrupted before ${label}`);
  // The planner pulls or builds the service's image; a hook's own image is the hook's affair.
  if (image !== replica.service.image && (await engine.imageInfo(image)) === undefined)
    await engine.pullImage(image, undefined, signal === undefined ? {} : { signal });
  const service: ServiceSpec = {
    ...replica.service,
    image,
    ...(hook.privileged !== undefined && { privileged: hook.privileged }),
  };
  // A name of its own per run: a container left by a killed run never blocks the next one
  // (it carries the one-off role, so `stack ps` shows it and `stack rm` removes it).
  const name = `${spec.name}_${replica.service.name}_pre_start_${randomBytes(3).toString("hex")}`;
  const id = await createReplica(engine, {
    spec,
    service,
    slot: 0,
    name,
    configHash: serviceConfigHash(replica.service),
    oneOff: {
      cmd: hook.command,
      env: environmentEntries(hook.environment),
      mounts: [],
      ...(hook.user !== undefined && { user: hook.user }),
      ...(hook.workingDir !== undefined && { workingDir: hook.workingDir }),
      tty: false,
      stdin: false,
    },
  });
  const out = lineStream((line) => {
    onLine(line);
    emitLine(ctx, replica, label, line);
  });
  try {
    // Aborting stops the hook's container (its grace period applies) and ends the wait.
    const code = await engine.runAttached(id, {
      tty: false,
      stdout: out,
      stderr: out,
      ...(signal !== undefined && { signal }),
    });
    // Checked again: the run may have ended because the signal stopped the container.
    if (isAborted(signal)) throw new InterruptedError(`interrupted during ${label}`);
    return code;
  } finally {
    out.flush();
    await engine.removeContainer(id, spec.name).catch((error: unknown) =>
      ctx.sink.emit({
        type: "warning",
        message: `could not remove the ${label} container ${name} of ${replica.name}: ${messageOf(error)} (stack rm removes it)`,
      }),
    );
  }
}

function emitLine(ctx: HookContext, replica: HookReplica, hook: string, line: string): void {
  ctx.sink.emit({
    type: "hook-output",
    service: replica.service.name,
    container: replica.name,
    hook,
    line,
  });
}

/**
 * `KEY=VALUE` entries of a hook's environment; a variable the deploying environment did not
 * set (null) is left out, as compose leaves it out.
 */
function environmentEntries(env: Readonly<Record<string, string | null>>): string[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`);
}

/**
 * `work`, ended early by `signal` (InterruptedError) or after `timeoutMs` (an EngineError
 * "timeout"). The process in the container is not killed: it ends with the container.
 */
function bounded<T>(
  work: Promise<T>,
  label: string,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): Promise<T> {
  if (signal === undefined && timeoutMs === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => finish(() => reject(new InterruptedError(`interrupted during ${label}`)));
    const finish = (settle: () => void) => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    };
    if (signal?.aborted === true) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== undefined)
      timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new EngineError("timeout", `did not end within ${Math.round(timeoutMs / 1000)}s`),
            ),
          ),
        timeoutMs,
      );
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/**
 * A writable that hands `onLine` each complete line written to it; `flush` hands over the
 * rest (a last line without a newline) at once, so it is reported before the hook's result.
 */
function lineStream(onLine: (line: string) => void): Writable & { flush(): void } {
  let rest = "";
  const lines = (text: string) => {
    for (const line of text.split("\n")) {
      const trimmed = line.replace(/\r$/, "");
      if (trimmed !== "") onLine(trimmed);
    }
  };
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = rest + chunk.toString();
      const end = text.lastIndexOf("\n");
      if (end < 0) rest = text;
      else {
        lines(text.slice(0, end));
        rest = text.slice(end + 1);
      }
      callback();
    },
  });
  return Object.assign(stream, {
    flush() {
      lines(rest);
      rest = "";
    },
  });
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
