import type { SpecWarning, StackSpec } from "../../model/types.js";

/**
 * One warning per service with bind mounts when the engine is remote (`engine.remote`):
 * the engine reads a bind mount's source on its own host (the Docker CLI and compose send
 * the path as written, resolved against the stack file's directory on this machine), so
 * the files must exist there. Build contexts, secrets and configs are read here and sent;
 * they need no warning. Empty for a local engine.
 */
export function remoteBindMountWarnings(
  spec: StackSpec,
  engine: { readonly address: string; readonly remote?: boolean },
): SpecWarning[] {
  if (engine.remote !== true) return [];
  const warnings: SpecWarning[] = [];
  for (const name of Object.keys(spec.services).sort()) {
    const service = spec.services[name]!;
    const sources = [
      ...new Set(
        service.mounts
          .filter((m) => m.type === "bind" && m.source !== undefined)
          .map((m) => m.source!),
      ),
    ];
    if (sources.length === 0) continue;
    warnings.push({
      path: `services.${name}.volumes`,
      message: `bind-mount source${sources.length > 1 ? "s" : ""} ${sources.join(", ")} ${sources.length > 1 ? "are paths" : "is a path"} on the engine's host (${engine.address} is remote), not on this machine: ${sources.length > 1 ? "they" : "it"} must exist there`,
    });
  }
  return warnings;
}
