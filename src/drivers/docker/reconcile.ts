import { containerName, scopedName } from "../../model/naming.js";
import { buildConfigHash, networkConfigHash, serviceConfigHash } from "../../model/config-hash.js";
import {
  ingressConfigHash,
  ingressImage,
  ingressNetworks,
  ingressRoutes,
} from "../../model/ingress.js";
import type {
  DependencyCondition,
  RestartPolicySpec,
  ServiceSpec,
  StackSpec,
} from "../../model/types.js";
import { compareStrings, orderServices, strongerCondition } from "../../core/dependency-graph.js";
import type { PlanOptions } from "../../core/driver.js";
import type { Plan } from "../../core/operation.js";
import { PlanBuilder } from "../../core/plan-builder.js";
import type { ObservedContainer } from "../../core/replica.js";
import type { DockerObservedState } from "./observed-state.js";
import { STALE_TASK_PATTERN } from "../docker-api/classify-error.js";
import {
  DOCKER_OPERATIONS,
  imageChangedCause,
  removeContainerDraft,
  type Cause,
  type DockerOperation,
} from "./operations.js";

type Builder = PlanBuilder<DockerOperation>;

/** Ids of one service's container operations, by what they need before they can run. */
interface ServiceOps {
  /** create/start/replace ops: gated by depends_on waits and networks/volumes. */
  readonly activating: string[];
  /** create/replace ops: they also need the image. */
  readonly needImage: string[];
}

function compareContainers(a: ObservedContainer, b: ObservedContainer): number {
  return (
    compareStrings(a.service, b.service) ||
    compareSlots(a.slot, b.slot) ||
    compareStrings(a.name, b.name) ||
    compareStrings(a.id, b.id)
  );
}

/** Ascending, with a malformed (non-finite) slot label after every real slot. */
function compareSlots(a: number, b: number): number {
  const fa = Number.isFinite(a);
  const fb = Number.isFinite(b);
  if (fa && fb) return a - b;
  return fa === fb ? 0 : fa ? -1 : 1;
}

