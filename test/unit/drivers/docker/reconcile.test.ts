import { describe, expect, it } from "vitest";
import { replacementName } from "../../../../src/model/naming.js";
import type { Plan } from "../../../../src/core/operation.js";
import type { DockerOperation } from "../../../../src/drivers/docker/operations.js";
import { reconcile } from "../../../../src/drivers/docker/reconcile.js";
import { serviceConfigHash } from "../../../../src/model/config-hash.js";
import {
  OLD_HASH,
  attach,
  converged,
  edges,
  observation,
  observedNetwork,
  opIds,
  replica,
  replicasOf,
  serviceSpec,
  stackSpec,
  volumeMount,
} from "./helpers/fixtures.js";

const noPrune = { prune: false } as const;

function op(plan: Plan<DockerOperation>, id: string): DockerOperation {
  const found = plan.operations.find((o) => o.id === id);
  if (!found) throw new Error(`no operation ${id} in ${opIds(plan).join(" ")}`);
  return found;
}

describe("reconcile: creating and converging", () => {
  const spec = stackSpec({
    services: [
      serviceSpec("web", { replicas: 2, networks: attach("front") }),
      serviceSpec("redis", {
        image: "redis:7",
        networks: attach("front"),
        mounts: [volumeMount("data")],
      }),
    ],
    networks: { front: {} },
    volumes: { data: {} },
  });

  it("creates networks, volumes, images and every replica on an empty engine", () => {
    const plan = reconcile(spec, observation(spec), noPrune);
    expect(plan.stack).toBe("demo");
    expect(edges(plan)).toEqual([
      "network:front:create",
      "volume:data:create",
      "image:redis:7:pull",
      "image:web:1:pull",
      "container:redis.1:create <- image:redis:7:pull, network:front:create, volume:data:create",
      "container:web.1:create <- image:web:1:pull, network:front:create",
      "container:web.2:create <- image:web:1:pull, network:front:create",
    ]);
    expect(
      plan.operations.every((o) => o.kind !== "create-container" || o.cause === "not found"),
    ).toBe(true);
    expect(op(plan, "container:web.2:create")).toMatchObject({
      service: "web",
      slot: 2,
      name: "demo_web.2",
    });
    expect(plan.warnings).toEqual([]);
    expect(plan.blockers).toBeUndefined();
  });

  it("plans nothing at all for a converged stack", () => {
    expect(reconcile(spec, converged(spec), noPrune)).toEqual({
      stack: "demo",
      operations: [],
      warnings: [],
    });
  });

  it("plans nothing for a converged stack even with prune and force-free options", () => {
    expect(reconcile(spec, converged(spec), { prune: true }).operations).toEqual([]);
  });

  it("does not pull a missing image when no container needs to be created from it", () => {
    const plan = reconcile(spec, converged(spec, { presentImages: [] }), noPrune);
    expect(plan.operations).toEqual([]);
  });

  it("pulls only the images of services that create or replace containers", () => {
    const obs = converged(spec, {
      presentImages: [],
      containers: replicasOf(spec).filter((c) => c.name !== "demo_web.2"),
    });
    expect(edges(reconcile(spec, obs, noPrune))).toEqual([
      "image:web:1:pull",
      "container:web.2:create <- image:web:1:pull",
    ]);
  });

  it("pulls an image shared by two services once, and both wait for it", () => {
    const shared = stackSpec({
      services: [
        serviceSpec("a", { image: "busybox:1" }),
        serviceSpec("b", { image: "busybox:1" }),
      ],
    });
    expect(edges(reconcile(shared, observation(shared), noPrune))).toEqual([
      "image:busybox:1:pull",
      "container:a.1:create <- image:busybox:1:pull",
      "container:b.1:create <- image:busybox:1:pull",
    ]);
  });

  it("makes replacements depend on a missing image", () => {
    const obs = converged(spec, {
      presentImages: ["redis:7"],
      containers: replicasOf(spec).map((c) =>
        c.service === "web" ? { ...c, configHash: OLD_HASH } : c,
      ),
    });
    const plan = reconcile(spec, obs, noPrune);
    expect(op(plan, "container:web.1:replace").after).toEqual(["image:web:1:pull"]);
  });

  it("creates a missing network and volume but leaves existing ones alone", () => {
    const obs = converged(spec, { networks: [], volumes: [{ name: "demo_data", key: "data" }] });
    const plan = reconcile(spec, obs, noPrune);
    expect(edges(plan)).toEqual(["network:front:create"]);
    expect(op(plan, "network:front:create")).toMatchObject({
      network: "front",
      name: "demo_front",
      cause: "not found",
    });
  });

  it("uses the engine name from the spec for networks and volumes with name:", () => {
    const named = stackSpec({
      services: [serviceSpec("db", { networks: attach("back"), mounts: [volumeMount("pg")] })],
      networks: { back: { name: "shared-back" } },
      volumes: { pg: { name: "pgdata" } },
    });
    const plan = reconcile(named, observation(named, { presentImages: ["db:1"] }), noPrune);
    expect(op(plan, "network:back:create")).toMatchObject({ name: "shared-back" });
    expect(op(plan, "volume:pg:create")).toMatchObject({ name: "pgdata" });
  });
});

