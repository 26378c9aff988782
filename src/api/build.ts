import type { BuildOptions, Driver } from "../core/driver.js";
import type { StackSpec } from "../model/types.js";
import type { ProgressSink } from "../progress/events.js";
import { SpecError } from "../stackfile/errors.js";

/** What `stack build` asks for. */
export interface BuildImagesOptions extends BuildOptions {
  readonly driver: Driver;
  readonly spec: StackSpec;
  /** Only these services (default: every service with `build:`). */
  readonly services: readonly string[];
  readonly sink: ProgressSink;
}

/**
 * Builds the images of the stack's services that have `build:` (each image once, one after
 * the other), with the build output on `sink`, so a later deploy finds them current.
 * A named service without `build:` is a SpecError before anything is built. Returns the
 * images built; throws the first failure.
 */
export async function buildImages(options: BuildImagesOptions): Promise<string[]> {
  const { driver, spec, sink } = options;
  const named = options.services.length > 0;
  const names = named ? options.services : Object.keys(spec.services).sort();
  const issues = names
    .filter((n) => named && spec.services[n]?.build === undefined)
    .map((n) => ({ path: `services.${n}`, message: `service "${n}" has no build: section` }));
  if (issues.length > 0) throw new SpecError(issues);
  const built: string[] = [];
  for (const name of names) {
    const service = spec.services[name];
    if (service?.build === undefined || built.includes(service.image)) continue;
    // Said when the build starts sending output, so a driver that refuses (swarm, an image
    // no node can pull) gives one message, not a "building" line and then the refusal.
    let started = false;
    await driver.build(
      spec,
      name,
      {
        ...(options.noCache !== undefined && { noCache: options.noCache }),
        ...(options.pull !== undefined && { pull: options.pull }),
      },
      // The engine hands each output line over as a progress status: it is a build line.
      (p) => {
        if (!started)
          sink.emit({ type: "info", message: `building ${service.image} (service ${name})` });
        started = true;
        sink.emit({ type: "build-progress", image: p.image, line: p.status });
      },
    );
    built.push(service.image);
    sink.emit({ type: "info", message: `built ${service.image}` });
  }
  if (built.length === 0) sink.emit({ type: "info", message: "no service builds an image" });
  return built;
}
