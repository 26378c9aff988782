import { converge } from "../../core/converge.js";
import type { Deployment } from "../../core/driver.js";
import { InterruptedError } from "../../core/errors.js";
import { isEngineErrorKind } from "../docker-api/classify-error.js";
import type { Plan } from "../../core/operation.js";
import type { ObservedContainer } from "../../core/replica.js";
import { sleep } from "../../core/retry-policy.js";
import type { ContainerEngine } from "./container-engine.js";
import type { DockerObservedState } from "./observed-state.js";
import type { DockerOperation } from "./operations.js";
import type { ProgressEvent, ProgressSink } from "../../progress/events.js";
import type { RestartPolicySpec, ServiceSpec } from "../../model/types.js";
import { tailLogs } from "./readiness.js";

/** Default period of the full resync, whatever the events say. */
export const DEFAULT_RESYNC_MS = 30_000;
/** Events arriving within this time of each other are handled by one pass. */
export const DEFAULT_DEBOUNCE_MS = 250;
/** Swarm's default restart delay, used when `restart_policy.delay` is not given. */
export const DEFAULT_RESTART_DELAY_MS = 5_000;

/** What the tracker decided for one exited replica. */
export type RestartDecision =
  | { readonly action: "start"; readonly attempt: number }
  | { readonly action: "wait"; readonly atMs: number }
  | { readonly action: "give-up"; readonly attempts: number }
  | { readonly action: "leave" };

/**
 * Restart-policy accounting for the docker driver, kept in memory by the supervisor: the
 * engine alone has no `delay` and no `window`. Contract, per replica slot (service + slot,
 * so a recreated container keeps its history): an exited replica is restarted when its
 * condition asks for it (`any`; `on-failure` with a non-zero exit code), no sooner than
 * `delay` after it finished, and only while the restarts made within the last `window`
 * (all of them when `window` is 0 or unset) are fewer than `max_attempts` (unlimited when
 * 0 or unset) — swarmkit's semantics. Pure apart from the history it keeps; time is passed in.
 */
export class RestartTracker {
  private readonly history = new Map<string, number[]>();

  /** Restarts of `service`'s slot within the policy window ending at `nowMs`. */
  attempts(service: string, slot: number, policy: RestartPolicySpec, nowMs: number): number {
    const times = this.history.get(`${service}/${slot}`) ?? [];
    const window = policy.windowMs ?? 0;
    return window > 0 ? times.filter((t) => t > nowMs - window).length : times.length;
  }

  /** Decides what to do with exited container `c` of `service` at `nowMs`. */
  decide(service: ServiceSpec, c: ObservedContainer, nowMs: number): RestartDecision {
    const policy = service.deploy.restartPolicy;
    if (!wantsRestart(policy, c)) return { action: "leave" };
    const attempts = this.attempts(service.name, c.slot, policy, nowMs);
    const max = policy.maxAttempts ?? 0;
    if (max > 0 && attempts >= max) return { action: "give-up", attempts };
    const finished = c.finishedAt === undefined ? NaN : Date.parse(c.finishedAt);
    // The engine reports 0001-01-01 for a container that never ran: count from now.
    const base = Number.isFinite(finished) && finished > 0 ? finished : nowMs;
    const atMs = base + (policy.delayMs ?? DEFAULT_RESTART_DELAY_MS);
    if (atMs > nowMs) return { action: "wait", atMs };
    return { action: "start", attempt: attempts + 1 };
  }

  /** Records a restart of `service`'s slot at `nowMs`. */
  record(service: string, slot: number, nowMs: number): void {
    const key = `${service}/${slot}`;
    const times = this.history.get(key) ?? [];
    times.push(nowMs);
    // Bounded: only the newest restarts can ever matter for a window or a max.
    if (times.length > 1000) times.splice(0, times.length - 1000);
    this.history.set(key, times);
  }
}

function wantsRestart(policy: RestartPolicySpec, c: ObservedContainer): boolean {
  if (c.state !== "exited") return false;
  if (policy.condition === "any") return true;
  if (policy.condition === "on-failure") return c.exitCode !== undefined && c.exitCode !== 0;
  return false;
}

/** What `supervise` needs. */
export interface SuperviseContext {
  readonly engine: ContainerEngine;
  readonly sink: ProgressSink;
  /** Aborting ends the watch; the stack is left running. */
  readonly signal: AbortSignal;
  readonly parallel: number;
  readonly prune: boolean;
  /** Full resync period; default 30 s. */
  readonly resyncMs?: number;
  /** Coalescing window for bursts of events; default 250 ms. */
  readonly debounceMs?: number;
  /** Clock (tests). */
  readonly now?: () => number;
  /** Called after every pass (tests and benches observe progress through it). */
  readonly onPass?: (pass: SupervisePass) => void;
}