describe("reconcile: scaling", () => {
  const at = (replicas: number) => stackSpec({ services: [serviceSpec("web", { replicas })] });

  it("scales 5 -> 2 by removing slots 5, 4 and 3, highest first", () => {
    const plan = reconcile(at(2), converged(at(5)), noPrune);
    expect(plan.operations).toEqual([
      {
        id: "container:demo_web.5:remove",
        kind: "remove-container",
        text: "remove container demo_web.5",
        name: "demo_web.5",
        containerId: "id-web-5",
        service: "web",
        slot: 5,
        cause: "scale down",
        after: [],
      },
      {
        id: "container:demo_web.4:remove",
        kind: "remove-container",
        text: "remove container demo_web.4",
        name: "demo_web.4",
        containerId: "id-web-4",
        service: "web",
        slot: 4,
        cause: "scale down",
        after: [],
      },
      {
        id: "container:demo_web.3:remove",
        kind: "remove-container",
        text: "remove container demo_web.3",
        name: "demo_web.3",
        containerId: "id-web-3",
        service: "web",
        slot: 3,
        cause: "scale down",
        after: [],
      },
    ]);
  });

  it("removes slot 10 before slot 9 (numeric, not text, order)", () => {
    expect(opIds(reconcile(at(8), converged(at(10)), noPrune))).toEqual([
      "container:demo_web.10:remove",
      "container:demo_web.9:remove",
    ]);
  });

  it("scales 2 -> 4 by adding slots 3 and 4 and never touching 1 and 2", () => {
    const plan = reconcile(at(4), converged(at(2)), noPrune);
    expect(edges(plan)).toEqual(["container:web.3:create", "container:web.4:create"]);
    expect(plan.operations.map((o) => o.cause)).toEqual(["scale up", "scale up"]);
  });

  it("fills a missing slot in the middle as a scale up", () => {
    const obs = converged(at(3), { containers: replicasOf(at(3)).filter((c) => c.slot !== 2) });
    const plan = reconcile(at(3), obs, noPrune);
    expect(plan.operations).toEqual([
      {
        id: "container:web.2:create",
        kind: "create-container",
        text: "create container demo_web.2",
        service: "web",
        slot: 2,
        name: "demo_web.2",
        cause: "scale up",
        after: [],
      },
    ]);
  });

  it("scales to zero by removing every replica", () => {
    expect(opIds(reconcile(at(0), converged(at(2)), noPrune))).toEqual([
      "container:demo_web.2:remove",
      "container:demo_web.1:remove",
    ]);
  });

  it("never recreates on scaling: the replica count is not part of the hash", () => {
    expect(serviceConfigHash(serviceSpec("web", { replicas: 2 }))).toBe(
      serviceConfigHash(serviceSpec("web", { replicas: 7 })),
    );
  });

  it("scales down stale replicas without replacing them first", () => {
    const obs = converged(at(3), {
      containers: replicasOf(at(3)).map((c) => ({ ...c, configHash: OLD_HASH })),
    });
    expect(edges(reconcile(at(1), obs, noPrune))).toEqual([
      "container:demo_web.3:remove",
      "container:demo_web.2:remove",
      "container:web.1:replace",
    ]);
  });
});

