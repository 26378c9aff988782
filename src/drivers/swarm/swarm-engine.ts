import Dockerode from "dockerode";
import { readEngineInfo } from "../docker-api/engine-info.js";
import { EngineError } from "../../core/errors.js";
import { LABELS, SWARM_NAMESPACE_LABEL } from "../docker-api/labels.js";
import { randomBytes } from "node:crypto";
import type {
  EngineEvent,
  EngineInfo,
  ExecOptions,
  LogLine,
  ProcessList,
  PullProgress,
  StackSummary,
  ReplicaSummary,
} from "../../core/driver.js";
import { readReplicaSummary } from "../docker-api/replica-summary.js";
import type {
  ServiceEngine,
  SwarmObserveWants,
  SwarmServiceEndpoint,
  SwarmTaskInfo,
} from "./service-engine.js";
import { execInContainer } from "../docker-api/attach-streams.js";
import { withEventDetails, type RawEventDetails } from "../docker-api/event-details.js";
import { pullImage } from "../docker-api/pull-image.js";
import { pushImage } from "../docker-api/push-image.js";
import { engineMessage } from "../docker-api/classify-error.js";
import { buildImage, type BuildRequest } from "../docker-api/build-image.js";
import type { EncodedAuth } from "../docker-api/registry-header.js";
import { oneOffService, type OneOffSettings } from "../../model/one-off.js";
import type { SwarmDesiredState, SwarmObservedState } from "./observed-state.js";
import type { NetworkSpec, StackSpec } from "../../model/types.js";
import { toEngineError } from "../docker-api/classify-error.js";
import type { DockerEnv } from "../docker-api/connection.js";
import { connectEngine } from "../docker-api/engine-connection.js";
import type { EngineFromEnvOptions } from "../docker-api/engine-connection.js";
import { decodeLogStream, splitTimestamp } from "../docker-api/logs.js";
import { networkCreateBody } from "../docker-api/network-config.js";
import { parseJsonLines } from "../docker-api/events.js";
import { STACK_VERSION } from "../docker-api/stack-version.js";
import { loadFileObjects, type LoadedFileObjects } from "./file-objects.js";
import {
  inStack,
  latestTaskErrors,
  toObservedNode,
  toObservedService,
  toObservedSwarmNetwork,
  toTaskRows,
  type SwarmNetworkItem,
  type SwarmNodeItem,
  type SwarmServiceItem,
  type SwarmTaskItem,
} from "./observe-swarm.js";
import { swarmServiceSpec, withObjectIds } from "./service-spec.js";
import { networkConfigHash } from "../../model/config-hash.js";
import { scopedName } from "../../model/naming.js";
import { ConfigLockStore } from "./config-lock-store.js";
import type { LockStore } from "../docker-api/stack-lock.js";

/** Options for {@link SwarmEngine}. */
export interface SwarmEngineOptions {
  readonly address: string;
  readonly dockerOptions: Dockerode.DockerOptions;
  /** True when the manager is not on this machine (bind-mount sources are node paths). */
  readonly remote?: boolean;
  /** Written into the `stack.version` label; defaults to this package's version. */
  readonly stackVersion?: string;
}

/** How often `events` compares the stack's tasks (swarm has no task events). */
const TASK_POLL_MS = 1000;

