import type { StackSpec } from "./types.js";

/**
 * Services whose replicas are expected to run to completion rather than keep running: jobs
 * (`deploy.mode: replicated-job` or `global-job`) and the services another service depends on
 * with `service_completed_successfully`. `deploy --wait` waits for them to exit 0.
 */
export function oneShotServices(spec: StackSpec): Set<string> {
  const result = new Set<string>();
  for (const service of Object.values(spec.services)) {
    if (service.deploy.mode === "replicated-job" || service.deploy.mode === "global-job")
      result.add(service.name);
    for (const [dep, d] of Object.entries(service.dependsOn)) {
      if (d.condition === "service_completed_successfully") result.add(dep);
    }
  }
  return result;
}