describe("reconcile: rolling updates", () => {
  const stale = (s: ReturnType<typeof stackSpec>) =>
    converged(s, { containers: replicasOf(s).map((c) => ({ ...c, configHash: OLD_HASH })) });

  it("replaces one replica at a time by default, each after the previous one", () => {
    const spec = stackSpec({ services: [serviceSpec("web", { replicas: 3 })] });
    const plan = reconcile(spec, stale(spec), noPrune);
    expect(edges(plan)).toEqual([
      "container:web.1:replace",
      "container:web.2:replace <- container:web.1:replace",
      "container:web.3:replace <- container:web.2:replace",
    ]);
    expect(op(plan, "container:web.2:replace")).toEqual({
      id: "container:web.2:replace",
      kind: "replace-container",
      text: "replace container demo_web.2 stop-first",
      service: "web",
      slot: 2,
      name: "demo_web.2",
      containerId: "id-web-2",
      order: "stop-first",
      cause: "config hash diverged",
      after: ["container:web.1:replace"],
    });
  });

  it("batches by parallelism 2 with a delay op between batches, start-first", () => {
    const spec = stackSpec({
      services: [
        serviceSpec("web", {
          replicas: 5,
          update: { parallelism: 2, delayMs: 10_000, order: "start-first" },
        }),
      ],
    });
    const plan = reconcile(spec, stale(spec), noPrune);
    expect(edges(plan)).toEqual([
      "container:web.1:replace",
      "container:web.2:replace",
      "delay:web:batch2 <- container:web.1:replace, container:web.2:replace",
      "container:web.3:replace <- delay:web:batch2",
      "container:web.4:replace <- delay:web:batch2",
      "delay:web:batch3 <- container:web.3:replace, container:web.4:replace",
      "container:web.5:replace <- delay:web:batch3",
    ]);
    expect(op(plan, "delay:web:batch2")).toMatchObject({
      kind: "delay",
      ms: 10_000,
      service: "web",
      cause: "update delay",
    });
    expect(
      plan.operations
        .filter((o) => o.kind === "replace-container")
        .map((o) => o.kind === "replace-container" && o.order),
    ).toEqual(Array(5).fill("start-first"));
  });

  it("replaces everything at once with parallelism 0 (no batches, no delay)", () => {
    const spec = stackSpec({
      services: [serviceSpec("web", { replicas: 3, update: { parallelism: 0, delayMs: 5000 } })],
    });
    expect(edges(reconcile(spec, stale(spec), noPrune))).toEqual([
      "container:web.1:replace",
      "container:web.2:replace",
      "container:web.3:replace",
    ]);
  });

  it("replaces only the replicas whose hash diverged, batching them in slot order", () => {
    const spec = stackSpec({ services: [serviceSpec("web", { replicas: 4 })] });
    const obs = converged(spec, {
      containers: replicasOf(spec).map((c) =>
        c.slot === 2 || c.slot === 4 ? { ...c, configHash: OLD_HASH } : c,
      ),
    });
    expect(edges(reconcile(spec, obs, noPrune))).toEqual([
      "container:web.2:replace",
      "container:web.4:replace <- container:web.2:replace",
    ]);
  });

  it("replaces stale replicas and creates new slots in the same deploy", () => {
    const before = stackSpec({ services: [serviceSpec("web", { replicas: 2 })] });
    const after = stackSpec({
      services: [serviceSpec("web", { replicas: 3, environment: { MODE: "new" } })],
    });
    const plan = reconcile(after, converged(before, { presentImages: ["web:1"] }), noPrune);
    expect(edges(plan)).toEqual([
      "container:web.3:create",
      "container:web.1:replace",
      "container:web.2:replace <- container:web.1:replace",
    ]);
    expect(op(plan, "container:web.3:create").cause).toBe("scale up");
  });

  it("recreates matching replicas with forceRecreate", () => {
    const spec = stackSpec({ services: [serviceSpec("web", { replicas: 2 })] });
    expect(edges(reconcile(spec, converged(spec), { prune: false, forceRecreate: true }))).toEqual([
      "container:web.1:replace",
      "container:web.2:replace <- container:web.1:replace",
    ]);
  });
});