/** The outcome of one supervision pass. */
export interface SupervisePass {
  /** Replicas this pass restarted per their restart policy. */
  readonly restarted: readonly string[];
  /** True when the converge step found the stack matching the file. */
  readonly converged: boolean;
  /** True when the engine could not be reached. */
  readonly engineDown: boolean;
}

/** Totals of a whole watch, returned when it ends. */
export interface SuperviseResult {
  readonly passes: number;
  readonly restarts: number;
}

/**
 * Keeps `spec`'s stack converged until `ctx.signal` aborts (Ctrl-C), level-triggered: every
 * pass observes, restarts exited replicas per their restart policy (with `delay`,
 * `max_attempts` and `window`, see {@link RestartTracker}), then runs `converge` (missing
 * replicas, networks and volumes are created again, changed ones replaced). Passes are woken
 * by engine events (coalesced), by a periodic resync, and when a restart delay falls due.
 * When the engine goes away (event stream broken, calls failing) it reports it once, keeps
 * retrying with backoff, and converges again once the engine answers.
 *
 * Restart policies: while supervised, each replica's engine restart policy is set to `no`
 * (the engine would otherwise restart at once, ignoring delay and window); when the watch
 * ends the stack file's policy is put back, so the stack keeps running unattended. A watch
 * killed without a chance to clean up (SIGKILL) leaves policy `no` until the next
 * `stack deploy --force-recreate` or watch. The docker driver only; never throws for engine
 * failures.
 *
 * An engine that cannot change a container's restart policy (Podman 4.3: EngineError
 * `unsupported`) keeps its own: the replicas keep the policy they were created with (`any`
 * -> always, `on-failure` -> on-failure with max_attempts), the engine restarts them at once,
 * and the watch says so once per service, naming what is not applied (`delay`, `window`,
 * and `max_attempts` with condition `any`). The watch then only reports: a restart the
 * engine made, and a replica the engine's policy left stopped. Everything else (replicas or
 * networks removed, changed files, the engine going away) is handled as on any engine.
 * Creating replicas with policy `no` instead would make the file's policy depend on whether
 * a watch created them, and a stack whose watch ended would restart nothing.
 */
