// An in-memory swarm manager for the swarm driver's unit tests: services, networks, secrets,
// configs and the tasks swarm would run for them live in maps; writes are recorded in `calls`
// and faults can be injected per method. Tasks follow a service's spec after a number of
// observations (`settleAfterReads`), so rollouts are deterministic without wall-clock time.
import type {
  EngineEvent,
  EngineInfo,
  LogLine,
  StackSummary,
  ReplicaSummary,
} from "../../../../../src/core/driver.js";
import { replicaSummary } from "../../../../../src/drivers/docker-api/replica-summary.js";
import { EngineError } from "../../../../../src/core/errors.js";
import type { ObservedContainer } from "../../../../../src/core/replica.js";
import type { NetworkSpec, StackSpec } from "../../../../../src/model/types.js";
import type {
  ServiceUpdateState,
  SwarmDesiredState,
  SwarmObservedState,
} from "../../../../../src/drivers/swarm/observed-state.js";
import type {
  ServiceEngine,
  SwarmObserveWants,
} from "../../../../../src/drivers/swarm/service-engine.js";
import { fileObjectName, swarmServiceSpec } from "../../../../../src/drivers/swarm/service-spec.js";
import { MemoryLockStore } from "../../docker-api/helpers/memory-lock-store.js";

interface FakeService {
  id: string;
  name: string;
  key: string;
  stack: string;
  version: number;
  configHash: string;
  replicas: number;
  /** Reads left until its tasks run the current spec. */
  pendingReads: number;
  updateState?: ServiceUpdateState;
  /** Config hash its running tasks carry. */
  taskHash: string;
}

interface Fault {
  readonly method: string;
  readonly error: () => Error;
  remaining: number;
}

export class FakeSwarm implements ServiceEngine {
  /** Stack locks of this fake swarm. */
  readonly locks = new MemoryLockStore();

  lockStore(): MemoryLockStore {
    return this.locks;
  }

  readonly address = "fake://swarm";
  readonly calls: string[] = [];
  readonly attempts = new Map<string, number>();
  /** Observations a created or updated service needs before its tasks run. */
  settleAfterReads = 1;
  /** Called at the start of every write (e.g. to abort mid-deploy). */
  beforeWrite?: (method: string, arg: string) => void;

  private readonly services = new Map<string, FakeService>();
  private readonly networks = new Map<
    string,
    { id: string; name: string; key: string; configHash: string; stack: string }
  >();
  private readonly secrets = new Map<string, { id: string; name: string; stack: string }>();
  private readonly configs = new Map<string, { id: string; name: string; stack: string }>();
  private readonly faults: Fault[] = [];
  private nextId = 1;

  /** The next `times` calls of `method` throw `error()`. */
  fail(method: keyof ServiceEngine & string, error: () => Error, times = 1): this {
    this.faults.push({ method, error, remaining: times });
    return this;
  }

  /** Sets the rollout state swarm reports for service `key` (a paused or rolled-back update). */
  setUpdateState(key: string, state: ServiceUpdateState): void {
    const s = [...this.services.values()].find((x) => x.key === key);
    if (s === undefined) throw new Error(`no service ${key}`);
    s.updateState = state;
  }

  serviceVersion(key: string): number | undefined {
    return [...this.services.values()].find((x) => x.key === key)?.version;
  }

  private enter(method: string, arg: string, write: boolean): void {
    this.attempts.set(method, (this.attempts.get(method) ?? 0) + 1);
    if (write) this.beforeWrite?.(method, arg);
    const fault = this.faults.find((f) => f.method === method && f.remaining > 0);
    if (fault !== undefined) {
      fault.remaining -= 1;
      throw fault.error();
    }
  }

  async ping(): Promise<EngineInfo> {
    return { address: this.address, serverVersion: "fake", apiVersion: "1.41", swarmManager: true };
  }