describe("reconcile: orphaned services", () => {
  const spec = stackSpec({ services: [serviceSpec("web")] });
  const old = stackSpec({
    services: [serviceSpec("web"), serviceSpec("old", { replicas: 2 }), serviceSpec("gone")],
  });

  it("warns about containers of removed services without prune, and touches nothing", () => {
    const plan = reconcile(spec, converged(old), noPrune);
    expect(plan.operations).toEqual([]);
    expect(plan.warnings).toEqual([
      'service "gone" is no longer in the stack file (1 container); run deploy with --prune to remove it',
      'service "old" is no longer in the stack file (2 containers); run deploy with --prune to remove it',
    ]);
  });

  it("removes them with prune, highest slot first", () => {
    const plan = reconcile(spec, converged(old), { prune: true });
    expect(opIds(plan)).toEqual([
      "container:demo_gone.1:remove",
      "container:demo_old.2:remove",
      "container:demo_old.1:remove",
    ]);
    expect(plan.operations.map((o) => o.cause)).toEqual(["orphaned", "orphaned", "orphaned"]);
    expect(plan.warnings).toEqual([]);
  });

  it("never removes volumes, even of a pruned service", () => {
    const withData = stackSpec({
      services: [serviceSpec("web"), serviceSpec("db", { mounts: [volumeMount("pg")] })],
      volumes: { pg: {} },
    });
    const plan = reconcile(spec, converged(withData), { prune: true });
    expect(plan.operations.map((o) => o.kind)).toEqual(["remove-container"]);
  });
});

