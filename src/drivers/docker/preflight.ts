import type { EngineKind } from "../../core/driver.js";
import { ingressPorts } from "../../model/ingress.js";
import type { SpecIssue, SpecWarning, StackSpec } from "../../model/types.js";
import { unsupportedBuildSettings } from "../docker-api/build-options.js";
import { dockerUnsupportedSettings } from "./container-config.js";

/**
 * Checks a spec against what the single-engine docker driver can do, before any engine call.
 * A fixed host port can be bound by one container only: the stack's ingress proxy serves the
 * TCP ports of services with several replicas (see `ingressPorts`); a fixed port it cannot
 * serve (UDP/SCTP, `mode: host`, `network_mode`) on such a service is an error.
 */
export function dockerDriverIssues(spec: StackSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const service of Object.values(spec.services)) {
    if (service.deploy.replicas <= 1) continue;
    const served = new Set(ingressPorts(service));
    service.ports.forEach((port, index) => {
      if (port.published === undefined || served.has(port)) return;
      const why =
        port.protocol !== "tcp"
          ? `the ingress proxy balances TCP only, not ${port.protocol}`
          : port.mode === "host"
            ? `mode: host binds the port in every replica`
            : `a service with network_mode cannot be reached by the ingress proxy`;
      issues.push({
        path: `services.${service.name}.ports[${index}]`,
        message:
          `publishes host port ${port.published} but has ${service.deploy.replicas} replicas and ${why}: ` +
          `on one Docker engine only one container can bind a host port. Publish only the ` +
          `container port (e.g. "${port.target}") so each replica gets its own host port, or ` +
          `set replicas to 1.`,
      });
    });
  }
  return issues;
}

/**
 * Warnings for settings the single-engine docker driver does not act on: placement (one
 * engine is one node), `endpoint_mode`, build settings the engine's build API cannot take
 * (they need BuildKit), and, when the engine's `apiVersion` is known, settings it is too old
 * for (annotations before API 1.43).
 */
export function dockerDriverWarnings(spec: StackSpec, apiVersion?: string): SpecWarning[] {
  const warnings: SpecWarning[] = [];
  for (const s of Object.values(spec.services).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = s.deploy.placement;
    if (p.constraints.length > 0 || p.preferences.length > 0 || p.maxReplicasPerNode !== undefined)
      warnings.push({
        path: `services.${s.name}.deploy.placement`,
        message: `placement is ignored by the docker driver (one engine is one node); deploy with --driver swarm to a swarm manager to use it`,
      });
    if (s.deploy.endpointMode !== undefined)
      warnings.push({
        path: `services.${s.name}.deploy.endpoint_mode`,
        message: `endpoint_mode is ignored by the docker driver`,
      });
    if (s.build !== undefined)
      for (const message of unsupportedBuildSettings(s.build))
        warnings.push({ path: `services.${s.name}.build`, message });
    if (apiVersion !== undefined)
      for (const message of dockerUnsupportedSettings(s, apiVersion))
        warnings.push({ path: `services.${s.name}`, message });
  }
  return warnings;
}

/**
 * Warnings for settings the engine `engine` treats differently. Podman (checked on 4.3.1):
 * a service's `ulimits` replace the engine's `default_ulimits` instead of adding to them, so
 * a limit the file does not set falls back to Podman's built-in default (nofile 1048576,
 * nproc unlimited), which the runtime refuses to set where the host's hard limit is lower
 * ("error setting rlimit type 7" for nofile, "type 6" for nproc): the replica never starts.
 */
export function engineWarnings(spec: StackSpec, engine: EngineKind): SpecWarning[] {
  if (engine !== "podman") return [];
  const warnings: SpecWarning[] = [];
  for (const s of Object.values(spec.services).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const set = Object.keys(s.ulimits);
    if (set.length === 0) continue;
    const missing = ["nofile", "nproc"].filter((n) => !set.includes(n));
    if (missing.length === 0) continue;
    warnings.push({
      path: `services.${s.name}.ulimits`,
      message: `on Podman, ulimits replace the engine's default_ulimits: ${missing.join(" and ")} then fall${missing.length === 1 ? "s" : ""} back to Podman's built-in default, which a host with lower hard limits refuses ("error setting rlimit"); set ${missing.join(" and ")} here too`,
    });
  }
  return warnings;
}
