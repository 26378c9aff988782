import { describe, expect, it } from "vitest";
import { formatPlan } from "../../../../src/core/format-plan.js";
import { planRemoveSwarm, reconcileSwarm } from "../../../../src/drivers/swarm/reconcile.js";
import type {
  ObservedService,
  SwarmDesiredState,
  SwarmObservedState,
} from "../../../../src/drivers/swarm/observed-state.js";
import { networkConfigHash } from "../../../../src/model/config-hash.js";
import type { StackSpec } from "../../../../src/model/types.js";
import { attach, serviceSpec, stackSpec } from "../docker/helpers/fixtures.js";

const spec: StackSpec = {
  ...stackSpec({
    services: [
      serviceSpec("db", {
        networks: attach("back"),
        secrets: [{ source: "pw", target: "/run/secrets/pw" }],
      }),
      serviceSpec("web", {
        networks: attach("back"),
        dependsOn: { db: "service_healthy" },
        replicas: 3,
      }),
    ],
    networks: { back: {} },
  }),
  secrets: { pw: { key: "pw", name: "demo_pw", external: false, labels: {}, content: "x" } },
};

const desired: SwarmDesiredState = {
  services: {
    db: { name: "demo_db", configHash: "s1:db", replicas: 1 },
    web: { name: "demo_web", configHash: "s1:web", replicas: 3 },
  },
  secrets: { pw: { name: "demo_pw-11111111", external: false } },
  configs: {},
};

function service(key: string, over: Partial<ObservedService> = {}): ObservedService {
  return {
    id: `id-${key}`,
    name: `demo_${key}`,
    service: key,
    version: 10,
    configHash: `s1:${key}`,
    image: "x",
    mode: "replicated",
    replicas: key === "web" ? 3 : 1,
    ...over,
  };
}

function observed(over: Partial<SwarmObservedState> = {}): SwarmObservedState {
  return {
    stack: "demo",
    services: [service("db"), service("web")],
    tasks: [],
    networks: [
      {
        id: "n1",
        name: "demo_back",
        key: "back",
        configHash: networkConfigHash(spec.networks["back"]!),
      },
    ],
    secrets: [{ id: "s1", name: "demo_pw-11111111" }],
    configs: [],
    nodes: [],
    externalNetworks: [],
    externalSecrets: [],
    externalConfigs: [],
    ...over,
  };
}