describe("reconcile: interrupted updates and duplicate slots", () => {
  const spec = stackSpec({ services: [serviceSpec("web", { replicas: 2 })] });
  const hash = serviceConfigHash(spec.services.web!);
  const temp = replacementName("demo", "web", 1, hash);

  it("keeps the new replica of an interrupted update, removes the old one and renames the new one", () => {
    const containers = [
      replica(spec, "web", 1, { configHash: OLD_HASH }),
      replica(spec, "web", 1, { id: "id-new", name: temp, createdAt: "2024-05-01T10:05:00Z" }),
      replica(spec, "web", 2),
    ];
    const plan = reconcile(spec, converged(spec, { containers }), noPrune);
    expect(plan.operations).toEqual([
      {
        id: "container:demo_web.1:remove",
        kind: "remove-container",
        text: "remove container demo_web.1",
        name: "demo_web.1",
        containerId: "id-web-1",
        service: "web",
        slot: 1,
        cause: "interrupted update",
        after: [],
      },
      {
        id: `container:${temp}:rename`,
        kind: "rename-container",
        text: `rename container ${temp} to demo_web.1`,
        containerId: "id-new",
        from: temp,
        to: "demo_web.1",
        service: "web",
        cause: "interrupted update",
        after: ["container:demo_web.1:remove"],
      },
    ]);
  });

  it("starts the kept replica after the rename when it was only created", () => {
    const containers = [
      replica(spec, "web", 1, { configHash: OLD_HASH }),
      replica(spec, "web", 1, { id: "id-new", name: temp, state: "created" }),
      replica(spec, "web", 2),
    ];
    expect(edges(reconcile(spec, converged(spec, { containers }), noPrune))).toEqual([
      "container:demo_web.1:remove",
      `container:${temp}:rename <- container:demo_web.1:remove`,
      `container:web.1:start <- container:${temp}:rename`,
    ]);
  });

  it("renames a lone replica left under its temporary name", () => {
    const containers = [replica(spec, "web", 1, { name: temp }), replica(spec, "web", 2)];
    const plan = reconcile(spec, converged(spec, { containers }), noPrune);
    expect(edges(plan)).toEqual([`container:${temp}:rename`]);
    expect(plan.operations[0]).toMatchObject({
      from: temp,
      to: "demo_web.1",
      containerId: "id-web-1",
    });
  });

  it("when both replicas are stale, keeps the one holding the slot name and replaces it", () => {
    const containers = [
      replica(spec, "web", 1, { id: "a-temp", name: `${temp}x`, configHash: OLD_HASH }),
      replica(spec, "web", 1, { id: "b-slot", configHash: OLD_HASH }),
      replica(spec, "web", 2),
    ];
    expect(edges(reconcile(spec, converged(spec, { containers }), noPrune))).toEqual([
      `container:${temp}x:remove`,
      `container:web.1:replace <- container:${temp}x:remove`,
    ]);
  });

  it("keeps a running duplicate over an exited one, and calls the rest duplicates", () => {
    // A swarm-like observation: two tasks of slot 1 under the slot name.
    const containers = [
      replica(spec, "web", 1, {
        id: "exited",
        state: "exited",
        exitCode: 0,
        createdAt: "2024-05-02T00:00:00Z",
      }),
      replica(spec, "web", 1, { id: "running" }),
      replica(spec, "web", 2),
    ];
    const plan = reconcile(spec, converged(spec, { containers }), noPrune);
    expect(plan.operations).toEqual([
      {
        id: "container:demo_web.1:remove",
        kind: "remove-container",
        text: "remove container demo_web.1",
        name: "demo_web.1",
        containerId: "exited",
        service: "web",
        slot: 1,
        cause: "duplicate slot",
        after: [],
      },
    ]);
  });

  it("breaks ties by newest createdAt, then by id", () => {
    const base = { state: "exited" as const, exitCode: 0 };
    const newest = reconcile(
      spec,
      converged(spec, {
        containers: [
          replica(spec, "web", 1, { ...base, id: "older", createdAt: "2024-05-01T10:00:00.1Z" }),
          replica(spec, "web", 1, { ...base, id: "newer", createdAt: "2024-05-01T10:00:00.12Z" }),
          replica(spec, "web", 2),
        ],
      }),
      noPrune,
    );
    // Restart policy any: the kept one is started, the other removed.
    expect(newest.operations.map((o) => [o.kind, "containerId" in o ? o.containerId : ""])).toEqual(
      [
        ["remove-container", "older"],
        ["start-container", "newer"],
      ],
    );
    const same = reconcile(
      spec,
      converged(spec, {
        containers: [
          replica(spec, "web", 1, { ...base, id: "bbb" }),
          replica(spec, "web", 1, { ...base, id: "aaa" }),
          replica(spec, "web", 2),
        ],
      }),
      noPrune,
    );
    expect(same.operations.map((o) => [o.kind, "containerId" in o ? o.containerId : ""])).toEqual([
      ["remove-container", "bbb"],
      ["start-container", "aaa"],
    ]);
  });

  it("removes every container of a surplus slot as scale down", () => {
    const containers = [
      ...replicasOf(spec),
      replica(spec, "web", 3, { id: "x", configHash: OLD_HASH }),
      replica(spec, "web", 3, { id: "y", name: temp.replace("web.1", "web.3") }),
    ];
    const plan = reconcile(spec, converged(spec, { containers }), noPrune);
    expect(plan.operations.map((o) => [o.kind, o.cause])).toEqual([
      ["remove-container", "scale down"],
      ["remove-container", "scale down"],
    ]);
  });
});

