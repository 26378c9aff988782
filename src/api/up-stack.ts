/**
 * `up()` without the choice of driver: load the stack (a file, YAML text or an object), pick
 * a unique name, deploy, wait until it is ready and its published ports answer, and hand
 * back a {@link StackHandle}; on failure throw an {@link UpError} and remove what was made.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { stringify } from "yaml";
import type { Driver, StackLock } from "../core/driver.js";
import { STACK_NAME_PATTERN } from "../model/naming.js";
import type { ProgressEvent, ProgressSink } from "../progress/events.js";
import { DEFAULT_STACK_FILE_NAMES } from "../stackfile/find-stack-files.js";
import { SpecError } from "../stackfile/errors.js";
import { loadStack } from "../stackfile/load-stack.js";
import type { LoadOptions } from "../stackfile/load-document.js";
import { deployStack } from "./deploy.js";
import { hostPort, reachableHost } from "./engine-host.js";
import { probePort } from "./probe-port.js";
import { quietSink } from "./quiet-sink.js";
import { reapStaleStacks, takeOwnerLock } from "./reap-stale-stacks.js";
import { removeStack } from "./remove.js";
import { StackHandle } from "./stack-handle.js";
import { UpError, type UpFailure } from "./up-error.js";

/**
 * What `up()` deploys and how. The stack comes from exactly one of `file`, `files`, `yaml`
 * and `spec`; with none, from `compose.yaml` (or the other default names) in `cwd`.
 */
export interface UpOptions {
  /** A stack file, relative to `cwd`. */
  readonly file?: string;
  /** Stack files merged in order (later ones override), relative to `cwd`. */
  readonly files?: readonly string[];
  /** The stack file's text. Relative paths in it resolve against `cwd`. */
  readonly yaml?: string;
  /** The stack file as an object (what the YAML would parse to). */
  readonly spec?: Readonly<Record<string, unknown>>;
  /**
   * The stack's name. Default: the file's `name:` (else the directory's name) followed by
   * `-up-` and 8 random hex digits, so parallel tests never share a stack; stacks named so
   * are removed by a later `up()` when the process that made them ended without `down()`.
   */
  readonly stack?: string;
  /** Where files and relative paths are resolved; default `process.cwd()`. */
  readonly cwd?: string;
  /** Variables for interpolation and engine selection, over `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Env files read for interpolation (as compose's `--env-file`), relative to `cwd`. */
  readonly envFiles?: readonly string[];
  /** Active profiles; default `COMPOSE_PROFILES`. */
  readonly profiles?: readonly string[];
  /**
   * Wait until every replica runs and is healthy, one-shot jobs exited 0 and every
   * published TCP port answers (default true).
   */
  readonly wait?: boolean;
  /** Limit of the whole `up()`, deploy and wait, in milliseconds (default 5 minutes). */
  readonly timeoutMs?: number;
  /** Build the images of services with `build:` even when their context is unchanged. */
  readonly build?: boolean;
  /** Progress events (default: none are printed). */
  readonly sink?: ProgressSink;
  /** Leave what was created on the engine when `up()` fails, to look at (default false). */
  readonly keepOnFailure?: boolean;
  /** Aborting stops the deploy; `up()` then throws an UpError with reason `interrupted`. */
  readonly signal?: AbortSignal;
}

/** Default limit of `up()`. */
export const DEFAULT_UP_TIMEOUT_MS = 300_000;

/** Where the stack comes from, as the loader takes it. */
function sources(
  options: UpOptions,
  cwd: string,
): Pick<LoadOptions, "files" | "readStdin" | "stdinName"> {
  const given = [
    options.file !== undefined && "file",
    options.files !== undefined && "files",
    options.yaml !== undefined && "yaml",
    options.spec !== undefined && "spec",
  ].filter((x): x is string => x !== false);
  if (given.length > 1)
    throw new TypeError(`up() takes one of file, files, yaml and spec; got ${given.join(", ")}`);
  if (options.yaml !== undefined) {
    const text = options.yaml;
    return { files: ["-"], readStdin: () => Promise.resolve(text), stdinName: "<yaml>" };
  }
  if (options.spec !== undefined) {
    const text = stringify(options.spec);
    return { files: ["-"], readStdin: () => Promise.resolve(text), stdinName: "<spec>" };
  }
  if (options.file !== undefined) return { files: [options.file] };
  if (options.files !== undefined) {
    if (options.files.length === 0) throw new TypeError("up(): files is empty");
    return { files: options.files };
  }
  if (!DEFAULT_STACK_FILE_NAMES.some((name) => existsSync(resolve(cwd, name))))
    throw new TypeError(
      `up() needs a stack: no stack file in ${cwd} (looked for ${DEFAULT_STACK_FILE_NAMES.join(", ")}); pass file, files, yaml or spec`,
    );
  return { files: [] };
}

/**
 * Deploys the stack `options` describe on `driver` and waits until it is ready (see
 * {@link UpOptions.wait}), then returns its handle. Throws SpecError for an invalid stack
 * (nothing is created), UpError naming the replica, the reason and its last log lines when
 * the stack does not come up (what was created is removed unless `keepOnFailure`), and
 * EngineError when the engine fails.
 */