/** dockerode has `Task#logs` (GET /tasks/{id}/logs) but its typings lack it. */
interface TaskWithLogs {
  logs(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * The swarm driver: manages a stack as Docker Swarm services, overlay networks, secrets and
 * configs carrying `com.docker.stack.namespace=<stack>` and named `<stack>_<key>` like
 * `docker stack deploy`, so `docker stack ps/services/rm` and `stack` see each other's
 * stacks. Talks to a swarm manager; `observe` returns the tasks as replica rows with
 * their node. Engine behaviour relied on
 * (dockerd 20.10, API 1.41): an update with a stale version answers 500 "update out of
 * sequence" (retried by the caller after a fresh observation); removing a secret or config
 * still used by a service answers 400 "is in use".
 */
export class SwarmEngine implements ServiceEngine {
  readonly address: string;
  readonly remote: boolean;
  private readonly docker: Dockerode;
  private readonly stackVersion: string;
  private readonly objects = new WeakMap<StackSpec, Promise<LoadedFileObjects>>();

  constructor(options: SwarmEngineOptions) {
    this.address = options.address;
    this.remote = options.remote ?? false;
    this.docker = new Dockerode(options.dockerOptions);
    this.stackVersion = options.stackVersion ?? STACK_VERSION;
  }

  /**
   * A client for the manager `env` and `options.context` name, in the Docker CLI's order
   * (`connectEngine`); connects lazily.
   */
  static fromEnv(env: DockerEnv, options: EngineFromEnvOptions = {}): SwarmEngine {
    const { stackVersion, ...connect } = options;
    return new SwarmEngine({
      ...connectEngine(env, connect),
      ...(stackVersion !== undefined && { stackVersion }),
    });
  }

  private async call<T>(context: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toEngineError(err, context, this.address);
    }
  }

  private locks: LockStore | undefined;

  lockStore(): LockStore {
    this.locks ??= new ConfigLockStore(this.docker, this.address);
    return this.locks;
  }

  async ping(): Promise<EngineInfo> {
    return readEngineInfo(this.docker, this.address);
  }

  async observe(stack: string, want?: SwarmObserveWants): Promise<SwarmObservedState> {
    const context = `observe swarm stack ${stack}`;
    const label = { label: [`${SWARM_NAMESPACE_LABEL}=${stack}`] };
    const [services, networks, secrets, configs, nodes, allNetworks, allSecrets, allConfigs] =
      await Promise.all([
        this.call(
          context,
          () => this.docker.listServices({ filters: label }) as Promise<SwarmServiceItem[]>,
        ),
        this.call(
          context,
          () => this.docker.listNetworks({ filters: label }) as Promise<SwarmNetworkItem[]>,
        ),
        this.call(
          context,
          () =>
            this.docker.listSecrets({ filters: label }) as Promise<
              { ID: string; Spec?: { Name?: string } }[]
            >,
        ),
        this.call(
          context,
          () =>
            this.docker.listConfigs({ filters: label }) as Promise<
              { ID: string; Spec?: { Name?: string } }[]
            >,
        ),
        this.call(context, () => this.docker.listNodes() as Promise<SwarmNodeItem[]>),
        (want?.externalNetworks?.length ?? 0) > 0
          ? this.call(context, () => this.docker.listNetworks() as Promise<SwarmNetworkItem[]>)
          : Promise.resolve([]),
        (want?.externalSecrets?.length ?? 0) > 0
          ? this.call(
              context,
              () =>
                this.docker.listSecrets() as Promise<{ ID: string; Spec?: { Name?: string } }[]>,
            )
          : Promise.resolve([]),
        (want?.externalConfigs?.length ?? 0) > 0
          ? this.call(
              context,
              () =>
                this.docker.listConfigs() as Promise<{ ID: string; Spec?: { Name?: string } }[]>,
            )
          : Promise.resolve([]),
      ]);
    const observedNodes = nodes.map(toObservedNode);
    const ids = services.map((s) => s.ID);
    const tasks =
      ids.length === 0
        ? []
        : await this.call(
            context,
            () => this.docker.listTasks({ filters: { service: ids } }) as Promise<SwarmTaskItem[]>,
          );
    const errors = latestTaskErrors(tasks);
    const isOneOff = (s: SwarmServiceItem) => s.Spec?.Labels?.[LABELS.role] === "run";
    const oneOffServices = services
      .filter((s) => inStack(s.Spec?.Labels, stack) && isOneOff(s))
      .map((s) => toObservedService(stack, s));
    const observedServices = services
      .filter((s) => inStack(s.Spec?.Labels, stack) && !isOneOff(s))
      .map((s) => {
        const o = toObservedService(stack, s);
        const err = errors.get(s.ID);
        return err === undefined ? o : { ...o, taskError: err };
      });
    const names = (list: readonly { Name?: string; Spec?: { Name?: string } }[]) =>
      new Set(list.map((o) => o.Name ?? o.Spec?.Name ?? ""));
    const present = (wanted: readonly string[] | undefined, have: Set<string>) =>
      [...new Set(wanted ?? [])].filter((n) => have.has(n)).sort();
    return {
      stack,
      services: observedServices,
      tasks: toTaskRows(observedServices, tasks, observedNodes),
      ...(oneOffServices.length > 0 && {
        oneOffServices,
        oneOffTasks: toTaskRows(oneOffServices, tasks, observedNodes).map((t) => ({
          ...t,
          role: "run" as const,
        })),
      }),
      // Only swarm-scoped networks: a local network with the label is not the stack's.
      networks: networks.map((n) => toObservedSwarmNetwork(stack, n)),
      secrets: secrets.map((s) => ({ id: s.ID, name: s.Spec?.Name ?? s.ID })),
      configs: configs.map((c) => ({ id: c.ID, name: c.Spec?.Name ?? c.ID })),
      nodes: observedNodes,
      externalNetworks: present(want?.externalNetworks, names(allNetworks)),
      externalSecrets: present(want?.externalSecrets, names(allSecrets)),
      externalConfigs: present(want?.externalConfigs, names(allConfigs)),
    };
  }

  async listStacks(): Promise<readonly StackSummary[]> {
    const services = await this.call(
      "list stacks",
      () =>
        this.docker.listServices({ filters: { label: [SWARM_NAMESPACE_LABEL] } }) as Promise<
          SwarmServiceItem[]
        >,
    );
    const tasks =
      services.length === 0
        ? []
        : await this.call(
            "list stacks",
            () =>
              this.docker.listTasks({ filters: { "desired-state": ["running"] } }) as Promise<
                SwarmTaskItem[]
              >,
          );
    const stackOf = new Map(
      services.map((s) => [s.ID, s.Spec?.Labels?.[SWARM_NAMESPACE_LABEL] ?? ""]),
    );
    const stacks = new Map<string, { services: number; containers: number; running: number }>();
    for (const s of services) {
      const name = stackOf.get(s.ID) ?? "";
      const entry = stacks.get(name) ?? { services: 0, containers: 0, running: 0 };
      entry.services += 1;
      stacks.set(name, entry);
    }
    for (const t of tasks) {
      const entry = stacks.get(stackOf.get(t.ServiceID) ?? "");
      if (entry === undefined) continue;
      entry.containers += 1;
      if (t.Status?.State === "running") entry.running += 1;
    }
    return [...stacks.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, s]) => ({ name, ...s }));
  }

  desiredState(spec: StackSpec, env: DockerEnv = process.env): Promise<SwarmDesiredState> {
    return this.fileObjects(spec, env).then((objects) => {
      const names = this.objectNames(objects);
      const services = Object.fromEntries(
        Object.values(spec.services).map((service) => {
          const mapped = swarmServiceSpec({
            spec,
            service,
            objects: names,
            stackVersion: this.stackVersion,
          });
          const replicas =
            "Replicated" in mapped.body.Mode ? mapped.body.Mode.Replicated.Replicas : undefined;
          return [
            service.name,
            {
              name: mapped.name,
              configHash: mapped.configHash,
              ...(replicas !== undefined && { replicas }),
            },
          ];
        }),
      );
      const pick = (o: LoadedFileObjects["secrets"]) =>
        Object.fromEntries(
          Object.values(o).map((x) => [x.key, { name: x.name, external: x.external }]),
        );
      return { services, secrets: pick(objects.secrets), configs: pick(objects.configs) };
    });
  }

  private fileObjects(spec: StackSpec, env: DockerEnv = process.env): Promise<LoadedFileObjects> {
    let loaded = this.objects.get(spec);
    if (loaded === undefined) {
      loaded = loadFileObjects(spec, env);
      this.objects.set(spec, loaded);
      loaded.catch(() => this.objects.delete(spec));
    }
    return loaded;
  }

  private objectNames(objects: LoadedFileObjects) {
    const names = (o: LoadedFileObjects["secrets"]) =>
      Object.fromEntries(Object.values(o).map((x) => [x.key, x.name]));
    return { secrets: names(objects.secrets), configs: names(objects.configs) };
  }

  /** The service body of `service`, with the IDs of its secrets and configs resolved. */
  private async serviceBody(spec: StackSpec, serviceKey: string) {
    const service = spec.services[serviceKey];
    if (service === undefined)
      throw new EngineError("invalid", `service "${serviceKey}" is not in the stack file`);
    const objects = await this.fileObjects(spec);
    const mapped = swarmServiceSpec({
      spec,
      service,
      objects: this.objectNames(objects),
      stackVersion: this.stackVersion,
    });
    const c = mapped.body.TaskTemplate.ContainerSpec;
    const needSecrets = (c.Secrets ?? []).length > 0;
    const needConfigs = (c.Configs ?? []).length > 0;
    const context = `create service ${mapped.name}`;
    const [secrets, configs] = await Promise.all([
      needSecrets
        ? this.call(
            context,
            () => this.docker.listSecrets() as Promise<{ ID: string; Spec?: { Name?: string } }[]>,
          )
        : [],
      needConfigs
        ? this.call(
            context,
            () => this.docker.listConfigs() as Promise<{ ID: string; Spec?: { Name?: string } }[]>,
          )
        : [],
    ]);
    return withObjectIds(mapped.body, {
      secrets: new Map(secrets.map((s) => [s.Spec?.Name ?? "", s.ID])),
      configs: new Map(configs.map((s) => [s.Spec?.Name ?? "", s.ID])),
    });
  }

  async createService(spec: StackSpec, service: string, auth?: EncodedAuth): Promise<void> {
    const body = (await this.serviceBody(
      spec,
      service,
    )) as unknown as Dockerode.CreateServiceOptions;
    // With credentials the request carries X-Registry-Auth (dockerode sends `base64` as is).
    await this.call(`create service ${body.Name}`, () =>
      auth === undefined
        ? this.docker.createService(body)
        : this.docker.createService(auth as Dockerode.AuthConfig, body),
    );
  }

  async updateService(
    spec: StackSpec,
    service: string,
    id: string,
    version: number,
    auth?: EncodedAuth,
  ): Promise<void> {
    const body = await this.serviceBody(spec, service);
    const update = { ...body, version } as unknown as Dockerode.ServiceSpec & { version: number };
    await this.call(`update service ${body.Name}`, () =>
      auth === undefined
        ? this.docker.getService(id).update(update)
        : // dockerode's type has no (auth, options) overload; its code takes one.
          (
            this.docker.getService(id).update as unknown as (
              auth: unknown,
              options: unknown,
            ) => Promise<unknown>
          ).call(this.docker.getService(id), auth, update),
    );
  }

  buildImage(request: BuildRequest, onProgress?: (p: PullProgress) => void): Promise<void> {
    return buildImage(this.docker, request, onProgress, (err, context) =>
      toEngineError(err, context, this.address),
    );
  }

  async imageBuildHash(reference: string): Promise<string | undefined> {
    try {
      const image = (await this.docker.getImage(reference).inspect()) as {
        Config?: { Labels?: Record<string, string> | null };
      };
      return image.Config?.Labels?.[LABELS.buildHash];
    } catch (err) {
      const e = toEngineError(err, `inspect image ${reference}`, this.address);
      if (e.kind === "not-found") return undefined;
      throw e;
    }
  }

  async distributionDigest(image: string, auth?: EncodedAuth): Promise<string> {
    const context = `resolve image ${image}`;
    try {
      const answer = (await this.docker
        .getImage(image)
        .distribution(auth === undefined ? {} : { authconfig: auth })) as {
        Descriptor?: { digest?: string };
      };
      const digest = answer.Descriptor?.digest;
      if (digest === undefined)
        throw new EngineError("server", `${context}: no digest in the answer`);
      return digest;
    } catch (err) {
      if (err instanceof EngineError) throw err;
      const e = toEngineError(err, context, this.address);
      // A missing tag is 404; a registry refusing or unreachable is 500 (docs/registry.md).
      throw new EngineError(e.kind, `${context}: ${engineMessage(err) ?? e.message}`, {
        ...(e.statusCode !== undefined && { statusCode: e.statusCode }),
        retryable: false,
      });
    }
  }

  async removeService(id: string): Promise<void> {
    try {
      await this.docker.getService(id).remove();
    } catch (err) {
      const e = toEngineError(err, `remove service ${id}`, this.address);
      if (e.kind !== "not-found") throw e;
    }
  }

  private async createObject(
    spec: StackSpec,
    kind: "secret" | "config",
    key: string,
  ): Promise<void> {
    const objects = await this.fileObjects(spec);
    const object = (kind === "secret" ? objects.secrets : objects.configs)[key];
    if (object === undefined || object.data === undefined) {
      throw new EngineError(
        "invalid",
        `${kind} "${key}" is not a ${kind} of the stack file that stack creates`,
      );
    }
    const body = {
      Name: object.name,
      Labels: {
        ...object.labels,
        [SWARM_NAMESPACE_LABEL]: spec.name,
        [LABELS.stack]: spec.name,
        [LABELS.version]: this.stackVersion,
      },
      Data: object.data.toString("base64"),
    };
    const context = `create ${kind} ${object.name}`;
    try {
      await (kind === "secret" ? this.docker.createSecret(body) : this.docker.createConfig(body));
    } catch (err) {
      const e = toEngineError(err, context, this.address);
      // Same name means same content (the name is the content's hash): left by an earlier run.
      if (e.kind === "conflict") return;
      throw e;
    }
  }

  createSecret(spec: StackSpec, key: string): Promise<void> {
    return this.createObject(spec, "secret", key);
  }

  createConfig(spec: StackSpec, key: string): Promise<void> {
    return this.createObject(spec, "config", key);
  }

  private async removeObject(kind: "secret" | "config", id: string): Promise<boolean> {
    try {
      await (kind === "secret"
        ? this.docker.getSecret(id).remove()
        : this.docker.getConfig(id).remove());
      return true;
    } catch (err) {
      const e = toEngineError(err, `remove ${kind} ${id}`, this.address);
      if (e.kind === "not-found") return true;
      if (/in use/i.test(e.message)) return false;
      throw e;
    }
  }

  removeSecret(id: string): Promise<boolean> {
    return this.removeObject("secret", id);
  }

  removeConfig(id: string): Promise<boolean> {
    return this.removeObject("config", id);
  }

  async createNetwork(stack: string, network: NetworkSpec, configHash: string): Promise<void> {
    const base = networkCreateBody(stack, network, configHash, this.stackVersion);
    // Overlay and attachable by default, like `docker stack deploy`, so `docker run
    // --network` and one-off containers can join the stack's network.
    const body = {
      ...base,
      Driver: network.driver ?? "overlay",
      Attachable: network.attachable ?? true,
      Scope: "swarm",
      Labels: { ...base.Labels, [SWARM_NAMESPACE_LABEL]: stack },
    };
    const context = `create network ${network.name}`;
    try {
      await this.docker.createNetwork(body);
    } catch (err) {
      const e = toEngineError(err, context, this.address);
      if (e.kind !== "conflict") throw e;
      const existing = await this.call(
        context,
        () => this.docker.getNetwork(network.name).inspect() as Promise<SwarmNetworkItem>,
      );
      if (!inStack(existing.Labels, stack)) {
        throw new EngineError(
          "conflict",
          `${context}: a network named ${network.name} already exists and does not belong to stack ${stack}; remove it or declare it external`,
          { statusCode: 409, cause: err },
        );
      }
    }
  }

  async removeNetwork(idOrName: string): Promise<void> {
    try {
      await this.docker.getNetwork(idOrName).remove();
    } catch (err) {
      const e = toEngineError(err, `remove network ${idOrName}`, this.address);
      if (e.kind !== "not-found") throw e;
    }
  }

  /** Logs of task `id` (the manager collects them from whichever node runs it). */
  async *logs(
    id: string,
    options: { readonly tail?: number; readonly follow?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<LogLine> {
    const context = `read logs of task ${id}`;
    const base = {
      stdout: true,
      stderr: true,
      timestamps: true,
      follow: options.follow === true,
      ...(options.tail !== undefined && { tail: options.tail }),
    };
    // The signal goes into the request, so Ctrl-C ends it even before the engine answers
    // (dockerd 20.10 answers a task log follow at once; Podman's container logs do not).
    let raw: unknown;
    try {
      raw = await this.call<unknown>(context, () =>
        (this.docker.getTask(id) as unknown as TaskWithLogs).logs({
          ...base,
          ...(options.signal !== undefined && { abortSignal: options.signal }),
        }),
      );
    } catch (err) {
      if (options.signal?.aborted === true) return;
      throw err;
    }
    const stream = raw as NodeJS.ReadableStream &
      AsyncIterable<Buffer | string> & { destroy?: () => void };
    const destroy = () => stream.destroy?.();
    options.signal?.addEventListener("abort", destroy, { once: true });
    try {
      const source: AsyncIterable<Buffer | string> =
        typeof raw === "object" && raw !== null && Symbol.asyncIterator in raw
          ? stream
          : (async function* () {
              yield Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
            })();
      for await (const { stream: which, line } of decodeLogStream(source, false)) {
        if (options.signal?.aborted === true) return;
        const { time, text } = splitTimestamp(line);
        yield { container: id, stream: which, text, ...(time !== undefined && { time }) };
      }
    } catch (err) {
      if (options.signal?.aborted === true) return;
      throw toEngineError(err, context, this.address);
    } finally {
      options.signal?.removeEventListener("abort", destroy);
      destroy();
    }
  }

  /**
   * Changes to `stack` until `signal` aborts: the manager's service, network and node events,
   * merged with task changes found by polling the stack's tasks every {@link TASK_POLL_MS}
   * (reported as a `service` event with action `task`). Polling because dockerd 20.10 has no
   * task events, and a task on a worker emits its container events only on that worker: a
   * scale or a rescheduled task would otherwise never wake `stack ps`. Ends or throws when the
   * event stream breaks, like the docker driver's.
   */
  async *events(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent> {
    if (signal.aborted) return;
    const inner = new AbortController();
    const stop = () => inner.abort();
    signal.addEventListener("abort", stop, { once: true });
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: unknown;
    const push = (e: EngineEvent) => {
      queue.push(e);
      wake?.();
    };
    const stream = (async () => {
      try {
        for await (const e of this.managerEvents(stack, inner.signal)) push(e);
      } catch (err) {
        failure = err;
      } finally {
        ended = true;
        wake?.();
      }
    })();
    const poll = (async () => {
      let last: string | undefined;
      while (!inner.signal.aborted) {
        try {
          const now = await this.taskFingerprint(stack);
          if (last !== undefined && now !== last) push({ type: "service", action: "task" });
          last = now;
        } catch {
          // An unreachable manager breaks the event stream too, which reports it.
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, TASK_POLL_MS);
          function done() {
            clearTimeout(timer);
            inner.signal.removeEventListener("abort", done);
            resolve();
          }
          inner.signal.addEventListener("abort", done, { once: true });
        });
      }
    })();
    try {
      for (;;) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (ended) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      signal.removeEventListener("abort", stop);
      inner.abort();
      await Promise.allSettled([stream, poll]);
    }
    if (failure !== undefined && !signal.aborted) throw failure;
  }

  /** ID, state, desired state and node of every task of `stack`, as one comparable string. */
  private async taskFingerprint(stack: string): Promise<string> {
    const context = `poll tasks of stack ${stack}`;
    const services = (await this.call(context, () =>
      this.docker.listServices({ filters: { label: [`${SWARM_NAMESPACE_LABEL}=${stack}`] } }),
    )) as SwarmServiceItem[];
    if (services.length === 0) return "";
    const tasks = (await this.call(context, () =>
      this.docker.listTasks({ filters: { service: services.map((x) => x.ID) } }),
    )) as SwarmTaskItem[];
    return tasks
      .map((t) => `${t.ID}:${t.Status?.State ?? ""}:${t.DesiredState ?? ""}:${t.NodeID ?? ""}`)
      .sort()
      .join(",");
  }

  private async *managerEvents(stack: string, signal: AbortSignal): AsyncIterable<EngineEvent> {
    const context = `watch swarm events for stack ${stack}`;
    if (signal.aborted) return;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.call(context, () =>
        this.docker.getEvents({
          filters: { type: ["service", "network", "node"] },
          abortSignal: signal,
        }),
      );
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const destroy = () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    signal.addEventListener("abort", destroy, { once: true });
    try {
      for await (const raw of parseJsonLines(stream as AsyncIterable<Buffer | string>)) {
        if (signal.aborted) return;
        const e = raw as {
          Type?: string;
          Action?: string;
          Actor?: { Attributes?: Record<string, string> };
        };
        const name = e.Actor?.Attributes?.["name"];
        if (e.Type === "node") yield { type: "engine", action: e.Action ?? "" };
        else if (name !== undefined && name.startsWith(`${stack}_`)) {
          yield withEventDetails(
            {
              type: e.Type === "network" ? "network" : "service",
              action: e.Action ?? "",
              name,
              ...(e.Type === "service" && { service: name.slice(stack.length + 1) }),
            },
            raw as RawEventDetails,
          );
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw toEngineError(err, context, this.address);
    } finally {
      signal.removeEventListener("abort", destroy);
      destroy();
    }
    if (!signal.aborted)
      throw new EngineError(
        "unavailable",
        `${context}: the engine at ${this.address} closed the event stream`,
      );
  }

  async localNode(): Promise<{ readonly id: string; readonly hostname: string }> {
    const info = (await this.call("read engine info", () => this.docker.info())) as {
      Name?: string;
      Swarm?: { NodeID?: string };
    };
    return { id: info.Swarm?.NodeID ?? "", hostname: info.Name ?? "" };
  }

  async task(id: string): Promise<SwarmTaskInfo | undefined> {
    let t: SwarmTaskItem & {
      Status?: { ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
    };
    try {
      t = (await this.docker.getTask(id).inspect()) as typeof t;
    } catch (err) {
      const e = toEngineError(err, `inspect task ${id}`, this.address);
      if (e.kind === "not-found") return undefined;
      throw e;
    }
    const status = t.Status;
    return {
      id,
      ...(t.NodeID !== undefined && { nodeId: t.NodeID }),
      ...(status?.ContainerStatus?.ContainerID !== undefined &&
        status.ContainerStatus.ContainerID !== "" && {
          containerId: status.ContainerStatus.ContainerID,
        }),
      state: status?.State ?? "",
      ...(status?.ContainerStatus?.ExitCode !== undefined && {
        exitCode: status.ContainerStatus.ExitCode,
      }),
      ...(status?.Err !== undefined && status.Err !== "" && { error: status.Err }),
    };
  }

  async nodeAddress(id: string): Promise<string | undefined> {
    const node = (await this.call(`inspect node ${id}`, () =>
      this.docker.getNode(id).inspect(),
    )) as { Status?: { Addr?: string } };
    return node.Status?.Addr;
  }

  exec(containerId: string, options: ExecOptions): Promise<number> {
    return execInContainer(this.docker, containerId, options, (err, context) =>
      toEngineError(err, context, this.address),
    );
  }

  summary(containerId: string): Promise<ReplicaSummary> {
    return readReplicaSummary(this.docker, containerId, (err, context) =>
      toEngineError(err, context, this.address),
    );
  }

  async top(containerId: string): Promise<ProcessList> {
    const raw = (await this.call(`list processes of container ${containerId}`, () =>
      this.docker.getContainer(containerId).top({ ps_args: "-ef" }),
    )) as { Titles?: string[] | null; Processes?: string[][] | null };
    return { titles: raw.Titles ?? [], processes: raw.Processes ?? [] };
  }

  /** The current spec and version of service `id`, for an update that changes one thing. */
  private async currentSpec(
    id: string,
    context: string,
  ): Promise<{ spec: Record<string, unknown>; version: number }> {
    const s = (await this.call(context, () => this.docker.getService(id).inspect())) as {
      Spec: Record<string, unknown>;
      Version?: { Index?: number };
    };
    return { spec: s.Spec, version: s.Version?.Index ?? 0 };
  }

  async forceUpdate(id: string): Promise<void> {
    const context = `restart service ${id}`;
    const { spec, version } = await this.currentSpec(id, context);
    const template = (spec["TaskTemplate"] ?? {}) as { ForceUpdate?: number };
    const body = {
      ...spec,
      TaskTemplate: { ...template, ForceUpdate: (template.ForceUpdate ?? 0) + 1 },
      version,
    };
    await this.call(context, () =>
      this.docker
        .getService(id)
        .update(body as unknown as Dockerode.ServiceSpec & { version: number }),
    );
  }

  async scaleService(
    id: string,
    replicas: number,
    labels: {
      readonly set?: Readonly<Record<string, string>>;
      readonly remove?: readonly string[];
    },
  ): Promise<void> {
    const context = `scale service ${id} to ${replicas}`;
    const { spec, version } = await this.currentSpec(id, context);
    const next: Record<string, string> = {
      ...((spec["Labels"] ?? {}) as Record<string, string>),
      ...labels.set,
    };
    for (const key of labels.remove ?? []) delete next[key];
    const body = { ...spec, Labels: next, Mode: { Replicated: { Replicas: replicas } }, version };
    await this.call(context, () =>
      this.docker
        .getService(id)
        .update(body as unknown as Dockerode.ServiceSpec & { version: number }),
    );
  }

  async serviceEndpoint(id: string): Promise<SwarmServiceEndpoint | undefined> {
    let s: {
      Spec?: { Labels?: Record<string, string>; Mode?: { Replicated?: { Replicas?: number } } };
      Endpoint?: {
        Ports?: {
          TargetPort?: number;
          PublishedPort?: number;
          Protocol?: string;
          PublishMode?: string;
        }[];
      };
    };
    try {
      s = (await this.docker.getService(id).inspect()) as typeof s;
    } catch (err) {
      const e = toEngineError(err, `inspect service ${id}`, this.address);
      if (e.kind === "not-found") return undefined;
      throw e;
    }
    const replicas = s.Spec?.Mode?.Replicated?.Replicas;
    return {
      labels: s.Spec?.Labels ?? {},
      ...(replicas !== undefined && { replicas }),
      ports: (s.Endpoint?.Ports ?? []).flatMap((p) =>
        p.TargetPort === undefined
          ? []
          : [
              {
                target: p.TargetPort,
                ...(p.PublishedPort !== undefined && { published: p.PublishedPort }),
                protocol: p.Protocol ?? "tcp",
                mode: p.PublishMode === "host" ? ("host" as const) : ("ingress" as const),
              },
            ],
      ),
    };
  }

  pullImage(image: string, onProgress?: (p: PullProgress) => void): Promise<void> {
    return pullImage(this.docker, image, onProgress, (err, context) =>
      toEngineError(err, context, this.address),
    );
  }

  pushImage(image: string, onProgress?: (p: PullProgress) => void): Promise<string | undefined> {
    return pushImage(this.docker, image, onProgress, (err, context) =>
      toEngineError(err, context, this.address),
    );
  }

  async imageInfo(
    reference: string,
  ): Promise<{ readonly id: string; readonly sizeBytes: number } | undefined> {
    try {
      const image = (await this.docker.getImage(reference).inspect()) as {
        Id: string;
        Size?: number;
      };
      return { id: image.Id, sizeBytes: image.Size ?? 0 };
    } catch (err) {
      const e = toEngineError(err, `inspect image ${reference}`, this.address);
      if (e.kind === "not-found") return undefined;
      throw e;
    }
  }

  async runJob(
    spec: StackSpec,
    env: Readonly<Record<string, string | undefined>>,
    serviceKey: string,
    settings: OneOffSettings,
    output: {
      readonly stdout?: NodeJS.WritableStream;
      readonly stderr?: NodeJS.WritableStream;
      readonly remove: boolean;
      readonly signal?: AbortSignal;
    },
  ): Promise<number> {
    const original = spec.services[serviceKey];
    if (original === undefined)
      throw new EngineError("invalid", `service "${serviceKey}" is not in the stack file`);
    const service = oneOffService(original, settings);
    const runSpec: StackSpec = { ...spec, services: { ...spec.services, [serviceKey]: service } };
    // What the job needs that a deploy would have made: its networks, secrets and configs.
    const desired = await this.desiredState(runSpec, env);
    if (service.networkMode === undefined)
      for (const key of Object.keys(service.networks).sort()) {
        const n = spec.networks[key];
        if (n !== undefined && !n.external)
          await this.createNetwork(spec.name, n, networkConfigHash(n));
      }
    for (const ref of service.secrets)
      if (desired.secrets[ref.source]?.external === false)
        await this.createSecret(runSpec, ref.source);
    for (const ref of service.configs)
      if (desired.configs[ref.source]?.external === false)
        await this.createConfig(runSpec, ref.source);

    const body = await this.serviceBody(runSpec, serviceKey);
    const name = `${scopedName(spec.name, serviceKey)}_run_${randomBytes(3).toString("hex")}`;
    const { UpdateConfig: _u, RollbackConfig: _r, ...rest } = body;
    const job = {
      ...rest,
      Name: name,
      Labels: { ...body.Labels, [LABELS.role]: "run" },
      // One task, never restarted: swarm's job mode (API 1.41).
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
      TaskTemplate: {
        ...body.TaskTemplate,
        // Not reachable under the service's name: its DNS name stays the replicas'.
        ...(body.TaskTemplate.Networks !== undefined && {
          Networks: body.TaskTemplate.Networks.map((n) => ({
            ...n,
            Aliases: n.Aliases.filter((a) => a !== serviceKey),
          })),
        }),
      },
    };
    const created = (await this.call(`create one-off ${name}`, () =>
      this.docker.createService(job as unknown as Dockerode.CreateServiceOptions),
    )) as { id?: string; ID?: string };
    const id = created.id ?? created.ID ?? name;
    try {
      return await this.followJob(id, name, output);
    } finally {
      if (output.remove || output.signal?.aborted === true) await this.removeService(id);
    }
  }

  /**
   * Writes the output of job `id`'s task as it comes and returns its exit code once it
   * ended. Logs are followed live, then read once more in full after the end, and what the
   * live stream had not delivered yet is written (a followed task log does not end when the
   * task does).
   */
  private async followJob(
    id: string,
    name: string,
    output: {
      readonly stdout?: NodeJS.WritableStream;
      readonly stderr?: NodeJS.WritableStream;
      readonly signal?: AbortSignal;
    },
  ): Promise<number> {
    const context = `run one-off ${name}`;
    const written = { stdout: 0, stderr: 0 };
    const write = (line: LogLine) => {
      written[line.stream] += 1;
      (line.stream === "stdout" ? output.stdout : output.stderr)?.write(`${line.text}\n`);
    };
    let taskId: string | undefined;
    let live: Promise<void> | undefined;
    const follow = new AbortController();
    const stop = () => follow.abort();
    output.signal?.addEventListener("abort", stop, { once: true });
    try {
      for (;;) {
        if (output.signal?.aborted === true) return 130;
        const tasks = (await this.call(context, () =>
          this.docker.listTasks({ filters: { service: [id] } }),
        )) as SwarmTaskItem[];
        const task = tasks.sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""))[0];
        const state = task?.Status?.State ?? "";
        if (
          task !== undefined &&
          taskId === undefined &&
          ["running", "complete", "failed"].includes(state)
        ) {
          taskId = task.ID;
          const source = this.logs(task.ID, { follow: true, signal: follow.signal });
          live = (async () => {
            for await (const line of source) write(line);
          })().catch(() => undefined);
        }
        if (["complete", "failed", "shutdown", "rejected", "orphaned"].includes(state)) {
          follow.abort();
          await live;
          if (taskId !== undefined) {
            const seen = { stdout: 0, stderr: 0 };
            for await (const line of this.logs(taskId, {})) {
              seen[line.stream] += 1;
              if (seen[line.stream] > written[line.stream]) write(line);
            }
          }
          const info = task === undefined ? undefined : await this.task(task.ID);
          if (state === "rejected" || (info?.exitCode === undefined && state !== "complete"))
            throw new EngineError(
              "failed",
              `${context}: the task did not run: ${info?.error ?? task?.Status?.Err ?? state}`,
            );
          return info?.exitCode ?? 0;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      follow.abort();
      output.signal?.removeEventListener("abort", stop);
    }
  }
}