describe("reconcile: stopped replicas and restart policies", () => {
  const specWith = (restart: "any" | "on-failure" | "none") =>
    stackSpec({ services: [serviceSpec("job", { restart })] });
  const planFor = (
    restart: "any" | "on-failure" | "none",
    state: "created" | "exited" | "dead" | "paused" | "restarting",
    exitCode?: number,
  ) => {
    const spec = specWith(restart);
    const c = replica(spec, "job", 1, { state, ...(exitCode !== undefined && { exitCode }) });
    return reconcile(spec, converged(spec, { containers: [c] }), noPrune);
  };

  it("starts a replica that was created but never started", () => {
    expect(planFor("none", "created").operations).toEqual([
      {
        id: "container:job.1:start",
        kind: "start-container",
        text: "start container demo_job.1",
        service: "job",
        slot: 1,
        name: "demo_job.1",
        containerId: "id-job-1",
        cause: "not running",
        after: [],
      },
    ]);
  });

  it("starts an exited replica whose policy is restart any", () => {
    expect(opIds(planFor("any", "exited", 0))).toEqual(["container:job.1:start"]);
  });

  it("starts an exited replica on-failure only after a non-zero exit", () => {
    expect(opIds(planFor("on-failure", "exited", 0))).toEqual([]);
    expect(opIds(planFor("on-failure", "exited", 3))).toEqual(["container:job.1:start"]);
  });

  it("leaves a finished one-shot job (restart none) alone", () => {
    expect(opIds(planFor("none", "exited", 0))).toEqual([]);
    expect(opIds(planFor("none", "exited", 1))).toEqual([]);
  });

  it("removes and recreates a dead replica that should run (the engine cannot start it)", () => {
    expect(edges(planFor("any", "dead", 137))).toEqual([
      "container:demo_job.1:remove",
      "container:job.1:create <- container:demo_job.1:remove",
    ]);
    expect(planFor("any", "dead", 137).operations.map((o) => o.cause)).toEqual([
      "not running",
      "not running",
    ]);
    expect(opIds(planFor("none", "dead", 137))).toEqual([]);
  });

  it("leaves paused and restarting replicas to the user and the engine", () => {
    expect(planFor("any", "paused").operations).toEqual([]);
    expect(planFor("any", "restarting").operations).toEqual([]);
  });
});

