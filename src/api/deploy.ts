import { converge } from "../core/converge.js";
import { waitForStack } from "../drivers/docker/wait-stack.js";
import type { Engine } from "../core/engine.js";
import type { Plan } from "../core/operation.js";
import type { ProgressSink } from "../progress/events.js";
import { formatIssue, SpecError } from "../stackfile/errors.js";
import { loadStack, type LoadStackOptions } from "../stackfile/load-stack.js";
import { withContextHashes } from "../stackfile/build-context.js";
import { withSecretContents } from "../stackfile/secret-content.js";
import type { SpecWarning, StackSpec } from "../model/types.js";
import { isServiceEngine } from "../drivers/swarm/service-engine.js";
import { deploySwarmStack } from "./deploy-swarm.js";
import { dockerDriverIssues, dockerDriverWarnings } from "./preflight.js";
import { securityWarnings } from "./security-warnings.js";

/** What `stack deploy` (or a test's global setup) asks for. */
export interface DeployOptions extends LoadStackOptions {
  readonly stackName: string;
  /** Connected lazily, only after the input is valid (may ping to choose the driver). */
  readonly engine: () => Engine | Promise<Engine>;
  readonly sink: ProgressSink;
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
  readonly parallel?: number;
  readonly signal?: AbortSignal;
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
 * readiness. Invalid input throws SpecError before the engine is contacted.
 */
export async function deployStack(options: DeployOptions): Promise<DeployResult> {
  const { spec: loaded, warnings } = await loadStack(options);
  const scaled = options.replicas ? withReplicas(loaded, options.replicas) : loaded;
  // STACK_INGRESS_IMAGE picks the ingress proxy's image; build contexts are hashed once here
  // so the planner (pure) can tell a changed context from an unchanged one.
  const ingressImage = options.env["STACK_INGRESS_IMAGE"];
  const spec = await withContextHashes(
    ingressImage !== undefined && ingressImage !== "" ? { ...scaled, ingressImage } : scaled,
  );
  const engine = await options.engine();
  options.sink.emit({
    type: "info",
    message: `using the ${engine.driver} driver (${engine.address})`,
  });
  if (isServiceEngine(engine)) {
    // Swarm ignores privileged and pid (swarmDriverIssues says so): warn only about the rest.
    const security = securityWarnings(spec).filter(
      (w) => !/\.(privileged|pid)$/.test(w.path ?? ""),
    );
    for (const w of [...warnings, ...security])
      options.sink.emit({ type: "warning", message: formatWarning(w) });
    return deploySwarmStack(spec, engine, options);
  }
  const preflight = dockerDriverIssues(spec);
  if (preflight.length > 0) throw new SpecError(preflight);
  for (const w of [...warnings, ...dockerDriverWarnings(spec), ...securityWarnings(spec)])
    options.sink.emit({ type: "warning", message: formatWarning(w) });
  // Secret and config content is read once, here: the driver writes it into each replica,
  // and its keyed digest joins the config hash so changed content rolls the service.
  const withSecrets = await withSecretContents(spec, options.env);

  const result = await converge(withSecrets, {
    engine,
    sink: options.sink,
    parallel: options.parallel ?? 8,
    prune: options.prune ?? false,
    ...(options.forceRecreate !== undefined && { forceRecreate: options.forceRecreate }),
    ...(options.build !== undefined && { build: options.build }),
    ...(options.services !== undefined && { services: options.services }),
    ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  for (const blocker of result.blockers) options.sink.emit({ type: "error", message: blocker });
  if (result.remaining !== undefined && result.remaining.operations.length > 0) {
    options.sink.emit({
      type: "error",
      message: `stack ${spec.name} did not converge: ${result.remaining.operations.length} operations still pending after ${result.rounds} rounds (run deploy again, or --dry-run to see them)`,
    });
  }
  if (!result.ok || options.dryRun || !options.wait) {
    return {
      ok: result.ok,
      spec: withSecrets,
      plan: result.plan,
      changed: result.changed,
      timedOut: false,
      interrupted: result.interrupted,
    };
  }
  const waited = await waitForStack(withSecrets, {
    engine,
    sink: options.sink,
    timeoutMs: options.timeoutMs ?? 300_000,
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  if (!waited.ok) {
    options.sink.emit({
      type: "error",
      message: waited.message ?? "the stack did not become ready",
      ...(waited.logs !== undefined && { logs: waited.logs }),
    });
  }
  return {
    ok: waited.ok,
    spec: withSecrets,
    plan: result.plan,
    changed: result.changed,
    timedOut: waited.timedOut,
    interrupted: waited.interrupted,
  };
}

/** `file:line:col path message` for a warning. */
export function formatWarning(w: SpecWarning): string {
  return formatIssue({
    path: w.path ?? "",
    message: w.message,
    ...(w.pos !== undefined && { pos: w.pos }),
  });
}
