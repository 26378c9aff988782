import { orderServices } from "../core/dependency-graph.js";
import type { ControlAction, ControlOptions, ControlOutcome, Driver } from "../core/driver.js";
import type { StackSpec } from "../model/types.js";
import { NotFoundError } from "../core/errors.js";
import type { ProgressSink } from "../progress/events.js";

/** What `stack restart|stop|start|kill|pause|unpause` asks for. */
export interface ControlStackOptions extends ControlOptions {
  readonly driver: Driver;
  readonly stack: string;
  readonly action: ControlAction;
  /** Only these services (default: all). */
  readonly services: readonly string[];
  /** The stack file, when read: services go in dependency order (reversed for stop, kill, pause). */
  readonly spec?: StackSpec;
  /** Where the output of the services' lifecycle hooks goes (they run only with `spec`). */
  readonly sink?: ProgressSink;
}

/**
 * Applies a control action to the stack's replicas. Throws NotFoundError (before any change)
 * when the stack or a named service is not on the engine.
 */
export async function controlStack(
  options: ControlStackOptions,
): Promise<readonly ControlOutcome[]> {
  const { driver, stack, action, spec } = options;
  // By service, not replica: a swarm service stopped by `stack stop` has no tasks left.
  const have = (await driver.services(stack)).map((s) => s.name);
  if (have.length === 0)
    throw new NotFoundError(
      `stack ${stack} has no services on the engine at ${driver.address} (not deployed? stack ls lists the stacks)`,
    );
  for (const s of options.services)
    if (!have.includes(s))
      throw new NotFoundError(
        `stack ${stack} has no service "${s}" on the engine (it has ${have.join(", ")})`,
      );
  const services = options.services.length > 0 ? [...options.services] : undefined;
  let order: string[] | undefined;
  if (spec !== undefined) {
    // Dependencies first when starting, last when stopping.
    const forward = orderServices(spec.services);
    order =
      action === "stop" || action === "kill" || action === "pause" ? forward.reverse() : forward;
  }
  return driver.control(stack, services, action, {
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.signal !== undefined && { signal: options.signal }),
    ...(order !== undefined && { order }),
    ...(spec !== undefined &&
      options.sink !== undefined && { hooks: { spec, sink: options.sink } }),
    ...(options.replicas !== undefined && { replicas: options.replicas }),
  });
}
