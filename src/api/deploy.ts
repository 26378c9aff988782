import { converge } from "../core/converge.js";
import type {
  Deployment,
  Driver,
  ResolveImageMode,
  StackLock,
  WaitReplica,
} from "../core/driver.js";
import { InterruptedError } from "../core/errors.js";
import { describeHolder, currentLockOwner } from "../core/lock-owner.js";
import type { Plan } from "../core/operation.js";
import type { SpecWarning, StackSpec } from "../model/types.js";
import { nullSink, type ProgressSink } from "../progress/events.js";
import { withContextHashes } from "../stackfile/build-context.js";
import { formatIssue, SpecError } from "../stackfile/errors.js";
import { withLoadDefaults } from "../stackfile/load-document.js";
import { loadStack, type LoadStackOptions } from "../stackfile/load-stack.js";
import { securityWarnings } from "./security-warnings.js";

/** What `stack deploy` (or a test's global setup) asks for. */
export interface DeployOptions extends LoadStackOptions {
  readonly stack: string;
  /** Connected lazily, only after the input is valid (may ping to choose the driver). */
  readonly driver: () => Driver | Promise<Driver>;
  /** Where progress goes; default nowhere (a library caller gets the result and errors). */
  readonly sink?: ProgressSink;
  /** Print the plan and change nothing. */
  readonly dryRun?: boolean;
  /** Remove services no longer in the file. */
  readonly prune?: boolean;
  readonly forceRecreate?: boolean;
  /** Build images of services with `build:` even when their context is unchanged. */
  readonly build?: boolean;
  /** Restrict the deploy to these services (scale uses it). */
  readonly services?: readonly string[];
  /** Override replica counts (`stack scale`). */
  readonly replicas?: Readonly<Record<string, number>>;
  /** Wait until every replica runs and is healthy (and one-shot jobs exited 0). */
  readonly wait?: boolean;
  readonly timeoutMs?: number;
  /**
   * Longest wait for the stack's deploy lock while another deploy, scale or rm of the same
   * stack holds it; unset waits until it is free (or `signal` aborts).
   */
  readonly lockTimeoutMs?: number;
  /** What the lock records as the command holding it; default this process's command line. */
  readonly command?: string;
  readonly parallel?: number;
  readonly signal?: AbortSignal;
  /** Swarm: pin tags to digests (`--resolve-image`, default `always`). */
  readonly resolveImage?: ResolveImageMode;
  /** Swarm: send registry credentials to the swarm (`--with-registry-auth`). */
  readonly withRegistryAuth?: boolean;
}

export interface DeployResult {
  readonly ok: boolean;
  readonly spec: StackSpec;
  /** The first plan computed (the one `--dry-run` prints). */
  readonly plan: Plan;
  /** True when any engine write happened. */
  readonly changed: boolean;
  /** True when `--wait` ran out of time. */
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  /** Why it failed (the first failure), when it did. */
  readonly message?: string;
  /** The replica a failed `wait` is about, when it is about one. */
  readonly replica?: WaitReplica;
  /** That replica's last log lines. */
  readonly logs?: readonly string[];
  /** The deploy on its driver, for what comes after (`--watch`). */
  readonly deployment: Deployment;
}

/** Returns a copy of `spec` with the given services' replica counts replaced. */
function withReplicas(spec: StackSpec, replicas: Readonly<Record<string, number>>): StackSpec {
  const issues = Object.keys(replicas)
    .filter((name) => spec.services[name] === undefined)
    .map((name) => ({
      path: `services.${name}`,
      message: `no service "${name}" in the stack file`,
    }));
  if (issues.length > 0) throw new SpecError(issues);
  const services = Object.fromEntries(
    Object.entries(spec.services).map(([name, s]) => {
      const n = replicas[name];
      return [name, n === undefined ? s : { ...s, deploy: { ...s.deploy, replicas: n } }];
    }),
  );
  return { ...spec, services };
}

/**
 * Loads and validates the stack files, checks them against the driver, then converges the
 * engine (observe -> plan -> apply until the plan is empty) and optionally waits for
 * readiness. Invalid input throws SpecError before the engine is contacted; what the driver
 * cannot do throws SpecError before anything changes.
 */
