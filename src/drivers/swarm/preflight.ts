import type { SpecIssue, SpecWarning, StackSpec } from "../../model/types.js";
import { builtImageName } from "../../model/naming.js";
import { unsupportedBuildSettings } from "../docker-api/build-options.js";
import { swarmUnsupportedSettings } from "./service-spec.js";

/** What the swarm driver check found: errors stop the deploy, warnings are shown. */
export interface SwarmDriverIssues {
  readonly errors: SpecIssue[];
  readonly warnings: SpecWarning[];
}

/**
 * Checks a spec against what Docker Swarm can do, before any engine call. Errors: `build:`
 * without an `image:` naming a registry repository (the manager builds and pushes it, the
 * nodes pull it) and `network_mode:` (tasks always join networks). Warnings, for settings swarm ignores: `container_name` (swarm
 * names tasks), `links` (use the service name or a network alias), `privileged`, `pid`,
 * a published port bound to one host address. With `nodes` known, a replicated service
 * whose `max_replicas_per_node` times the node count is below its replicas gets a warning:
 * the rest of its tasks stay pending. `depends_on` conditions are honoured by `stack`.
 */
export function swarmDriverIssues(spec: StackSpec, nodes?: number): SwarmDriverIssues {
  const errors: SpecIssue[] = [];
  const warnings: SpecWarning[] = [];
  for (const s of Object.values(spec.services).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const at = `services.${s.name}`;
    if (s.build !== undefined) {
      // The manager builds and pushes; every node pulls the pushed image by digest. An
      // image named after the stack has no registry to go to.
      if (s.image === builtImageName(spec.name, s.name))
        errors.push({
          path: `${at}.build`,
          message: `build on swarm needs image: naming a repository in a registry every node can pull from (e.g. registry.example.com:5000/${s.name}:1): stack builds it on the manager, pushes it there, then deploys`,
        });
      else
        for (const message of unsupportedBuildSettings(s.build))
          warnings.push({ path: `${at}.build`, message });
    }
    if (s.networkMode !== undefined)
      errors.push({
        path: `${at}.network_mode`,
        message: `network_mode is not supported on swarm: tasks join the stack's networks; use networks:`,
      });
    if (s.containerName !== undefined)
      warnings.push({
        path: `${at}.container_name`,
        message: `container_name is ignored on swarm: swarm names tasks ${spec.name}_${s.name}.SLOT`,
      });
    if (s.links.length > 0)
      warnings.push({
        path: `${at}.links`,
        message: `links are not supported on swarm; their aliases still apply as network aliases, and the service name resolves on its networks`,
      });
    if (s.privileged === true)
      warnings.push({
        path: `${at}.privileged`,
        message: `privileged is ignored on swarm (swarm services cannot run privileged)`,
      });
    if (s.pid !== undefined)
      warnings.push({ path: `${at}.pid`, message: `pid is ignored on swarm` });
    if (s.pullPolicy !== undefined && s.pullPolicy !== "build")
      warnings.push({
        path: `${at}.pull_policy`,
        message: `pull_policy is ignored on swarm: each node pulls the image when it starts a task, pinned to a digest by --resolve-image`,
      });
    s.ports.forEach((p, i) => {
      if (p.hostIp !== undefined && p.hostIp !== "" && p.hostIp !== "0.0.0.0")
        warnings.push({
          path: `${at}.ports[${i}]`,
          message: `host_ip ${p.hostIp} is ignored on swarm: published ports listen on every address of the node`,
        });
    });
    const max = s.deploy.placement.maxReplicasPerNode;
    if (
      nodes !== undefined &&
      s.deploy.mode === "replicated" &&
      max !== undefined &&
      max > 0 &&
      max * nodes < s.deploy.replicas
    ) {
      warnings.push({
        path: `${at}.deploy.placement.max_replicas_per_node`,
        message: `${s.deploy.replicas} replicas with at most ${max} per node need ${Math.ceil(s.deploy.replicas / max)} nodes; the swarm has ${nodes}, so ${s.deploy.replicas - max * nodes} task(s) will stay pending`,
      });
    }
    for (const message of swarmUnsupportedSettings(s)) warnings.push({ path: at, message });
  }
  return { errors, warnings };
}