  async observe(stack: string, want?: SwarmObserveWants): Promise<SwarmObservedState> {
    this.enter("observe", stack, false);
    const services = [...this.services.values()].filter((s) => s.stack === stack);
    const tasks: ObservedContainer[] = [];
    for (const s of services) {
      if (s.pendingReads > 0) s.pendingReads -= 1;
      else s.taskHash = s.configHash;
      for (let slot = 1; slot <= s.replicas; slot++) {
        tasks.push({
          id: `${s.id}-task-${slot}`,
          name: `${s.name}.${slot}`,
          service: s.key,
          slot,
          configHash: s.taskHash,
          image: "fake",
          state: s.pendingReads > 0 && s.taskHash === "" ? "created" : "running",
          createdAt: "2024-01-01T00:00:00Z",
          restartCount: 0,
          ports: [],
          node: "node-1",
        });
      }
    }
    const mine = <T extends { stack: string }>(m: Map<string, T>) =>
      [...m.values()].filter((x) => x.stack === stack);
    return {
      stack,
      services: services.map((s) => ({
        id: s.id,
        name: s.name,
        service: s.key,
        version: s.version,
        configHash: s.configHash,
        image: "fake",
        mode: "replicated" as const,
        replicas: s.replicas,
        ...(s.updateState !== undefined && { updateState: s.updateState }),
      })),
      tasks,
      networks: mine(this.networks).map(({ id, name, key, configHash }) => ({
        id,
        name,
        key,
        configHash,
      })),
      secrets: mine(this.secrets).map(({ id, name }) => ({ id, name })),
      configs: mine(this.configs).map(({ id, name }) => ({ id, name })),
      nodes: [
        { id: "n1", hostname: "node-1", role: "manager", state: "ready", availability: "active" },
      ],
      externalNetworks: [...(want?.externalNetworks ?? [])].filter((n) =>
        [...this.networks.values()].some((x) => x.name === n),
      ),
      externalSecrets: [],
      externalConfigs: [],
    };
  }

  async listStacks(): Promise<readonly StackSummary[]> {
    return [];
  }

  async desiredState(spec: StackSpec): Promise<SwarmDesiredState> {
    const names = (objects: StackSpec["secrets"]) =>
      Object.fromEntries(
        Object.values(objects).map((o) => [
          o.key,
          fileObjectName(spec.name, o.key, o.content ?? ""),
        ]),
      );
    const objects = { secrets: names(spec.secrets), configs: names(spec.configs) };
    const services = Object.fromEntries(
      Object.values(spec.services).map((service) => {
        const mapped = swarmServiceSpec({ spec, service, objects, stackVersion: "test" });
        return [
          service.name,
          { name: mapped.name, configHash: mapped.configHash, replicas: service.deploy.replicas },
        ];
      }),
    );
    const pick = (o: Record<string, string>) =>
      Object.fromEntries(Object.entries(o).map(([k, name]) => [k, { name, external: false }]));
    return { services, secrets: pick(objects.secrets), configs: pick(objects.configs) };
  }

  async createNetwork(stack: string, network: NetworkSpec, configHash: string): Promise<void> {
    this.enter("createNetwork", network.name, true);
    this.calls.push(`create network ${network.name}`);
    const id = `n${this.nextId++}`;
    this.networks.set(id, { id, name: network.name, key: network.key, configHash, stack });
  }

  async removeNetwork(idOrName: string): Promise<void> {
    this.enter("removeNetwork", idOrName, true);
    const n = [...this.networks.values()].find((x) => x.id === idOrName || x.name === idOrName);
    this.calls.push(`remove network ${n?.name ?? idOrName}`);
    if (n !== undefined) this.networks.delete(n.id);
  }

  private async mapped(spec: StackSpec, key: string) {
    const desired = await this.desiredState(spec);
    const want = desired.services[key];
    if (want === undefined) throw new EngineError("invalid", `no service ${key}`);
    return want;
  }

  async createService(spec: StackSpec, service: string): Promise<void> {
    this.enter("createService", service, true);
    const want = await this.mapped(spec, service);
    this.calls.push(`create service ${want.name}`);
    const id = `s${this.nextId++}`;
    this.services.set(id, {
      id,
      name: want.name,
      key: service,
      stack: spec.name,
      version: 1,
      configHash: want.configHash,
      replicas: want.replicas ?? 1,
      pendingReads: this.settleAfterReads,
      taskHash: "",
    });
  }

