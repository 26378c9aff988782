/**
 * The swarm planner: PURE, at the service level. Swarm schedules, restarts and rolls the
 * tasks itself, so a plan here only creates, updates and removes swarm objects; what it
 * decides is which of them differ, and in what order to touch them.
 */
import { networkConfigHash } from "../../model/config-hash.js";
import type { DependencyCondition, StackSpec } from "../../model/types.js";
import { compareStrings, orderServices, strongerCondition } from "../../core/dependency-graph.js";
import type { PlanOptions } from "../../core/driver.js";
import type { Plan } from "../../core/operation.js";
import { PlanBuilder } from "../../core/plan-builder.js";
import type { SwarmDesiredState, SwarmObservedState } from "./observed-state.js";
import { SWARM_OPERATIONS, type SwarmOperation } from "./operations.js";

/**
 * Plans a swarm deploy:
 * - networks the services use that are missing are created (overlay, attachable); a network
 *   whose definition changed only gets a warning (swarm cannot edit one that tasks use);
 *   a missing external network, secret or config is a blocker;
 * - secrets and configs are created under their content-hashed names when missing;
 * - a service is created when missing, updated when its spec hash or replica count differs,
 *   and left alone otherwise, so an unchanged redeploy changes nothing (no rolling restart);
 * - `depends_on`: a service's create/update runs after a `wait-ready` on each dependency
 *   that has an operation in the plan (its tasks running, or healthy, or completed), one
 *   per dependency at the strongest condition its dependents ask for;
 *   `forceRecreate` and `build` do not apply (swarm rolls tasks itself; nodes cannot build);
 * - services not in the file are removed with `prune`, else named in a warning;
 * - the stack's secrets and configs no longer referenced by the desired state are removed
 *   after every service operation (old content-hashed versions).
 */
