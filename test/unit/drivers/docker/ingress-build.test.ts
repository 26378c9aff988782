import { describe, expect, it } from "vitest";
import { formatPlan } from "../../../../src/core/format-plan.js";
import type { ObservedContainer } from "../../../../src/core/replica.js";
import { reconcile } from "../../../../src/drivers/docker/reconcile.js";
import { buildConfigHash, serviceConfigHash } from "../../../../src/model/config-hash.js";
import {
  DEFAULT_INGRESS_IMAGE,
  ingressConfigHash,
  ingressRoutes,
} from "../../../../src/model/ingress.js";
import type { BuildSpec, PortSpec, StackSpec } from "../../../../src/model/types.js";
import {
  attach,
  converged,
  edges,
  observation,
  serviceSpec,
  stackSpec,
} from "./helpers/fixtures.js";

const noPrune = { prune: false } as const;
const port80: PortSpec = { target: 80, published: 8080, protocol: "tcp", mode: "ingress" };

function lab(replicas: number, order: "stop-first" | "start-first" = "stop-first"): StackSpec {
  return stackSpec({
    services: [
      serviceSpec("web", {
        replicas,
        ports: [port80],
        networks: attach("webnet"),
        update: { order },
      }),
      serviceSpec("redis", { networks: attach("webnet") }),
    ],
    networks: { webnet: {} },
  });
}

function ingressContainer(spec: StackSpec, o: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: "id-ingress",
    name: `${spec.name}_ingress`,
    service: "ingress",
    slot: 0,
    configHash: ingressConfigHash(spec),
    image: DEFAULT_INGRESS_IMAGE,
    state: "running",
    createdAt: "2024-05-01T10:00:00Z",
    restartCount: 0,
    ports: [],
    role: "ingress",
    ...o,
  };
}

describe("ingress routes", () => {
  it("serve fixed TCP ports of services with several replicas or start-first updates only", () => {
    expect(ingressRoutes(lab(1))).toEqual([]);
    expect(ingressRoutes(lab(5))).toEqual([
      { service: "web", published: 8080, target: 80, protocol: "tcp", listen: 20000 },
    ]);
    expect(ingressRoutes(lab(1, "start-first"))).toHaveLength(1);
    const udp = stackSpec({
      services: [
        serviceSpec("dns", {
          replicas: 3,
          networks: attach("n"),
          ports: [
            { ...port80, protocol: "udp" },
            { target: 9, protocol: "tcp", mode: "ingress" },
          ],
        }),
      ],
      networks: { n: {} },
    });
    expect(ingressRoutes(udp)).toEqual([]);
  });

  it("change the service hash only when crossing the ingress boundary, not when scaling", () => {
    const one = lab(1).services["web"];
    const five = lab(5).services["web"];
    const six = lab(6).services["web"];
    if (!one || !five || !six) throw new Error("fixture");
    expect(serviceConfigHash(five)).toBe(serviceConfigHash(six));
    expect(serviceConfigHash(one)).not.toBe(serviceConfigHash(five));
    // A service without published ports keeps the hash it always had.
    const plain = serviceSpec("w", { replicas: 1 });
    expect(serviceConfigHash(plain)).toBe(
      serviceConfigHash({ ...plain, deploy: { ...plain.deploy, replicas: 4 } }),
    );
  });

  it("hash the routes and image, not the replica count", () => {
    expect(ingressConfigHash(lab(5))).toBe(ingressConfigHash(lab(7)));
    expect(ingressConfigHash(lab(5))).not.toBe(
      ingressConfigHash({ ...lab(5), ingressImage: "my/haproxy:1" }),
    );
  });
});