  async updateService(
    spec: StackSpec,
    service: string,
    id: string,
    version: number,
  ): Promise<void> {
    this.enter("updateService", service, true);
    const s = this.services.get(id);
    if (s === undefined)
      throw new EngineError("not-found", `service ${id} not found`, { statusCode: 404 });
    // Verified swarm behaviour: a stale version is refused with 500 "update out of sequence".
    if (s.version !== version)
      throw new EngineError("server", "rpc error: update out of sequence", { statusCode: 500 });
    const want = await this.mapped(spec, service);
    this.calls.push(`update service ${want.name}`);
    s.version += 1;
    s.configHash = want.configHash;
    s.replicas = want.replicas ?? 1;
    s.pendingReads = this.settleAfterReads;
  }

  async removeService(id: string): Promise<void> {
    this.enter("removeService", id, true);
    this.calls.push(`remove service ${this.services.get(id)?.name ?? id}`);
    this.services.delete(id);
  }

  async createSecret(spec: StackSpec, key: string): Promise<void> {
    this.enter("createSecret", key, true);
    const name = (await this.desiredState(spec)).secrets[key]?.name ?? key;
    this.calls.push(`create secret ${name}`);
    const id = `x${this.nextId++}`;
    this.secrets.set(id, { id, name, stack: spec.name });
  }

  async createConfig(spec: StackSpec, key: string): Promise<void> {
    this.enter("createConfig", key, true);
    const name = (await this.desiredState(spec)).configs[key]?.name ?? key;
    this.calls.push(`create config ${name}`);
    const id = `x${this.nextId++}`;
    this.configs.set(id, { id, name, stack: spec.name });
  }

  async removeSecret(id: string): Promise<boolean> {
    this.enter("removeSecret", id, true);
    this.calls.push(`remove secret ${this.secrets.get(id)?.name ?? id}`);
    this.secrets.delete(id);
    return true;
  }

  async removeConfig(id: string): Promise<boolean> {
    this.enter("removeConfig", id, true);
    this.calls.push(`remove config ${this.configs.get(id)?.name ?? id}`);
    this.configs.delete(id);
    return true;
  }

  async *logs(): AsyncIterable<LogLine> {
    // Tasks of the fake print nothing.
  }

  events(_stack: string, signal: AbortSignal): AsyncIterable<EngineEvent> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<EngineEvent>>((resolve) =>
            signal.addEventListener("abort", () => resolve({ done: true, value: undefined }), {
              once: true,
            }),
          ),
      }),
    };
  }

  // The verbs beyond deploy (exec, run, restart, ...) are tested on the test swarm only.
  async localNode() {
    return { id: "node-a", hostname: "a" };
  }
  async task() {
    return undefined;
  }
  async nodeAddress() {
    return undefined;
  }
  async exec(): Promise<number> {
    throw new Error("FakeSwarm.exec: not used by planner tests");
  }
  async top(): Promise<{ titles: string[]; processes: string[][] }> {
    return { titles: [], processes: [] };
  }
  async summary(): Promise<ReplicaSummary> {
    return replicaSummary({});
  }
  async forceUpdate(): Promise<void> {}
  async scaleService(): Promise<void> {}
  async serviceEndpoint() {
    return undefined;
  }
  async pullImage(): Promise<void> {}
  async pushImage(): Promise<string | undefined> {
    return undefined;
  }
  async buildImage(): Promise<void> {}
  async imageBuildHash(): Promise<string | undefined> {
    return undefined;
  }
  async distributionDigest(image: string): Promise<string> {
    throw new EngineError("server", `resolve image ${image}: no registry in unit tests`);
  }
  async imageInfo() {
    return undefined;
  }
  async runJob(): Promise<number> {
    throw new Error("FakeSwarm.runJob: not used by planner tests");
  }
}
