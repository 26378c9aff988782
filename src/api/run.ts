import { orderServices } from "../core/dependency-graph.js";
import type { Driver, OneOffOptions } from "../core/driver.js";
import { UnsupportedError } from "../core/errors.js";
import type { MountSpec, StackSpec } from "../model/types.js";
import type { ProgressSink } from "../progress/events.js";
import { isHostPath } from "../stackfile/canonical/volumes.js";
import { SpecError } from "../stackfile/errors.js";
import type { LoadStackOptions } from "../stackfile/load-stack.js";
import { homedir } from "node:os";
import path from "node:path";
import { deployStack } from "./deploy.js";

/** What `stack run` asks for. */
export interface RunServiceOptions extends Omit<OneOffOptions, "mounts"> {
  readonly driver: Driver;
  /** The loaded stack (with the service's profile active). */
  readonly spec: StackSpec;
  /** How to load it again, for the deploy of the dependencies. */
  readonly load: LoadStackOptions;
  /** `-v` entries, compose's short syntax: `SRC:DST[:ro|rw]` or `DST` (anonymous volume). */
  readonly volumes: readonly string[];
  /** Do not start the service's dependencies first. */
  readonly noDeps: boolean;
  /** Progress of the dependencies' deploy. */
  readonly sink: ProgressSink;
  /** Limit for the dependencies to become ready. */
  readonly timeoutMs?: number;
}

/** The services `name` depends on, transitively, in no particular order. */
export function dependenciesOf(spec: StackSpec, name: string): string[] {
  const seen = new Set<string>();
  const visit = (s: string) => {
    for (const dep of Object.keys(spec.services[s]?.dependsOn ?? {})) {
      if (seen.has(dep) || spec.services[dep] === undefined) continue;
      seen.add(dep);
      visit(dep);
    }
  };
  visit(name);
  seen.delete(name);
  return [...seen].sort();
}

/**
 * `-v` entries as mounts: a host path (`/`, `.`, `~`) is a bind mount (relative to the stack
 * file's directory), a name is a volume of the stack file, a lone path an anonymous volume.
 * Throws SpecError for a volume the file does not declare or a malformed entry.
 */
export function oneOffMounts(spec: StackSpec, volumes: readonly string[]): MountSpec[] {
  return volumes.map((entry, i) => {
    const parts = entry.split(":");
    const where = `-v[${i}]`;
    if (parts.length === 1) {
      if (!parts[0]?.startsWith("/"))
        throw new SpecError([
          { path: where, message: `"${entry}": a container path must be absolute` },
        ]);
      return { type: "volume" as const, target: parts[0], readOnly: false };
    }
    const [source = "", target = "", mode = "rw", ...extra] = parts;
    if (extra.length > 0 || !target.startsWith("/") || !["ro", "rw"].includes(mode))
      throw new SpecError([
        { path: where, message: `"${entry}": expected SOURCE:/container/path[:ro|rw]` },
      ]);
    const readOnly = mode === "ro";
    if (isHostPath(source)) {
      const absolute =
        source === "~" || source.startsWith("~/")
          ? path.resolve(homedir(), source.slice(2))
          : path.resolve(spec.workingDir, source);
      return { type: "bind" as const, source: absolute, target, readOnly, createHostPath: true };
    }
    if (spec.volumes[source] === undefined)
      throw new SpecError([
        {
          path: where,
          message: `volume "${source}" is not declared in the stack file's volumes: (declared: ${Object.keys(spec.volumes).sort().join(", ") || "none"})`,
        },
      ]);
    return { type: "volume" as const, source, target, readOnly };
  });
}

/**
 * Runs a one-off container of `service` with its configuration and networks: first starts
 * and deploys the services it depends on (unless `noDeps`) and waits until they are ready, then runs it
 * attached and returns its exit code. With `remove` nothing of it is left afterwards.
 */
export async function runService(options: RunServiceOptions): Promise<number> {
  const { driver, spec, service } = options;
  const mounts = oneOffMounts(spec, options.volumes);
  const deps = options.noDeps ? [] : dependenciesOf(spec, service);
  if (deps.length > 0) {
    // compose's run starts stopped dependencies too; a deploy leaves a replica stopped when
    // its restart policy says so (one-shot jobs), so they are started first.
    await driver
      .control(spec.name, deps, "start", { order: orderServices(spec.services) })
      .catch((err: unknown) => {
        if (!(err instanceof UnsupportedError)) throw err;
      });
    const deployed = await deployStack({
      ...options.load,
      stack: spec.name,
      services: deps,
      driver: () => driver,
      sink: options.sink,
      wait: true,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    if (!deployed.ok) return 1;
  }
  const {
    driver: _d,
    spec: _s,
    load: _l,
    volumes: _v,
    noDeps: _n,
    sink: _k,
    timeoutMs: _t,
    ...rest
  } = options;
  return driver.run(spec, options.load.env ?? process.env, { ...rest, mounts });
}