describe("reconcile: states the engine does not get out of by itself", () => {
  const STALE =
    "task 4f4e93949c11a006cb7ca3ce4d8c85c6ae6084da0d2cb0a79b6963315b6d1b06: already exists";

  it("recreates a replica the engine refuses to start because of a task a killed dockerd left", () => {
    const spec = stackSpec({ services: [serviceSpec("web", { restart: "none" })] });
    for (const state of ["created", "exited"] as const) {
      const c = replica(spec, "web", 1, { state, exitCode: 128, error: STALE });
      const plan = reconcile(spec, converged(spec, { containers: [c] }), noPrune);
      expect(edges(plan)).toEqual([
        "container:demo_web.1:remove",
        "container:web.1:create <- container:demo_web.1:remove",
      ]);
      expect(plan.operations.map((o) => o.cause)).toEqual(["stale task", "stale task"]);
    }
  });

  describe("replicas the engine's restart ended", () => {
    const ENGINE_START = "2024-05-01T12:00:00.000000000Z";
    const endedAt = (spec: ReturnType<typeof stackSpec>, service: string, startedAt: string) =>
      converged(spec, {
        containers: [
          ...replicasOf(spec).filter((c) => c.service !== service),
          replica(spec, service, 1, {
            state: "exited",
            exitCode: 0,
            startedAt,
            finishedAt: "2024-05-01T11:59:58.000000000Z",
          }),
        ],
      });
    const withEngineStart = (o: ReturnType<typeof converged>) => ({
      ...o,
      engineStartedAt: ENGINE_START,
    });

    it("starts a long-running service's replica (restart none) that last started before the engine", () => {
      const spec = stackSpec({ services: [serviceSpec("web", { restart: "none" })] });
      const plan = reconcile(
        spec,
        withEngineStart(endedAt(spec, "web", "2024-05-01T09:00:00.000000000Z")),
        noPrune,
      );
      expect(plan.operations.map((o) => [o.id, o.cause])).toEqual([
        ["container:web.1:start", "engine restart"],
      ]);
    });

    it("leaves one that exited by itself after the engine started, and any when the start is unknown", () => {
      const spec = stackSpec({ services: [serviceSpec("web", { restart: "none" })] });
      expect(
        reconcile(
          spec,
          withEngineStart(endedAt(spec, "web", "2024-05-01T12:00:05.000000000Z")),
          noPrune,
        ).operations,
      ).toEqual([]);
      expect(
        reconcile(spec, endedAt(spec, "web", "2024-05-01T09:00:00.000000000Z"), noPrune).operations,
      ).toEqual([]);
    });

    it("leaves a one-shot job's finished replica alone (a completion dependency, or a job mode)", () => {
      const spec = stackSpec({
        services: [
          serviceSpec("migrate", { restart: "none" }),
          serviceSpec("web", { dependsOn: { migrate: "service_completed_successfully" } }),
          serviceSpec("report", { restart: "none", deploy: { mode: "replicated-job" } }),
        ],
      });
      for (const job of ["migrate", "report"]) {
        expect(
          reconcile(
            spec,
            withEngineStart(endedAt(spec, job, "2024-05-01T09:00:00.000000000Z")),
            noPrune,
          ).operations,
        ).toEqual([]);
      }
    });
  });
});

describe("reconcile: networks", () => {
  const spec = stackSpec({
    services: [serviceSpec("web", { replicas: 2, networks: attach("front") })],
    networks: { front: { driver: "bridge" } },
  });
  const drifted = observedNetwork(spec, "front", { configHash: OLD_HASH });

  it("warns instead of recreating a changed network that containers still use", () => {
    const plan = reconcile(spec, converged(spec, { networks: [drifted] }), noPrune);
    expect(plan.operations).toEqual([]);
    expect(plan.warnings).toEqual([
      'network "front" (demo_front) differs from the stack file but containers still use it; run "stack rm demo" and deploy again to recreate it',
    ]);
  });

  it("recreates a changed network when no container uses it, before creating replicas", () => {
    const plan = reconcile(
      spec,
      observation(spec, { networks: [drifted], presentImages: ["web:1"] }),
      noPrune,
    );
    expect(edges(plan)).toEqual([
      "network:demo_front:remove",
      "network:front:create <- network:demo_front:remove",
      "container:web.1:create <- network:front:create",
      "container:web.2:create <- network:front:create",
    ]);
    expect(op(plan, "network:demo_front:remove")).toMatchObject({
      networkId: "net-front",
      cause: "config hash diverged",
    });
    expect(plan.warnings).toEqual([]);
  });

  it("recreates a changed network after removing the containers that were on it", () => {
    const zero = stackSpec({
      services: [serviceSpec("web", { replicas: 0, networks: attach("front") })],
      networks: { front: { driver: "bridge" } },
    });
    const plan = reconcile(zero, converged(spec, { networks: [drifted] }), noPrune);
    expect(edges(plan)).toEqual([
      "container:demo_web.2:remove",
      "container:demo_web.1:remove",
      "network:demo_front:remove <- container:demo_web.1:remove, container:demo_web.2:remove",
      "network:front:create <- network:demo_front:remove",
    ]);
  });

  it("counts containers of services outside the file as users of a changed network", () => {
    const other = replica(spec, "legacy", 1);
    const plan = reconcile(
      spec,
      observation(spec, { containers: [other], networks: [drifted], presentImages: ["web:1"] }),
      noPrune,
    );
    expect(plan.operations.some((o) => o.kind === "remove-network")).toBe(false);
    expect(plan.warnings).toHaveLength(2);
  });

  it("blocks the plan when an external network does not exist", () => {
    const ext = stackSpec({
      services: [serviceSpec("web", { networks: attach("outside") })],
      networks: { outside: { external: true, name: "proxy-net" } },
    });
    const missing = reconcile(ext, observation(ext, { presentImages: ["web:1"] }), noPrune);
    expect(missing.blockers).toEqual([
      'external network "proxy-net" (networks.outside) does not exist; create it before deploying',
    ]);
    expect(missing.operations.some((o) => o.kind === "create-network")).toBe(false);
    const present = reconcile(
      ext,
      observation(ext, { presentImages: ["web:1"], externalNetworks: ["proxy-net"] }),
      noPrune,
    );
    expect(present.blockers).toBeUndefined();
    expect(edges(present)).toEqual(["container:web.1:create"]);
  });

  it("only creates networks that planned services use", () => {
    const unused = stackSpec({ services: [serviceSpec("web")], networks: { spare: {} } });
    expect(
      opIds(reconcile(unused, observation(unused, { presentImages: ["web:1"] }), noPrune)),
    ).toEqual(["container:web.1:create"]);
  });
});