export async function upStack(options: UpOptions, driver: Driver): Promise<StackHandle> {
  const started = Date.now();
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = { ...process.env, ...options.env };
  const load: LoadOptions = {
    ...sources(options, cwd),
    cwd,
    env,
    envFiles: options.envFiles ?? [],
    ...(options.profiles !== undefined && { profiles: options.profiles }),
  };
  if (options.stack !== undefined && !STACK_NAME_PATTERN.test(options.stack))
    throw new SpecError([
      {
        path: "stack",
        message: `invalid stack name "${options.stack}": a stack name must be lowercase letters, digits, '_' and '-', starting with a letter or digit`,
      },
    ]);
  const stack =
    options.stack ?? `${(await loadStack(load)).spec.name}-up-${randomBytes(4).toString("hex")}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_UP_TIMEOUT_MS;

  // Failures are told to the sink; the last one about a replica gives UpError its details.
  let lastFailure: { service?: string; logs?: readonly string[] } | undefined;
  const capture = (event: ProgressEvent): void => {
    if (event.type === "op-failed")
      lastFailure = {
        ...(event.op.service !== undefined && { service: event.op.service }),
        ...(event.logs !== undefined && { logs: event.logs }),
      };
    options.sink?.emit(event);
  };
  const sink = quietSink(capture);

  const ownerLock = await takeOwnerLock(driver, stack);
  // Stacks of test runs that ended without down() go while this one deploys; down() waits.
  const background = reapStaleStacks(driver).catch(() => []);
  const fail = async (why: string, reason: UpFailure, about: FailureAbout): Promise<never> => {
    const error = new UpError(why, {
      stackName: stack,
      reason,
      ...(about.service !== undefined && { service: about.service }),
      ...(about.replica !== undefined && { replica: about.replica }),
      logs: about.logs ?? [],
    });
    await cleanUp(driver, stack, ownerLock, background, options.keepOnFailure ?? false);
    throw error;
  };

  let result: Awaited<ReturnType<typeof deployStack>>;
  try {
    result = await deployStack({
      ...load,
      stack,
      driver: () => driver,
      sink,
      wait: options.wait ?? true,
      timeoutMs,
      lockTimeoutMs: timeoutMs,
      command: "up()",
      ...(options.build !== undefined && { build: options.build }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
  } catch (error) {
    // Invalid input created nothing; an engine failure midway may have.
    const keep = (options.keepOnFailure ?? false) || error instanceof SpecError;
    await cleanUp(driver, stack, ownerLock, background, keep);
    throw error;
  }
  if (!result.ok) {
    const reason: UpFailure = result.interrupted
      ? "interrupted"
      : result.timedOut
        ? "timed-out"
        : "failed";
    const service = result.replica?.service ?? lastFailure?.service;
    // A failed dependency gate names its service only: the replica is the one not ready.
    const replica =
      result.replica?.container ??
      (service === undefined ? undefined : await notReadyReplica(driver, stack, service));
    const logs = result.logs ?? lastFailure?.logs;
    await fail(result.message ?? "the deploy failed", reason, {
      ...(service !== undefined && { service }),
      ...(replica !== undefined && { replica }),
      ...(logs !== undefined && { logs }),
    });
  }
  if (options.wait ?? true) {
    const silent = await silentPort(driver, stack, started + timeoutMs, options.signal);
    if (silent !== undefined)
      await fail(
        `port ${silent.target}/tcp of replica ${silent.replica} (published on ${silent.address}) did not answer within ${Math.round(timeoutMs / 1000)}s`,
        "timed-out",
        { service: silent.service, replica: silent.replica },
      );
  }
  return new StackHandle({ driver, stack, ownerLock, background });
}

interface FailureAbout {
  readonly service?: string;
  readonly replica?: string;
  readonly logs?: readonly string[];
}

/**
 * The engine name of the first replica of `service` that is not running and healthy, or
 * undefined (none, or the engine did not answer).
 */
async function notReadyReplica(
  driver: Driver,
  stack: string,
  service: string,
): Promise<string | undefined> {
  try {
    const mine = (await driver.replicas(stack))
      .filter((r) => r.service === service && r.role === undefined)
      .sort((a, b) => a.slot - b.slot);
    return mine.find((r) => r.state !== "running" || r.health === "unhealthy")?.name;
  } catch {
    return undefined;
  }
}

/** Removes what a failed `up()` made (unless kept) and gives up the owner lock. */
async function cleanUp(
  driver: Driver,
  stack: string,
  ownerLock: StackLock,
  background: Promise<unknown>,
  keep: boolean,
): Promise<void> {
  try {
    if (!keep)
      await removeStack({
        driver,
        stack,
        volumes: true,
        sink: quietSink(),
        timeoutSeconds: 0,
        command: "up() removing a stack that did not come up",
      }).catch(() => undefined);
  } finally {
    await ownerLock.release();
    await background;
  }
}

/**
 * The first published TCP port of a running replica that does not answer by `deadline`
 * (polled every 250 ms), or undefined when all do. Engine behaviour: see probePort.
 */
async function silentPort(
  driver: Driver,
  stack: string,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<{ service: string; replica: string; target: number; address: string } | undefined> {
  const replicas = (await driver.replicas(stack)).filter(
    (r) => r.role === undefined && r.state === "running",
  );
  const checks = replicas.flatMap((replica) =>
    [
      ...new Set(
        replica.ports
          .filter((p) => p.protocol === "tcp" && p.published !== undefined)
          .map((p) => p.target),
      ),
    ].map(async (target) => {
      const published = await driver.port(stack, replica, target, "tcp");
      if (published === undefined) return undefined;
      const host = reachableHost(published.hostIp, driver.address);
      for (;;) {
        if (await probePort(host, published.port)) return undefined;
        if (Date.now() >= deadline || signal?.aborted === true)
          return {
            service: replica.service,
            replica: replica.name,
            target,
            address: hostPort(host, published.port),
          };
        await new Promise((done) => setTimeout(done, 250));
      }
    }),
  );
  return (await Promise.all(checks)).find((c) => c !== undefined);
}