export async function supervise(
  deployment: Deployment<DockerObservedState, DockerOperation>,
  ctx: SuperviseContext,
): Promise<SuperviseResult> {
  const { spec } = deployment;
  const now = ctx.now ?? Date.now;
  const resyncMs = ctx.resyncMs ?? DEFAULT_RESYNC_MS;
  const debounceMs = ctx.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const tracker = new RestartTracker();
  /** Containers whose engine policy we set to `no`, with the policy to restore. */
  const disarmed = new Map<string, RestartPolicySpec>();
  /** Containers left to the engine's own restart policy (it cannot change it), with the restart count last seen. */
  const engineManaged = new Map<string, number>();
  /** Services whose replicas are left to the engine's policy, warned about once. */
  const warned = new Set<string>();
  const gaveUp = new Set<string>();
  let passes = 0;
  let restarts = 0;
  let engineDown = false;

  // Wake-up plumbing: one pending resolver; `dirty` remembers a wake that came mid-pass.
  let dirty = true;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    dirty = true;
    wake?.();
  };
  const timers = new Set<NodeJS.Timeout>();
  const wakeAt = (atMs: number): void => {
    const t = setTimeout(
      () => {
        timers.delete(t);
        poke();
      },
      Math.max(0, atMs - now()),
    );
    timers.add(t);
  };
  ctx.signal.addEventListener("abort", poke, { once: true });
  const resync = setInterval(poke, resyncMs);

  // A quiet sink for converge: empty plans and no-op summaries every resync are noise.
  const quiet: ProgressSink = {
    emit(event: ProgressEvent) {
      if (event.type === "plan" && event.plan.operations.length === 0) return;
      if (event.type === "summary" && event.done === 0 && event.failed === 0) return;
      ctx.sink.emit(event);
    },
    close: () => Promise.resolve(),
  };

  const events = watchEvents(spec.name, ctx, poke, (down) => {
    if (down && !engineDown)
      ctx.sink.emit({
        type: "warning",
        message: `lost the engine at ${ctx.engine.address}; reconnecting`,
      });
    if (!down && engineDown)
      ctx.sink.emit({ type: "info", message: `engine at ${ctx.engine.address} is back` });
    engineDown = down;
  });

  // The planner must leave exited replicas to the tracker: its start-container would
  // restart them at once, ignoring delay and max_attempts.
  const withTracker: Deployment<DockerObservedState, DockerOperation> = {
    ...deployment,
    plan: (observed, options) => withoutRestarts(deployment.plan(observed, options), observed),
  };

  const pass = async (): Promise<SupervisePass> => {
    const restarted: string[] = [];
    let observed: DockerObservedState;
    try {
      observed = await ctx.engine.observe(spec.name);
    } catch {
      return { restarted, converged: false, engineDown: true };
    }
    for (const c of [...observed.containers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const service = spec.services[c.service];
      if (service === undefined || c.role !== undefined) continue;
      await disarm(c, service);
      if (engineManaged.has(c.id)) {
        await reportEngineRestarts(c, service);
        continue;
      }
      const decision = tracker.decide(service, c, now());
      if (decision.action === "wait") wakeAt(decision.atMs);
      if (decision.action === "give-up" && !gaveUp.has(c.id)) {
        gaveUp.add(c.id);
        const logs = await tailLogs(ctx.engine, c.id).catch(() => undefined);
        ctx.sink.emit({
          type: "error",
          message: `${c.name} exited with code ${c.exitCode ?? "?"}; restart_policy allows ${service.deploy.restartPolicy.maxAttempts} attempts${service.deploy.restartPolicy.windowMs ? ` within ${service.deploy.restartPolicy.windowMs} ms` : ""} and ${decision.attempts} were made: left stopped`,
          ...(logs === undefined ? {} : { logs }),
        });
      }
      if (decision.action === "start") {
        tracker.record(service.name, c.slot, now());
        try {
          await ctx.engine.startContainer(c.id);
          restarts += 1;
          restarted.push(c.name);
          ctx.sink.emit({
            type: "info",
            message: `restarted ${c.name} (exit code ${c.exitCode ?? "?"}; attempt ${decision.attempt}${service.deploy.restartPolicy.maxAttempts ? ` of ${service.deploy.restartPolicy.maxAttempts}` : ""})`,
          });
        } catch (error) {
          ctx.sink.emit({
            type: "warning",
            message: `restarting ${c.name} failed: ${error instanceof Error ? error.message : String(error)}`,
          });
        }
      }
    }
    try {
      const result = await converge(withTracker, {
        sink: quiet,
        parallel: ctx.parallel,
        prune: ctx.prune,
        signal: ctx.signal,
      });
      return { restarted, converged: result.converged, engineDown: false };
    } catch {
      return { restarted, converged: false, engineDown: true };
    }
  };

  /**
   * Sets the engine policy of `c` to `no` once, remembering what to put back. When the
   * engine cannot, `c` is left to the engine's policy (and its service warned about once).
   */
  const disarm = async (c: ObservedContainer, service: ServiceSpec): Promise<void> => {
    const policy = service.deploy.restartPolicy;
    if (policy.condition === "none" || disarmed.has(c.id) || engineManaged.has(c.id)) return;
    try {
      await ctx.engine.updateRestartPolicy(c.id, { condition: "none" });
      disarmed.set(c.id, policy);
    } catch (error) {
      // Gone or engine away: the next pass tries again. Unsupported: it never will.
      if (!isEngineErrorKind(error, "unsupported")) return;
      engineManaged.set(c.id, c.restartCount);
      if (warned.has(service.name)) return;
      warned.add(service.name);
      ctx.sink.emit({
        type: "warning",
        message: engineRestartWarning(
          service,
          `the engine at ${ctx.engine.address} cannot change the restart policy of a container it runs`,
        ),
      });
    }
  };

  /**
   * For a replica the engine restarts itself: says when the engine restarted it, and when
   * its policy gave up (on-failure with max_attempts reached), once.
   */
  const reportEngineRestarts = async (c: ObservedContainer, service: ServiceSpec) => {
    const seen = engineManaged.get(c.id) ?? 0;
    if (c.restartCount > seen) {
      engineManaged.set(c.id, c.restartCount);
      restarts += c.restartCount - seen;
      ctx.sink.emit({
        type: "info",
        message: `the engine restarted ${c.name} (restart ${c.restartCount}${service.deploy.restartPolicy.maxAttempts ? ` of ${service.deploy.restartPolicy.maxAttempts}` : ""})`,
      });
    }
    const policy = service.deploy.restartPolicy;
    const max = policy.maxAttempts ?? 0;
    if (
      c.state === "exited" &&
      policy.condition === "on-failure" &&
      c.exitCode !== undefined &&
      c.exitCode !== 0 &&
      max > 0 &&
      c.restartCount >= max &&
      !gaveUp.has(c.id)
    ) {
      gaveUp.add(c.id);
      const logs = await tailLogs(ctx.engine, c.id).catch(() => undefined);
      ctx.sink.emit({
        type: "error",
        message: `${c.name} exited with code ${c.exitCode}; restart_policy allows ${max} attempts and the engine made ${c.restartCount}: left stopped`,
        ...(logs === undefined ? {} : { logs }),
      });
    }
  };

  try {
    while (!ctx.signal.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (ctx.signal.aborted) break;
        // Coalesce a burst (say 400 containers restarting) into one pass.
        try {
          await sleep(debounceMs, ctx.signal);
        } catch (error) {
          if (error instanceof InterruptedError) break;
          throw error;
        }
      }
      dirty = false;
      const result = await pass();
      passes += 1;
      if (result.engineDown) {
        if (!engineDown)
          ctx.sink.emit({
            type: "warning",
            message: `the engine at ${ctx.engine.address} does not answer; retrying`,
          });
        engineDown = true;
        // Retry soon; the event watcher also pokes when it reconnects.
        wakeAt(now() + 1_000);
      } else if (engineDown) {
        engineDown = false;
        ctx.sink.emit({ type: "info", message: `engine at ${ctx.engine.address} answers again` });
      }
      ctx.onPass?.(result);
    }
  } finally {
    clearInterval(resync);
    for (const t of timers) clearTimeout(t);
    ctx.signal.removeEventListener("abort", poke);
    await events;
    // Give the engine back its own restart policy so the stack runs on unattended.
    for (const [id, policy] of disarmed) {
      await ctx.engine.updateRestartPolicy(id, policy).catch(() => undefined);
    }
  }
  return { passes, restarts };
}