export function reconcileSwarm(
  spec: StackSpec,
  desired: SwarmDesiredState,
  observed: SwarmObservedState,
  options: PlanOptions,
): Plan<SwarmOperation> {
  const builder = new PlanBuilder(SWARM_OPERATIONS);
  const warnings: string[] = [];
  const blockers: string[] = [];
  const only = options.services === undefined ? undefined : new Set(options.services);
  for (const name of options.services ?? []) {
    if (spec.services[name] === undefined) blockers.push(`no service "${name}" in the stack file`);
  }
  const selected = orderServices(spec.services).filter((s) => only === undefined || only.has(s));

  // Networks the selected services use.
  const usedNetworks = new Set(
    selected.flatMap((s) => Object.keys(spec.services[s]?.networks ?? {})),
  );
  const networkOp = new Map<string, string>();
  for (const key of [...usedNetworks].sort(compareStrings)) {
    const network = spec.networks[key];
    if (network === undefined) continue;
    if (network.external) {
      if (!observed.externalNetworks.includes(network.name))
        blockers.push(
          `external network ${network.name} does not exist on the swarm (create it with docker network create -d overlay)`,
        );
      continue;
    }
    const found = observed.networks.find((n) => n.name === network.name);
    if (found === undefined) {
      const id = `network:${network.name}:create`;
      builder.add({
        id,
        kind: "create-network",
        network: key,
        name: network.name,
        cause: "not found",
        after: [],
      });
      networkOp.set(key, id);
    } else if (found.configHash !== "" && found.configHash !== networkConfigHash(network)) {
      warnings.push(
        `network ${network.name} changed in the stack file; swarm cannot change it in place: remove the stack (stack rm) and deploy again to apply it`,
      );
    }
  }

  // Secrets and configs.
  const objectOp = new Map<string, string>();
  const objects = (kind: "secret" | "config") => {
    const want = kind === "secret" ? desired.secrets : desired.configs;
    const have = kind === "secret" ? observed.secrets : observed.configs;
    const external = kind === "secret" ? observed.externalSecrets : observed.externalConfigs;
    const used = new Set(
      selected
        .flatMap(
          (s) => (kind === "secret" ? spec.services[s]?.secrets : spec.services[s]?.configs) ?? [],
        )
        .map((r) => r.source),
    );
    for (const key of [...used].sort(compareStrings)) {
      const object = want[key];
      if (object === undefined) continue;
      if (object.external) {
        if (!external.includes(object.name))
          blockers.push(`external ${kind} ${object.name} does not exist on the swarm`);
        continue;
      }
      if (have.some((h) => h.name === object.name)) continue;
      const id = `${kind}:${object.name}:create`;
      const cause = have.some((h) => h.name.startsWith(`${spec.name}_${key}-`))
        ? "content changed"
        : "not found";
      if (kind === "secret")
        builder.add({
          id,
          kind: "create-secret",
          secret: key,
          name: object.name,
          cause,
          after: [],
        });
      else
        builder.add({
          id,
          kind: "create-config",
          config: key,
          name: object.name,
          cause,
          after: [],
        });
      objectOp.set(`${kind}:${key}`, id);
    }
  };
  objects("secret");
  objects("config");

  // Services, in dependency order. One wait per dependency, at the strongest condition any
  // selected dependent asks for, so a failed dependency is one failed wait.
  const serviceOp = new Map<string, string>();
  const condition = new Map<string, DependencyCondition>();
  for (const key of selected) {
    for (const [dep, d] of Object.entries(spec.services[key]?.dependsOn ?? {}))
      condition.set(dep, strongerCondition(condition.get(dep), d.condition));
  }
  for (const key of selected) {
    const service = spec.services[key];
    const want = desired.services[key];
    if (service === undefined || want === undefined) continue;
    const found = observed.services.find((s) => s.service === key || s.name === want.name);
    const after = [
      ...Object.keys(service.networks).flatMap((n) => networkOp.get(n) ?? []),
      ...service.secrets.flatMap((r) => objectOp.get(`secret:${r.source}`) ?? []),
      ...service.configs.flatMap((r) => objectOp.get(`config:${r.source}`) ?? []),
    ];
    for (const [dep, d] of Object.entries(service.dependsOn).sort(([a], [b]) =>
      compareStrings(a, b),
    )) {
      const depOp = serviceOp.get(dep);
      if (depOp === undefined) continue;
      const wanted = condition.get(dep) ?? d.condition;
      const waitId = `wait:${dep}:${wanted}`;
      if (!builder.has(waitId)) {
        builder.add({
          id: waitId,
          kind: "wait-ready",
          service: dep,
          condition: wanted,
          cause: "dependency",
          after: [depOp],
        });
      }
      after.push(waitId);
    }
    if (found === undefined) {
      const id = `service:${key}:create`;
      builder.add({
        id,
        kind: "create-service",
        service: key,
        name: want.name,
        cause: "not found",
        after,
      });
      serviceOp.set(key, id);
    } else if (
      found.configHash !== want.configHash ||
      (want.replicas !== undefined && found.replicas !== want.replicas)
    ) {
      const id = `service:${key}:update`;
      builder.add({
        id,
        kind: "update-service",
        service: key,
        name: want.name,
        serviceId: found.id,
        version: found.version,
        cause: found.configHash !== want.configHash ? "config hash diverged" : "scale",
        after,
      });
      serviceOp.set(key, id);
    }
  }

  // Services no longer in the file.
  if (only === undefined) {
    const orphans = observed.services
      .filter((s) => spec.services[s.service] === undefined)
      .sort((a, b) => compareStrings(a.name, b.name));
    for (const o of orphans) {
      if (options.prune)
        builder.add({
          id: `service:${o.service}:remove`,
          kind: "remove-service",
          name: o.name,
          serviceId: o.id,
          cause: "orphaned",
          after: [],
        });
      else
        warnings.push(
          `service ${o.name} is not in the stack file; deploy with --prune to remove it`,
        );
    }
  }

  // Old versions of secrets and configs: after every service has moved off them.
  if (only === undefined) {
    const serviceOps = builder.ids(
      (op) =>
        op.kind === "create-service" ||
        op.kind === "update-service" ||
        op.kind === "remove-service",
    );
    const keep = (want: SwarmDesiredState["secrets"]) =>
      new Set(Object.values(want).map((o) => o.name));
    const keepSecrets = keep(desired.secrets);
    const keepConfigs = keep(desired.configs);
    for (const s of [...observed.secrets].sort((a, b) => compareStrings(a.name, b.name))) {
      if (!keepSecrets.has(s.name))
        builder.add({
          id: `secret:${s.name}:remove`,
          kind: "remove-secret",
          name: s.name,
          secretId: s.id,
          cause: "orphaned",
          after: serviceOps,
        });
    }
    for (const c of [...observed.configs].sort((a, b) => compareStrings(a.name, b.name))) {
      if (!keepConfigs.has(c.name))
        builder.add({
          id: `config:${c.name}:remove`,
          kind: "remove-config",
          name: c.name,
          configId: c.id,
          cause: "orphaned",
          after: serviceOps,
        });
    }
  }

  return builder.build(observed.stack, warnings, blockers);
}

/**
 * Plans `stack rm` on a swarm: every service of the stack, then its networks, secrets and
 * configs once the services are gone (swarm refuses to remove objects still in use).
 * Volumes live on each node and are left alone.
 */
export function planRemoveSwarm(observed: SwarmObservedState): Plan<SwarmOperation> {
  const builder = new PlanBuilder(SWARM_OPERATIONS);
  const services: string[] = [];
  for (const s of [...observed.services].sort((x, y) => compareStrings(x.name, y.name))) {
    const id = builder.add({
      id: `service:${s.service}:remove`,
      kind: "remove-service",
      name: s.name,
      serviceId: s.id,
      cause: "removed by rm",
      after: [],
    });
    services.push(id);
  }
  for (const n of [...observed.networks].sort(
    (a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id),
  )) {
    builder.add({
      id: `network:${n.name}:${n.id}:remove`,
      kind: "remove-network",
      name: n.name,
      networkId: n.id,
      cause: "removed by rm",
      after: services,
    });
  }
  for (const s of [...observed.secrets].sort((a, b) => compareStrings(a.name, b.name))) {
    builder.add({
      id: `secret:${s.name}:remove`,
      kind: "remove-secret",
      name: s.name,
      secretId: s.id,
      cause: "removed by rm",
      after: services,
    });
  }
  for (const c of [...observed.configs].sort((a, b) => compareStrings(a.name, b.name))) {
    builder.add({
      id: `config:${c.name}:remove`,
      kind: "remove-config",
      name: c.name,
      configId: c.id,
      cause: "removed by rm",
      after: services,
    });
  }
  return builder.build(observed.stack);
}
