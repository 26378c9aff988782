/**
 * `stack restart|stop|start|kill|pause|unpause` on the docker driver: one engine call per
 * replica, chosen by the replica's state so a repeated command changes nothing (stopping a
 * stopped replica, starting a running one). Services are handled in the order given (the
 * API passes dependency order, reversed for stop), the replicas of one service at once.
 *
 * With the stack file (`options.hooks`), the services' lifecycle hooks run as compose runs
 * them: `pre_stop` before a running replica is stopped or restarted (a failing hook is
 * reported as a failed outcome; the replica is stopped all the same), `post_start` after a
 * replica is started or restarted (a failing hook fails the outcome; the replica runs on).
 *
 * Engine behaviour relied on (dockerd 20.10): a container stopped or killed by hand is not
 * restarted by its restart policy until the engine restarts (or `stack start` / `deploy`
 * starts it); `restart` of an exited container starts it.
 */
import type { ControlAction, ControlOptions, ControlOutcome } from "../../core/driver.js";
import { EngineError } from "../../core/errors.js";
import type { ObservedContainer } from "../../core/replica.js";
import type { ContainerEngine } from "./container-engine.js";
import { hasHooks, runPostStartHooks, runPreStopHooks } from "./hooks.js";

/** What one replica needs for `action`, or why nothing is done. */
function step(
  engine: ContainerEngine,
  c: ObservedContainer,
  action: ControlAction,
  options: ControlOptions,
): { run?: () => Promise<unknown>; result: string } {
  const running = c.state === "running" || c.state === "restarting";
  switch (action) {
    case "restart":
      return {
        run: () => engine.restartContainer(c.id, options.timeoutMs),
        result: "restarted",
      };
    case "stop":
      return running || c.state === "paused"
        ? { run: () => engine.stopContainer(c.id, options.timeoutMs), result: "stopped" }
        : { result: "already stopped" };
    case "start":
      return c.state === "exited" || c.state === "created" || c.state === "dead"
        ? { run: () => engine.startContainer(c.id), result: "started" }
        : { result: c.state === "paused" ? "paused (use unpause)" : "already running" };
    case "kill": {
      const signal = options.signal ?? "SIGKILL";
      return running
        ? { run: () => engine.killContainer(c.id, signal), result: `killed (${signal})` }
        : { result: "not running" };
    }
    case "pause":
      return running
        ? { run: () => engine.pauseContainer(c.id), result: "paused" }
        : { result: c.state === "paused" ? "already paused" : "not running" };
    case "unpause":
      return c.state === "paused"
        ? { run: () => engine.unpauseContainer(c.id), result: "unpaused" }
        : { result: "not paused" };
  }
}

/**
 * Applies `action` to `groups` (replicas per service, in order): the groups one after the
 * other, the replicas of a group at once. A failed call is reported for its replica and the
 * others go on.
 */
export async function controlReplicas(
  engine: ContainerEngine,
  groups: readonly (readonly ObservedContainer[])[],
  action: ControlAction,
  options: ControlOptions,
): Promise<ControlOutcome[]> {
  const outcomes: ControlOutcome[] = [];
  for (const group of groups) {
    const sorted = [...group].sort((a, b) => a.slot - b.slot || a.name.localeCompare(b.name));
    const results = await Promise.all(
      sorted.map(async (c): Promise<ControlOutcome> => {
        const { run, result } = step(engine, c, action, options);
        if (run === undefined) return { name: c.name, result, ok: true };
        const service = c.role === undefined ? options.hooks?.spec.services[c.service] : undefined;
        const hooks =
          options.hooks === undefined
            ? undefined
            : { engine, spec: options.hooks.spec, sink: options.hooks.sink };
        let hookFailure: string | undefined;
        try {
          const running = c.state === "running" || c.state === "restarting";
          if (
            hooks !== undefined &&
            running &&
            (action === "stop" || action === "restart") &&
            hasHooks(service, "preStop")
          )
            hookFailure = await runPreStopHooks(hooks, { service, id: c.id, name: c.name });
          await run();
          if (
            hooks !== undefined &&
            (action === "start" || action === "restart") &&
            hasHooks(service, "postStart")
          )
            await runPostStartHooks(hooks, { service, id: c.id, name: c.name });
          return hookFailure === undefined
            ? { name: c.name, result, ok: true }
            : { name: c.name, result: `${result}; ${hookFailure}`, ok: false };
        } catch (err) {
          if (!(err instanceof EngineError)) throw err;
          return { name: c.name, result: `failed: ${err.message}`, ok: false };
        }
      }),
    );
    outcomes.push(...results);
  }
  return outcomes;
}