/**
 * The warning for `service` when its replicas keep the engine's own restart policy under
 * `--watch`: what the engine applies, and which settings of restart_policy it does not.
 */
export function engineRestartWarning(service: ServiceSpec, reason: string): string {
  const policy = service.deploy.restartPolicy;
  const ignored: string[] = [];
  if (policy.delayMs !== undefined) ignored.push("delay");
  if (policy.windowMs !== undefined) ignored.push("window");
  if (policy.condition === "any" && policy.maxAttempts !== undefined)
    ignored.push("max_attempts (with condition any)");
  const applies =
    policy.condition === "on-failure"
      ? `restarts a replica at once when it fails${policy.maxAttempts ? `, at most ${policy.maxAttempts} times` : ""}`
      : "restarts a replica at once whenever it exits, without limit";
  return (
    `services.${service.name}: ${reason}; under --watch its replicas keep the engine's own restart policy, which ${applies}` +
    (ignored.length > 0 ? ` (restart_policy ${ignored.join(", ")} not applied)` : "")
  );
}

/** Drops start-container ops for exited replicas (the tracker's job) and edges to them. */
export function withoutRestarts(
  plan: Plan<DockerOperation>,
  observed: DockerObservedState,
): Plan<DockerOperation> {
  const exited = new Set(observed.containers.filter((c) => c.state === "exited").map((c) => c.id));
  const dropped = new Set(
    plan.operations
      .filter((op) => op.kind === "start-container" && exited.has(op.containerId))
      .map((op) => op.id),
  );
  if (dropped.size === 0) return plan;
  return {
    ...plan,
    operations: plan.operations
      .filter((op) => !dropped.has(op.id))
      .map((op) => ({ ...op, after: op.after.filter((id) => !dropped.has(id)) })),
  };
}

/**
 * Follows engine events for the stack, poking on each; when the stream breaks it reports the
 * engine down, retries with backoff (0.5 s doubling to 5 s) and pokes once reconnected, so
 * the next pass re-observes everything missed meanwhile. Ends when the signal aborts.
 */
async function watchEvents(
  stack: string,
  ctx: SuperviseContext,
  poke: () => void,
  setDown: (down: boolean) => void,
): Promise<void> {
  let backoff = 500;
  while (!ctx.signal.aborted) {
    try {
      let first = true;
      for await (const _event of ctx.engine.events(stack, ctx.signal)) {
        if (first) {
          first = false;
          backoff = 500;
        }
        poke();
      }
    } catch {
      if (ctx.signal.aborted) return;
      setDown(true);
    }
    if (ctx.signal.aborted) return;
    try {
      await sleep(backoff, ctx.signal);
    } catch {
      return;
    }
    backoff = Math.min(5_000, backoff * 2);
    try {
      await ctx.engine.ping();
      setDown(false);
      poke();
    } catch {
      // Still down; loop and try the stream again.
    }
  }
}