describe("reconcileSwarm", () => {
  it("creates networks and secrets first, then services in depends_on order with a readiness gate", () => {
    const plan = reconcileSwarm(
      spec,
      desired,
      observed({ services: [], networks: [], secrets: [] }),
      { prune: false },
    );
    expect(formatPlan(plan)).toBe(
      [
        "Plan for stack demo: 5 operations",
        "  create network demo_back        (not found)",
        "  create secret demo_pw-11111111  (not found)",
        "  create service demo_db          (not found)",
        "  wait for db (service healthy)   (dependency)",
        "  create service demo_web         (not found)",
        "",
      ].join("\n"),
    );
    const web = plan.operations.find((op) => op.id === "service:web:create");
    expect(web?.after).toEqual(["network:demo_back:create", "wait:db:service_healthy"]);
  });

  it("waits once per dependency, at the strongest condition its dependents ask for", () => {
    const two: StackSpec = {
      ...spec,
      services: {
        ...spec.services,
        worker: serviceSpec("worker", {
          networks: attach("back"),
          dependsOn: { db: "service_started" },
        }),
      },
    };
    const plan = reconcileSwarm(
      two,
      {
        ...desired,
        services: {
          ...desired.services,
          worker: { name: "demo_worker", configHash: "s1:worker", replicas: 1 },
        },
      },
      observed({ services: [] }),
      { prune: false },
    );
    expect(plan.operations.filter((o) => o.kind === "wait-ready").map((o) => o.id)).toEqual([
      "wait:db:service_healthy",
    ]);
    expect(plan.operations.find((o) => o.id === "service:worker:create")?.after).toEqual([
      "wait:db:service_healthy",
    ]);
  });

  it("plans nothing for a stack that matches: no spurious rolling restart", () => {
    expect(reconcileSwarm(spec, desired, observed(), { prune: false }).operations).toEqual([]);
  });

  it("updates only the services whose spec hash or replica count differ, with the observed version", () => {
    const plan = reconcileSwarm(
      spec,
      desired,
      observed({
        services: [service("db"), service("web", { configHash: "s1:old", version: 42 })],
      }),
      { prune: false },
    );
    expect(plan.operations).toEqual([
      {
        id: "service:web:update",
        kind: "update-service",
        text: "update service demo_web",
        service: "web",
        name: "demo_web",
        serviceId: "id-web",
        version: 42,
        cause: "config hash diverged",
        after: [],
      },
    ]);
    const scaled = reconcileSwarm(
      spec,
      desired,
      observed({ services: [service("db"), service("web", { replicas: 1 })] }),
      { prune: false },
    );
    expect(scaled.operations.map((op) => `${op.kind} ${op.cause}`)).toEqual([
      "update-service scale",
    ]);
  });

  it("a changed secret is a new object: created, the service updated, the old one removed after", () => {
    const plan = reconcileSwarm(
      spec,
      {
        ...desired,
        services: {
          ...desired.services,
          db: { name: "demo_db", configHash: "s1:db2", replicas: 1 },
        },
        secrets: { pw: { name: "demo_pw-22222222", external: false } },
      },
      observed(),
      { prune: false },
    );
    expect(plan.operations.map((op) => `${op.id} <- ${op.after.join(",")}`)).toEqual([
      "secret:demo_pw-22222222:create <- ",
      "service:db:update <- secret:demo_pw-22222222:create",
      "wait:db:service_healthy <- service:db:update",
      "secret:demo_pw-11111111:remove <- service:db:update",
    ]);
    expect(plan.operations[0]?.cause).toBe("content changed");
  });

  it("removes services no longer in the file only with prune, else warns", () => {
    const extra = observed({ services: [service("db"), service("web"), service("old")] });
    expect(reconcileSwarm(spec, desired, extra, { prune: false })).toMatchObject({
      operations: [],
      warnings: ["service demo_old is not in the stack file; deploy with --prune to remove it"],
    });
    expect(
      reconcileSwarm(spec, desired, extra, { prune: true }).operations.map((op) => op.id),
    ).toEqual(["service:old:remove"]);
  });

  it("blocks on a missing external network or secret, and on an unknown service", () => {
    const ext: StackSpec = {
      ...spec,
      networks: { back: { ...spec.networks["back"]!, external: true, name: "shared" } },
    };
    const plan = reconcileSwarm(
      ext,
      { ...desired, secrets: { pw: { name: "pw", external: true } } },
      observed(),
      { prune: false, services: ["nope", "db"] },
    );
    expect(plan.blockers).toEqual([
      'no service "nope" in the stack file',
      "external network shared does not exist on the swarm (create it with docker network create -d overlay)",
      "external secret pw does not exist on the swarm",
    ]);
  });

  it("warns when a network definition changed (swarm cannot change it in place)", () => {
    const plan = reconcileSwarm(
      spec,
      desired,
      observed({
        networks: [{ id: "n1", name: "demo_back", key: "back", configHash: "v1:other" }],
      }),
      { prune: false },
    );
    expect(plan.warnings[0]).toMatch(/network demo_back changed/);
  });
});

describe("planRemoveSwarm", () => {
  it("removes services, then networks, secrets and configs", () => {
    const plan = planRemoveSwarm(observed({ configs: [{ id: "c1", name: "demo_conf-1" }] }));
    expect(plan.operations.map((op) => `${op.id} <- ${op.after.length}`)).toEqual([
      "service:db:remove <- 0",
      "service:web:remove <- 0",
      "network:demo_back:n1:remove <- 2",
      "secret:demo_pw-11111111:remove <- 2",
      "config:demo_conf-1:remove <- 2",
    ]);
  });
});