describe("reconcile: volumes", () => {
  it("blocks the plan when an external volume does not exist", () => {
    const spec = stackSpec({
      services: [serviceSpec("db", { mounts: [volumeMount("pg")] })],
      volumes: { pg: { external: true } },
    });
    expect(reconcile(spec, observation(spec), noPrune).blockers).toEqual([
      'external volume "pg" (volumes.pg) does not exist; create it before deploying',
    ]);
    expect(
      reconcile(spec, observation(spec, { externalVolumes: ["pg"] }), noPrune).blockers,
    ).toBeUndefined();
  });

  it("ignores anonymous volumes and bind mounts", () => {
    const spec = stackSpec({
      services: [
        serviceSpec("db", {
          mounts: [
            { type: "volume", target: "/tmp/anon", readOnly: false },
            { type: "bind", source: "/srv/conf", target: "/conf", readOnly: true },
          ],
        }),
      ],
    });
    expect(opIds(reconcile(spec, observation(spec, { presentImages: ["db:1"] }), noPrune))).toEqual(
      ["container:db.1:create"],
    );
  });
});

describe("reconcile: services filter", () => {
  const spec = stackSpec({
    services: [
      serviceSpec("web", { replicas: 3, networks: attach("front") }),
      serviceSpec("api", { networks: attach("back") }),
    ],
    networks: { front: {}, back: {} },
  });

  it("plans only the named services and the networks and images they need", () => {
    const obs = observation(spec, { containers: [replica(spec, "web", 1)] });
    const plan = reconcile(spec, obs, { prune: false, services: ["web"] });
    expect(edges(plan)).toEqual([
      "network:front:create",
      "image:web:1:pull",
      "container:web.2:create <- image:web:1:pull, network:front:create",
      "container:web.3:create <- image:web:1:pull, network:front:create",
    ]);
  });

  it("never touches other services' containers, orphans included, even with prune", () => {
    const small = stackSpec({
      services: [
        serviceSpec("web", { replicas: 1, networks: attach("front") }),
        serviceSpec("api", { networks: attach("back") }),
      ],
      networks: { front: {}, back: {} },
    });
    const containers = [...replicasOf(spec), replica(spec, "api", 2), replica(spec, "old", 1)];
    const plan = reconcile(small, converged(spec, { containers }), {
      prune: true,
      services: ["web"],
    });
    expect(opIds(plan)).toEqual(["container:demo_web.3:remove", "container:demo_web.2:remove"]);
    expect(plan.warnings).toEqual([]);
  });

  it("blocks an unknown service name", () => {
    const plan = reconcile(spec, converged(spec), { prune: false, services: ["nope", "web"] });
    expect(plan.blockers).toEqual(['service "nope" is not in the stack file']);
    expect(plan.operations).toEqual([]);
  });
});