export async function deployStack(given: DeployOptions): Promise<DeployResult> {
  const options = { ...given, ...withLoadDefaults(given), sink: given.sink ?? nullSink };
  const { spec: loaded, warnings } = await loadStack(options);
  const scaled = options.replicas ? withReplicas(loaded, options.replicas) : loaded;
  // STACK_INGRESS_IMAGE picks the ingress proxy's image; build contexts are hashed once here
  // so the planner (pure) can tell a changed context from an unchanged one.
  const ingressImage = options.env["STACK_INGRESS_IMAGE"];
  const spec = await withContextHashes(
    ingressImage !== undefined && ingressImage !== "" ? { ...scaled, ingressImage } : scaled,
  );
  const driver = await options.driver();
  const { sink } = options;
  // Which engine answers (Docker, Podman), said the way the driver is, also when it does not
  // answer (the user sees which address was tried). What the driver cannot do is refused
  // first, without the engine where the driver needs none; drivers keep the engine's
  // identity, so the ping after preflight costs no second version call.
  const using = (product?: string) =>
    sink.emit({
      type: "info",
      message: `using the ${driver.name} driver (${driver.address}${product === undefined ? "" : `, ${product}`})`,
    });
  let issues: Awaited<ReturnType<Driver["preflight"]>>;
  try {
    issues = await driver.preflight(spec);
  } catch (error) {
    using();
    throw error;
  }
  if (issues.errors.length > 0) throw new SpecError(issues.errors);
  let product: string | undefined;
  try {
    ({ product } = await driver.ping());
  } finally {
    using(product);
  }
  const ignored = new Set(issues.ignoredSettings);
  const security = securityWarnings(spec).filter(
    (w) => !ignored.has((w.path ?? "").split(".").pop() ?? ""),
  );
  for (const w of [...warnings, ...issues.warnings, ...security])
    sink.emit({ type: "warning", message: formatWarning(w) });
  const deployment = await driver.prepare(spec, options.env, {
    sink,
    ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
    ...(options.build !== undefined && { build: options.build }),
    ...(options.resolveImage !== undefined && { resolveImage: options.resolveImage }),
    ...(options.withRegistryAuth !== undefined && { withRegistryAuth: options.withRegistryAuth }),
    ...(options.signal !== undefined && { signal: options.signal }),
  });

  // A dry run changes nothing and needs no lock; anything else changes the stack only while
  // holding it, and plans from an observation made after taking it.
  let lock: StackLock | undefined;
  if (!options.dryRun) {
    try {
      lock = await lockStack(driver, spec.name, sink, options);
    } catch (error) {
      if (!(error instanceof InterruptedError)) throw error;
      const plan = { stack: spec.name, operations: [], warnings: [] };
      return {
        ok: false,
        spec,
        plan,
        changed: false,
        timedOut: false,
        interrupted: true,
        deployment,
      };
    }
  }
  let result: Awaited<ReturnType<typeof converge>>;
  try {
    result = await converge(deployment, {
      sink,
      parallel: options.parallel ?? 8,
      prune: options.prune ?? false,
      ...(options.forceRecreate !== undefined && { forceRecreate: options.forceRecreate }),
      ...(options.build !== undefined && { build: options.build }),
      ...(options.services !== undefined && { services: options.services }),
      ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
  } finally {
    await lock?.release();
  }
  for (const blocker of result.blockers) sink.emit({ type: "error", message: blocker });
  if (result.remaining !== undefined && result.remaining.operations.length > 0) {
    sink.emit({
      type: "error",
      message: `stack ${spec.name} did not converge: ${result.remaining.operations.length} operations still pending after ${result.rounds} rounds (run deploy again, or --dry-run to see them)`,
    });
  }
  const base = { spec: deployment.spec, plan: result.plan, changed: result.changed, deployment };
  const failure = result.ok
    ? undefined
    : (result.blockers[0] ??
      (result.failures[0] !== undefined
        ? `${result.failures[0].op.text}: ${result.failures[0].error}`
        : result.interrupted
          ? "interrupted"
          : `stack ${spec.name} did not converge`));
  if (!result.ok || options.dryRun || !options.wait)
    return {
      ...base,
      ok: result.ok,
      timedOut: false,
      interrupted: result.interrupted,
      ...(failure !== undefined && { message: failure }),
    };
  const waited = await deployment.waitReady({
    sink,
    timeoutMs: options.timeoutMs ?? 300_000,
    ...(options.services !== undefined && { services: options.services }),
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  if (!waited.ok) {
    sink.emit({
      type: "error",
      message: waited.message ?? "the stack did not become ready",
      ...(waited.logs !== undefined && { logs: waited.logs }),
    });
  }
  return {
    ...base,
    ok: waited.ok,
    timedOut: waited.timedOut,
    interrupted: waited.interrupted,
    ...(!waited.ok && { message: waited.message ?? "the stack did not become ready" }),
    ...(!waited.ok && waited.replica !== undefined && { replica: waited.replica }),
    ...(!waited.ok && waited.logs !== undefined && { logs: waited.logs }),
  };
}

/**
 * Takes the deploy lock of `stack` on `driver` for this process, saying on `sink` who holds
 * it while waiting and whose lock was broken. Shared by deploy, scale and rm.
 */
export async function lockStack(
  driver: Driver,
  stack: string,
  sink: ProgressSink,
  options: {
    readonly lockTimeoutMs?: number;
    readonly command?: string;
    readonly signal?: AbortSignal;
  },
): Promise<StackLock> {
  return driver.lock(stack, currentLockOwner(options.command), {
    onWait: (holder) =>
      sink.emit({
        type: "info",
        message: `waiting for stack ${stack}: it is locked by ${describeHolder(holder)}`,
      }),
    onBreak: (holder, why) =>
      sink.emit({
        type: "warning",
        message: `took over the lock of stack ${stack} from ${describeHolder(holder)}: ${why}`,
      }),
    ...(options.lockTimeoutMs !== undefined && { timeoutMs: options.lockTimeoutMs }),
    ...(options.signal !== undefined && { signal: options.signal }),
  });
}

/** `file:line:col path message` for a warning. */
export function formatWarning(w: SpecWarning): string {
  return formatIssue({
    path: w.path ?? "",
    message: w.message,
    ...(w.pos !== undefined && { pos: w.pos }),
  });
}