describe("reconcile: the ingress", () => {
  it("creates the ingress after the network, its image and the served replicas", () => {
    const spec = lab(3);
    const plan = reconcile(
      spec,
      observation(spec, { presentImages: ["web:1", "redis:1"] }),
      noPrune,
    );
    expect(edges(plan)).toContain(
      "ingress:create <- container:web.1:create, container:web.2:create, container:web.3:create, image:haproxy:2.8:pull, network:webnet:create",
    );
    expect(formatPlan(plan)).toContain("create ingress demo_ingress");
  });

  it("does nothing when the ingress runs with the current hash", () => {
    const spec = lab(5);
    const observed = converged(spec, {
      containers: [...converged(spec).containers, ingressContainer(spec)],
    });
    expect(reconcile(spec, observed, noPrune).operations).toEqual([]);
  });

  it("scaling a served service leaves the ingress alone", () => {
    const observed = converged(lab(3), {
      containers: [...converged(lab(3)).containers, ingressContainer(lab(3))],
    });
    const plan = reconcile(lab(5), observed, noPrune);
    expect(plan.operations.map((o) => o.id)).toEqual([
      "container:web.4:create",
      "container:web.5:create",
    ]);
  });

  it("recreates an ingress whose routes changed, removing the old one first", () => {
    const spec = lab(3);
    const stale = ingressContainer(spec, { configHash: "ingress-v1:old" });
    const observed = converged(spec, {
      containers: [...converged(spec).containers, stale],
      presentImages: ["web:1", "redis:1", DEFAULT_INGRESS_IMAGE],
    });
    const plan = reconcile({ ...spec, ingressImage: DEFAULT_INGRESS_IMAGE }, observed, noPrune);
    expect(edges(plan)).toEqual([
      "container:demo_ingress:remove",
      "ingress:create <- container:demo_ingress:remove",
    ]);
    expect(plan.operations[0]?.cause).toBe("config hash diverged");
  });

  it("removes the ingress when one replica is left and republishes the port on it", () => {
    const five = lab(5);
    const observed = converged(five, {
      containers: [...converged(five).containers, ingressContainer(five)],
    });
    const plan = reconcile(lab(1), observed, noPrune);
    const ids = edges(plan);
    expect(ids).toContain("container:demo_ingress:remove");
    // web.1 publishes 8080 itself again: replaced only after the ingress let go of the port.
    expect(ids).toContain("container:web.1:replace <- container:demo_ingress:remove");
    expect(plan.operations.some((o) => o.kind === "create-ingress")).toBe(false);
  });
});

describe("reconcile: builds", () => {
  const build: BuildSpec = {
    context: "/srv/app",
    dockerfile: "Dockerfile",
    args: {},
    labels: {},
    contextHash: "c1",
  };
  const spec = stackSpec({
    services: [serviceSpec("app", { image: "demo_app", build, networks: attach("n") })],
    networks: { n: {} },
  });

  it("builds a missing image instead of pulling it, before the replicas", () => {
    const plan = reconcile(spec, observation(spec), noPrune);
    expect(edges(plan)).toEqual([
      "network:n:create",
      "image:demo_app:build",
      "container:app.1:create <- image:demo_app:build, network:n:create",
    ]);
    expect(formatPlan(plan)).toContain("build image demo_app");
  });

  it("does not rebuild an image built from the same context and settings", () => {
    const observed = {
      ...converged(spec),
      imageBuildHashes: { demo_app: buildConfigHash(build) },
    };
    expect(reconcile(spec, observed, noPrune).operations).toEqual([]);
    const forced = reconcile(spec, observed, { ...noPrune, build: true });
    expect(forced.operations.map((o) => `${o.id} (${o.cause})`)).toEqual([
      "image:demo_app:build (build requested)",
    ]);
  });

  it("rebuilds and replaces the replicas when the context changed", () => {
    const observed = {
      ...converged(spec),
      imageBuildHashes: { demo_app: buildConfigHash(build) },
    };
    const changed = stackSpec({
      services: [
        serviceSpec("app", {
          image: "demo_app",
          build: { ...build, contextHash: "c2" },
          networks: attach("n"),
        }),
      ],
      networks: { n: {} },
    });
    expect(edges(reconcile(changed, observed, noPrune))).toEqual([
      "image:demo_app:build",
      "container:app.1:replace <- image:demo_app:build",
    ]);
  });
});