function createdTime(c: ObservedContainer): number {
  const t = Date.parse(c.createdAt);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Which container of a crowded slot to keep: the one built from the current spec, then the
 * one already holding the slot name (no rename needed), then a running one, then the newest,
 * then the smallest id so the choice never depends on observation order.
 */
function preferenceOrder(hash: string, slotName: string) {
  const score = (c: ObservedContainer): number[] => [
    c.configHash === hash ? 0 : 1,
    c.name === slotName ? 0 : 1,
    c.state === "running" ? 0 : 1,
  ];
  return (a: ObservedContainer, b: ObservedContainer): number => {
    const sa = score(a);
    const sb = score(b);
    for (let i = 0; i < sa.length; i++) {
      const d = (sa[i] ?? 0) - (sb[i] ?? 0);
      if (d !== 0) return d;
    }
    const ta = createdTime(a);
    const tb = createdTime(b);
    if (ta !== tb) return ta > tb ? -1 : 1;
    return compareStrings(a.id, b.id);
  };
}

/** True when the restart policy says a stopped replica should be running again. */
function shouldRun(c: ObservedContainer, policy: RestartPolicySpec): boolean {
  if (policy.condition === "any") return true;
  if (policy.condition === "on-failure") return c.exitCode !== undefined && c.exitCode !== 0;
  return false;
}

/**
 * True for a replica the engine refuses to start until it is recreated: its last start
 * failed on a task containerd kept from a dockerd that was killed (see
 * `STALE_TASK_PATTERN`), recorded by the engine as the container's error.
 */
function hasStaleTask(c: ObservedContainer): boolean {
  return c.state !== "running" && c.error !== undefined && STALE_TASK_PATTERN.test(c.error);
}

/**
 * True for an exited replica that last started before the engine did: the engine's stop or
 * crash ended it, not its own process. Decided on the engine's clock only.
 */
function endedByEngine(c: ObservedContainer, engineStartedAt: string | undefined): boolean {
  if (c.state !== "exited" || engineStartedAt === undefined || c.startedAt === undefined)
    return false;
  const started = Date.parse(c.startedAt);
  const engine = Date.parse(engineStartedAt);
  return Number.isFinite(started) && Number.isFinite(engine) && started < engine;
}

/**
 * Services whose replicas run to completion: a job mode, or a dependency another service
 * waits on with `service_completed_successfully`. The others are long-running.
 */
function oneShotServices(spec: StackSpec): Set<string> {
  const result = new Set<string>();
  for (const service of Object.values(spec.services)) {
    if (service.deploy.mode === "replicated-job" || service.deploy.mode === "global-job")
      result.add(service.name);
    for (const [dep, d] of Object.entries(service.dependsOn))
      if (d.condition === "service_completed_successfully") result.add(dep);
  }
  return result;
}

/** What the planner of one service's replicas knows besides its spec and containers. */
interface ServiceContext {
  /** From `DockerObservedState.engineStartedAt`. */
  readonly engineStartedAt?: string;
  /** The service runs to completion (see `oneShotServices`). */
  readonly oneShot: boolean;
}

/**
 * Plans the replicas of one service; returns the ids that need gates, networks and images.
 * `imageChange` says why a kept replica's image is no longer the one its tag gives (or
 * undefined when it is, or cannot be known).
 */
function planServiceContainers(
  stack: string,
  service: ServiceSpec,
  containers: readonly ObservedContainer[],
  forceRecreate: boolean,
  imageChange: (c: ObservedContainer) => Cause | undefined,
  b: Builder,
  context: ServiceContext = { oneShot: false },
): ServiceOps {
  const hash = serviceConfigHash(service);
  const replicas = Math.max(0, Math.floor(service.deploy.replicas));
  const result: ServiceOps = { activating: [], needImage: [] };

  const slots = new Map<number, ObservedContainer[]>();
  for (const c of containers) {
    const group = slots.get(c.slot);
    if (group) group.push(c);
    else slots.set(c.slot, [c]);
  }

  // Scale down first and highest slots first, like swarm: the lowest slots keep serving.
  const surplus = [...slots.keys()]
    .filter((s) => !(Number.isInteger(s) && s >= 1 && s <= replicas))
    .sort((x, y) => -compareSlots(x, y));
  for (const slot of surplus) {
    for (const c of slots.get(slot) ?? []) b.add(removeContainerDraft(c, "scale down"));
  }

  const replaced: string[] = [];
  for (let slot = 1; slot <= replicas; slot++) {
    const slotName = containerName(stack, service.name, slot);
    const key = `${service.name}.${slot}`;
    const group = [...(slots.get(slot) ?? [])].sort(preferenceOrder(hash, slotName));
    const [kept, ...extra] = group;
    if (kept === undefined) {
      const cause: Cause = containers.length === 0 ? "not found" : "scale up";
      const id = b.add({
        id: `container:${key}:create`,
        kind: "create-container",
        service: service.name,
        slot,
        name: slotName,
        cause,
        after: [],
      });
      result.activating.push(id);
      result.needImage.push(id);
      continue;
    }

    // Several containers in one slot: a rolling update or a create was interrupted. A
    // temporary name anywhere in the group means an update left it behind.
    const interrupted = group.some((c) => c.name !== slotName);
    let prior = extra.map((c) =>
      b.add(removeContainerDraft(c, interrupted ? "interrupted update" : "duplicate slot")),
    );

    const diverged = kept.configHash !== hash;
    const moved = diverged ? undefined : imageChange(kept);
    const stale = forceRecreate || diverged || moved !== undefined;
    const byPolicy =
      (kept.state === "exited" || kept.state === "dead") &&
      shouldRun(kept, service.deploy.restartPolicy);
    // A long-running replica the engine's restart ended comes back whatever its restart
    // policy (`none` only means the engine itself does not restart it); a job's does not.
    const afterEngineRestart =
      !byPolicy && !context.oneShot && endedByEngine(kept, context.engineStartedAt);
    const wantsRun = kept.state === "created" || byPolicy || afterEngineRestart;
    const staleTask = !stale && hasStaleTask(kept);

    if (!stale && ((kept.state === "dead" && wantsRun) || staleTask)) {
      // Docker refuses to start a dead container ("marked for removal"), and one whose task
      // a killed dockerd left behind: such a replica is removed and created again.
      const cause: Cause = staleTask ? "stale task" : "not running";
      const removed = b.add(removeContainerDraft(kept, cause, prior));
      const id = b.add({
        id: `container:${key}:create`,
        kind: "create-container",
        service: service.name,
        slot,
        name: slotName,
        cause,
        after: [...prior, removed],
      });
      result.activating.push(id);
      result.needImage.push(id);
      continue;
    }

    if (kept.name !== slotName) {
      prior = [
        b.add({
          id: `container:${kept.name}:rename`,
          kind: "rename-container",
          containerId: kept.id,
          from: kept.name,
          to: slotName,
          service: service.name,
          cause: "interrupted update",
          after: prior,
        }),
      ];
    }

    if (stale) {
      const id = b.add({
        id: `container:${key}:replace`,
        kind: "replace-container",
        service: service.name,
        slot,
        name: slotName,
        containerId: kept.id,
        order: service.deploy.updateConfig.order,
        cause: moved ?? "config hash diverged",
        after: prior,
      });
      replaced.push(id);
      result.activating.push(id);
      result.needImage.push(id);
    } else if (wantsRun) {
      const id = b.add({
        id: `container:${key}:start`,
        kind: "start-container",
        service: service.name,
        slot,
        name: slotName,
        containerId: kept.id,
        cause: afterEngineRestart ? "engine restart" : "not running",
        after: prior,
      });
      result.activating.push(id);
    }
  }

  // Rolling update: batches of `parallelism` replacements in slot order, each batch after
  // the previous one (and after a delay op between them when update_config.delay is set).
  const { parallelism, delayMs } = service.deploy.updateConfig;
  const size = parallelism > 0 ? parallelism : replaced.length;
  let previous: string[] = [];
  for (let start = 0, batch = 1; start < replaced.length; start += size, batch++) {
    const ids = replaced.slice(start, start + size);
    let gate = previous;
    if (batch > 1 && delayMs > 0) {
      gate = [
        b.add({
          id: `delay:${service.name}:batch${batch}`,
          kind: "delay",
          ms: delayMs,
          service: service.name,
          cause: "update delay",
          after: previous,
        }),
      ];
    }
    b.dependOn(ids, gate);
    previous = ids;
  }
  return result;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** What the planning steps share: inputs, the builder, and what earlier steps decided. */
interface Planning {
  readonly spec: StackSpec;
  readonly observed: DockerObservedState;
  readonly options: DockerPlanOptions;
  readonly b: Builder;
  readonly warnings: string[];
  readonly blockers: string[];
  /** Images this plan builds, with the cause of each build. */
  readonly builds: ReadonlyMap<string, Cause>;
  /** Services in dependency order, and the planned ones among them. */
  readonly order: readonly string[];
  readonly scope: readonly string[];
  /** Every observed container, sorted; replicas by service. */
  readonly everyContainer: readonly ObservedContainer[];
  readonly byService: ReadonlyMap<string, ObservedContainer[]>;
  /** Container ops of each planned service. */
  readonly serviceOps: Map<string, ServiceOps>;
  /** Create ops of networks and volumes, by stack-file key. */
  readonly networkOp: Map<string, string>;
  readonly volumeOp: Map<string, string>;
}

/** The ingress decision: whether a new proxy is created, and what it replaces. */
interface IngressPlan {
  readonly routes: ReturnType<typeof ingressRoutes>;
  readonly hash: string;
  readonly name: string;
  readonly observed: readonly ObservedContainer[];
  readonly removals: readonly string[];
  /** Why a current proxy's image no longer is what its tag gives, when that is the case. */
  readonly moved: Cause | undefined;
  /** True when a new ingress container is created by this plan. */
  readonly created: boolean;
}

/**
 * Computes the operations that take the engine from `observed` to `spec`: a pure function
 * (no I/O, clock or randomness) whose result depends only on the sets in its inputs, never on
 * their order, and is empty (no operations at all) for a converged stack.
 *
 * Decisions, per service in dependency order:
 * - slots 1..replicas with no container are created ("not found" when the service has no
 *   container at all, else "scale up"); higher slots are removed, highest first;
 * - a slot holding several containers keeps one (current hash, slot name, running, newest,
 *   smallest id) and removes the others; a kept container with a temporary name is renamed
 *   to the slot name;
 * - a kept container whose config hash differs, or whose image is no longer the one its
 *   `image:` reference resolves to (the tag moved, or this plan rebuilds it from a changed
 *   context; see `imageChange`), or every one with `forceRecreate`, is replaced in batches
 *   of update_config.parallelism with delay ops between batches; the image is not part of
 *   the config hash, so the hash of an unchanged file never changes;
 * - a kept container that is `created`, or exited while its restart policy says it should
 *   run, is started; so is an exited replica of a long-running service (not a job mode, not
 *   a `service_completed_successfully` dependency) that last started before the engine
 *   did ("engine restart": the engine's stop or crash ended it, whatever its restart
 *   policy); a `dead` one is removed and created again (Docker cannot start it), as is one
 *   the engine refuses to start because of a task a killed dockerd left ("stale task");
 * - every op that creates, starts or replaces containers of a service waits on a shared
 *   `wait-ready` op per dependency and condition, which follows all ops of that dependency;
 *   no wait is emitted for a service that needs no such op.
 *
 * - the ingress proxy is recreated when its config hash differs, its image moved, or it is
 *   not running.
 *
 * Networks and named volumes used by the planned services are created when missing; volumes
 * are never removed. A network whose definition changed is recreated only when no container
 * of the stack will be attached to it after the plan, otherwise a warning asks for
 * `stack rm` first. Images are pulled only when missing and needed by a create or replace.
 * Containers of services no longer in the file are removed with `prune`, else named in a
 * warning. Missing external networks/volumes and unknown `services` become `blockers`.
 * With `services`, only those services are planned: other containers, orphans included, are
 * left alone.
 *
 * Operation ids name stack-file keys for what is created (`network:webnet:create`,
 * `volume:data:create`, `container:web.3:create|start|replace`, `wait:db:service_healthy`,
 * `delay:web:batch2`, `image:redis:7:pull`) and engine names for what is removed or renamed
 * (`container:demo_web.5:remove`, `network:demo_webnet:remove`, `container:NAME:rename`).
 * Operations are topologically sorted; ties go by kind rank, then by the order the planner
 * generated them in (services in dependency order, slots ascending, removals highest first).
 */
export function reconcile(
  spec: StackSpec,
  observed: DockerObservedState,
  options: DockerPlanOptions,
): Plan<DockerOperation> {
  const p = startPlanning(spec, observed, options);
  const oneShot = oneShotServices(spec);
  for (const name of p.scope) {
    const service = spec.services[name] as ServiceSpec;
    p.serviceOps.set(
      name,
      planServiceContainers(
        spec.name,
        service,
        p.byService.get(name) ?? [],
        options.forceRecreate === true,
        (c) => imageChange(p, service.image, c),
        p.b,
        {
          oneShot: oneShot.has(name),
          ...(observed.engineStartedAt !== undefined && {
            engineStartedAt: observed.engineStartedAt,
          }),
        },
      ),
    );
  }
  planOrphans(p);
  const ingress = planIngressRemovals(p);
  planNetworks(p, ingress);
  planVolumes(p);
  planBuilds(p);
  planPulls(p, ingress);
  linkInfrastructure(p);
  if (ingress.created) planIngressCreate(p, ingress);
  planDependencyGates(p);
  return p.b.build(spec.name, p.warnings, p.blockers);
}

function startPlanning(
  spec: StackSpec,
  observed: DockerObservedState,
  options: DockerPlanOptions,
): Planning {
  const blockers: string[] = [];
  const order = orderServices(spec.services);
  let scope = order;
  if (options.services !== undefined) {
    const wanted = new Set(options.services);
    for (const name of [...wanted].sort(compareStrings)) {
      if (spec.services[name] === undefined)
        blockers.push(`service "${name}" is not in the stack file`);
    }
    scope = order.filter((name) => wanted.has(name));
  }
  const everyContainer = [...observed.containers].sort(compareContainers);
  const builds = buildCauses(spec, observed, options, scope);
  const byService = new Map<string, ObservedContainer[]>();
  for (const c of everyContainer) {
    if (c.role === "ingress") continue;
    const list = byService.get(c.service);
    if (list) list.push(c);
    else byService.set(c.service, [c]);
  }
  return {
    spec,
    observed,
    options,
    b: new PlanBuilder(DOCKER_OPERATIONS),
    warnings: [],
    blockers,
    builds,
    order,
    scope,
    everyContainer,
    byService,
    serviceOps: new Map(),
    networkOp: new Map(),
    volumeOp: new Map(),
  };
}

/** Containers of services that left the file. A services filter never touches them. */
function planOrphans(p: Planning): void {
  if (p.options.services !== undefined) return;
  const orphanServices = [...p.byService.keys()]
    .filter((s) => p.spec.services[s] === undefined)
    .sort(compareStrings);
  for (const name of orphanServices) {
    const list = [...(p.byService.get(name) ?? [])].sort(
      (x, y) => -compareSlots(x.slot, y.slot) || compareStrings(x.name, y.name),
    );
    if (p.options.prune) {
      for (const c of list) p.b.add(removeContainerDraft(c, "orphaned"));
    } else {
      p.warnings.push(
        `service "${name}" is no longer in the stack file (${plural(list.length, "container")}); run deploy with --prune to remove it`,
      );
    }
  }
}

/**
 * The ingress proxy: one container serving every published port of a service with several
 * replicas (or start-first updates). Kept while it runs with the current hash; else removed
 * (freeing its host ports first) and created again once the replicas it serves are planned,
 * so a port a replica gives up is free when the ingress binds it.
 */
function planIngressRemovals(p: Planning): IngressPlan {
  const routes = ingressRoutes(p.spec);
  const hash = routes.length > 0 ? ingressConfigHash(p.spec) : "";
  const name = scopedName(p.spec.name, "ingress");
  const observed = p.everyContainer.filter((c) => c.role === "ingress");
  const image = ingressImage(p.spec);
  // Like a replica, the proxy follows its image's tag (a new HAProxy build is a new proxy).
  const moved = (c: ObservedContainer) =>
    routes.length > 0 ? imageChange(p, image, c) : undefined;
  const kept = observed.find(
    (c) =>
      routes.length > 0 &&
      c.configHash === hash &&
      c.name === name &&
      (c.state === "running" || c.state === "restarting") &&
      moved(c) === undefined,
  );
  const removals: string[] = [];
  for (const c of observed) {
    if (c === kept) continue;
    const cause: Cause =
      routes.length === 0
        ? "orphaned"
        : kept !== undefined
          ? "duplicate slot"
          : c.configHash !== hash
            ? "config hash diverged"
            : (moved(c) ?? "not running");
    removals.push(
      p.b.add({
        id: `container:${c.name}:remove`,
        kind: "remove-container",
        name: c.name,
        containerId: c.id,
        cause,
        after: [],
      }),
    );
  }
  for (const ops of p.serviceOps.values()) p.b.dependOn(ops.activating, removals);
  return {
    routes,
    hash,
    name,
    observed,
    removals,
    moved: observed.flatMap((c) => moved(c) ?? [])[0],
    created: routes.length > 0 && kept === undefined,
  };
}

/** Networks of the planned services (and of the ingress): created when missing or changed. */
function planNetworks(p: Planning, ingress: IngressPlan): void {
  const { spec, b } = p;
  const removals = b.ops((op) => op.kind === "remove-container");
  const removeOps = removals.map((op) => op.id);
  const removedIds = new Set(
    removals.map((op) => (op.kind === "remove-container" ? op.containerId : "")),
  );
  const survivors = p.everyContainer.filter((c) => !removedIds.has(c.id));
  const networkKeys = [
    ...new Set([
      ...p.scope.flatMap((s) => Object.keys(spec.services[s]?.networks ?? {})),
      ...(ingress.created ? ingressNetworks(spec) : []),
    ]),
  ].sort(compareStrings);
  const observedNetworks = [...p.observed.networks].sort(
    (x, y) => compareStrings(x.name, y.name) || compareStrings(x.id, y.id),
  );
  for (const key of networkKeys) {
    const network = spec.networks[key];
    if (network === undefined) {
      const users = p.scope.filter((s) => key in (spec.services[s]?.networks ?? {}));
      p.blockers.push(
        `network "${key}" used by ${users.map((u) => `"${u}"`).join(", ")} is not defined in the stack file`,
      );
      continue;
    }
    if (network.external) {
      if (!p.observed.externalNetworks.includes(network.name)) {
        p.blockers.push(
          `external network "${network.name}" (networks.${key}) does not exist; create it before deploying`,
        );
      }
      continue;
    }
    const existing = observedNetworks.find((n) => n.name === network.name);
    if (existing === undefined) {
      p.networkOp.set(
        key,
        b.add({
          id: `network:${key}:create`,
          kind: "create-network",
          network: key,
          name: network.name,
          cause: "not found",
          after: [],
        }),
      );
      continue;
    }
    if (existing.configHash === networkConfigHash(network)) continue;
    // Engines cannot edit a network, and removing one fails while containers are attached.
    // The observation does not list attachments, so any surviving container that is not
    // provably off this network (current config without it) counts as attached.
    const inUse = survivors.some((c) => {
      const s = spec.services[c.service];
      return s === undefined || c.configHash !== serviceConfigHash(s) || key in s.networks;
    });
    if (inUse) {
      p.warnings.push(
        `network "${key}" (${network.name}) differs from the stack file but containers still use it; run "stack rm ${spec.name}" and deploy again to recreate it`,
      );
      continue;
    }
    const removed = b.add({
      id: `network:${existing.name}:remove`,
      kind: "remove-network",
      name: existing.name,
      networkId: existing.id,
      cause: "config hash diverged",
      after: removeOps,
    });
    p.networkOp.set(
      key,
      b.add({
        id: `network:${key}:create`,
        kind: "create-network",
        network: key,
        name: network.name,
        cause: "config hash diverged",
        after: [removed],
      }),
    );
  }
}

/** Named volumes of the planned services: created when missing, never removed. */
function planVolumes(p: Planning): void {
  const { spec } = p;
  const volumeKeys = [
    ...new Set(
      p.scope.flatMap((s) =>
        (spec.services[s]?.mounts ?? []).flatMap((m) =>
          m.type === "volume" && m.source !== undefined ? [m.source] : [],
        ),
      ),
    ),
  ].sort(compareStrings);
  for (const key of volumeKeys) {
    const volume = spec.volumes[key];
    if (volume === undefined) {
      p.blockers.push(`volume "${key}" is not defined in the stack file`);
      continue;
    }
    if (volume.external) {
      if (!p.observed.externalVolumes.includes(volume.name)) {
        p.blockers.push(
          `external volume "${volume.name}" (volumes.${key}) does not exist; create it before deploying`,
        );
      }
      continue;
    }
    if (p.observed.volumes.some((v) => v.name === volume.name)) continue;
    p.volumeOp.set(
      key,
      p.b.add({
        id: `volume:${key}:create`,
        kind: "create-volume",
        volume: key,
        name: volume.name,
        cause: "not found",
        after: [],
      }),
    );
  }
}

/** What the docker planner takes besides the core's plan options. */
export interface DockerPlanOptions extends PlanOptions {
  /**
   * Images to pull although they may be present, with why (`pull_policy always`, a due
   * refresh): decided by the deployment from the engine and the clock, passed in the first
   * round only.
   */
  readonly pulls?: ReadonlyMap<string, Cause>;
}

/**
 * Which images the plan builds, and why: a service with `build:` gets its image built (never
 * pulled) when it is missing, when its build-hash label differs from the current build
 * settings and context, or when asked to. The first planned service naming an image builds
 * it.
 */
function buildCauses(
  spec: StackSpec,
  observed: DockerObservedState,
  options: PlanOptions,
  scope: readonly string[],
): Map<string, Cause> {
  const present = new Set(observed.presentImages);
  const seen = new Set<string>();
  const builds = new Map<string, Cause>();
  for (const name of scope) {
    const service = spec.services[name] as ServiceSpec;
    if (service.build === undefined || seen.has(service.image)) continue;
    seen.add(service.image);
    const cause: Cause | undefined = !present.has(service.image)
      ? "image missing"
      : observed.imageBuildHashes?.[service.image] !== buildConfigHash(service.build)
        ? "content changed"
        : options.build === true
          ? "build requested"
          : service.pullPolicy === "build" && options.firstRound === true
            ? "pull_policy build"
            : undefined;
    if (cause !== undefined) builds.set(service.image, cause);
  }
  return builds;
}

/**
 * Why container `c`, created from reference `image`, no longer runs what `image` gives, or
 * undefined when it does or nobody can tell:
 * - the plan rebuilds `image` because its build settings or context changed: the new image
 *   carries a new build-hash label, so its ID differs from every image built before
 *   (`image changed: OLD -> new build`), and the replacement waits for the build;
 * - else the reference resolves to another ID than the container's (`docker build`, `docker
 *   pull` or `docker tag` moved it): `image changed: OLD -> NEW`.
 * A build that may or may not move the tag (`--build`, a missing image) is not guessed at:
 * the converge loop's next round observes the ID it produced. Unknown IDs (the reference is
 * missing, the engine did not report the container's image) never cause a replacement, so a
 * replica is never recreated in a loop for want of information.
 */
function imageChange(p: Planning, image: string, c: ObservedContainer): Cause | undefined {
  const running = c.imageId;
  if (running === undefined) return undefined;
  if (p.builds.get(image) === "content changed") return imageChangedCause(running, undefined);
  const current = p.observed.imageIds?.[image];
  if (current === undefined || current === running) return undefined;
  return imageChangedCause(running, current);
}

/** Build operations for the images {@link buildCauses} found, in service order. */
function planBuilds(p: Planning): void {
  for (const name of p.scope) {
    const service = p.spec.services[name] as ServiceSpec;
    const cause = p.builds.get(service.image);
    if (service.build === undefined || cause === undefined) continue;
    const id = `image:${service.image}:build`;
    if (p.b.has(id)) continue;
    p.b.add({
      id,
      kind: "build-image",
      service: name,
      image: service.image,
      cause,
      after: [],
    });
  }
}

/** Images that are missing and needed by a create or replace (or a new ingress) are pulled. */
function planPulls(p: Planning, ingress: IngressPlan): void {
  const built = new Set(
    p.scope.flatMap((name) => {
      const service = p.spec.services[name] as ServiceSpec;
      return service.build === undefined ? [] : [service.image];
    }),
  );
  const present = new Set(p.observed.presentImages);
  // pull_policy never: nothing pulls the image (preflight stopped the deploy if it is missing).
  const never = new Set(
    p.scope.flatMap((name) => {
      const service = p.spec.services[name] as ServiceSpec;
      return service.pullPolicy === "never" ? [service.image] : [];
    }),
  );
  const images = [
    ...new Set([
      ...p.scope
        .filter((s) => (p.serviceOps.get(s)?.needImage.length ?? 0) > 0)
        .map((s) => p.spec.services[s]?.image ?? ""),
      ...(ingress.created ? [ingressImage(p.spec)] : []),
    ]),
  ]
    .filter(
      (image) => image !== "" && !present.has(image) && !built.has(image) && !never.has(image),
    )
    .sort(compareStrings);
  for (const image of images) {
    p.b.add({
      id: `image:${image}:pull`,
      kind: "pull-image",
      image,
      cause: "image missing",
      after: [],
    });
  }
  // Pulls a service's pull_policy asks for, of images the planned services run.
  const used = new Set(p.scope.map((name) => (p.spec.services[name] as ServiceSpec).image));
  for (const [image, cause] of [...(p.options.pulls ?? new Map<string, Cause>())].sort(([a], [b]) =>
    compareStrings(a, b),
  )) {
    if (!used.has(image) || built.has(image) || p.b.has(`image:${image}:pull`)) continue;
    p.b.add({ id: `image:${image}:pull`, kind: "pull-image", image, cause, after: [] });
  }
}

/** Container ops wait for their service's networks, volumes and image. */
function linkInfrastructure(p: Planning): void {
  for (const name of p.scope) {
    const service = p.spec.services[name] as ServiceSpec;
    const ops = p.serviceOps.get(name) as ServiceOps;
    const infra = [
      ...Object.keys(service.networks).flatMap((k) => p.networkOp.get(k) ?? []),
      ...service.mounts.flatMap((m) =>
        m.type === "volume" && m.source !== undefined ? (p.volumeOp.get(m.source) ?? []) : [],
      ),
    ];
    p.b.dependOn(ops.activating, infra);
    const pull = `image:${service.image}:pull`;
    if (p.b.has(pull)) p.b.dependOn(ops.needImage, [pull]);
    const build = `image:${service.image}:build`;
    if (p.b.has(build)) p.b.dependOn(ops.needImage, [build]);
  }
}

/** A new ingress container, after the replicas it serves and its networks and image. */
function planIngressCreate(p: Planning, ingress: IngressPlan): void {
  const { spec, b } = p;
  const served = new Set(ingress.routes.map((r) => r.service));
  const pull = `image:${ingressImage(spec)}:pull`;
  b.add({
    id: "ingress:create",
    kind: "create-ingress",
    name: ingress.name,
    image: ingressImage(spec),
    cause:
      ingress.observed.length === 0
        ? "not found"
        : ingress.observed.some((c) => c.configHash !== ingress.hash)
          ? "config hash diverged"
          : (ingress.moved ?? "not running"),
    after: [
      ...ingress.removals,
      ...ingressNetworks(spec).flatMap((k) => p.networkOp.get(k) ?? []),
      ...(b.has(pull) ? [pull] : []),
      ...b.ids(
        (op) =>
          op.service !== undefined &&
          served.has(op.service) &&
          op.kind !== "wait-ready" &&
          op.kind !== "delay",
      ),
    ],
  });
}

/**
 * depends_on gates, only for services that start something: one `wait-ready` per
 * dependency, at the strongest condition its planned dependents ask for
 * (service_completed_successfully > service_healthy > service_started), so one dependency
 * that fails is one failed wait, however many dependents wait for it and whether the
 * dependency came from `depends_on` or was implied by `links:`. A dependent that asked for
 * less waits for more: the price of reporting one failure once. Edges against the
 * dependency order (a cycle that slipped past the spec checks) are ignored.
 */
function planDependencyGates(p: Planning): void {
  const { spec, b } = p;
  const position = new Map(p.order.map((name, i) => [name, i]));
  const gates: { readonly ops: readonly string[]; readonly dep: string }[] = [];
  const condition = new Map<string, DependencyCondition>();
  for (const name of p.scope) {
    const service = spec.services[name] as ServiceSpec;
    const ops = p.serviceOps.get(name) as ServiceOps;
    if (ops.activating.length === 0) continue;
    const mine = position.get(name) ?? 0;
    for (const dep of Object.keys(service.dependsOn).sort(compareStrings)) {
      const dependency = service.dependsOn[dep];
      const depPosition = position.get(dep);
      if (dependency === undefined || depPosition === undefined || depPosition >= mine) continue;
      condition.set(dep, strongerCondition(condition.get(dep), dependency.condition));
      gates.push({ ops: ops.activating, dep });
    }
  }
  for (const { ops, dep } of gates) {
    const wanted = condition.get(dep) as DependencyCondition;
    const waitId = `wait:${dep}:${wanted}`;
    if (!b.has(waitId)) {
      b.add({
        id: waitId,
        kind: "wait-ready",
        service: dep,
        condition: wanted,
        cause: "dependency",
        after: b.ids((op) => op.service === dep && op.kind !== "wait-ready"),
      });
    }
    b.dependOn(ops, [waitId]);
  }
}
