/**
 * The docker planner and moved images: a replica runs the image ID its `image:` reference
 * resolved to when it was created; when the reference resolves to another ID now (a build,
 * pull or tag outside `stack`, or a rebuild in this plan), the replica is replaced, rolled
 * per update_config, without any change to the config hash.
 */
import { describe, expect, it } from "vitest";
import { formatPlan } from "../../../../src/core/format-plan.js";
import type { ObservedContainer } from "../../../../src/core/replica.js";
import { reconcile } from "../../../../src/drivers/docker/reconcile.js";
import { buildConfigHash, serviceConfigHash } from "../../../../src/model/config-hash.js";
import { DEFAULT_INGRESS_IMAGE, ingressConfigHash } from "../../../../src/model/ingress.js";
import type { BuildSpec, StackSpec } from "../../../../src/model/types.js";
import {
  OLD_HASH,
  converged,
  edges,
  imageId,
  replicasOf,
  serviceSpec,
  stackSpec,
} from "./helpers/fixtures.js";

const noPrune = { prune: false } as const;
const A = imageId("a");
const B = imageId("b");

/** Every replica of `spec` created from image ID `id`. */
function running(spec: StackSpec, id: string | undefined): ObservedContainer[] {
  return replicasOf(spec).map((c) => (id === undefined ? c : { ...c, imageId: id }));
}

describe("reconcile: a moved tag", () => {
  const spec = stackSpec({
    services: [
      serviceSpec("web", { image: "web:1", replicas: 3, update: { parallelism: 2, delayMs: 500 } }),
      serviceSpec("redis", { image: "redis:7" }),
    ],
  });
  const ids = { "web:1": A, "redis:7": A };

  it("changes nothing while every replica runs what its tag gives", () => {
    const obs = converged(spec, { containers: running(spec, A), imageIds: ids });
    expect(reconcile(spec, obs, noPrune).operations).toEqual([]);
  });

  it("replaces the replicas of a service whose tag moved, in update_config batches, naming both IDs", () => {
    const obs = converged(spec, {
      containers: running(spec, A),
      imageIds: { ...ids, "web:1": B },
    });
    const plan = reconcile(spec, obs, noPrune);
    expect(formatPlan(plan)).toBe(
      [
        "Plan for stack demo: 4 operations",
        "  replace container demo_web.1 stop-first  (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
        "  replace container demo_web.2 stop-first  (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
        "  wait 500ms between web update batches    (update delay)",
        "  replace container demo_web.3 stop-first  (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
        "",
      ].join("\n"),
    );
    expect(edges(plan)).toEqual([
      "container:web.1:replace",
      "container:web.2:replace",
      "delay:web:batch2 <- container:web.1:replace, container:web.2:replace",
      "container:web.3:replace <- delay:web:batch2",
    ]);
  });

  it("replaces only the replicas still on the old ID (a rollout interrupted half-way)", () => {
    const containers = running(spec, B).map((c) =>
      c.name === "demo_web.2" ? { ...c, imageId: A } : c,
    );
    const plan = reconcile(
      spec,
      converged(spec, { containers, imageIds: { ...ids, "web:1": B } }),
      noPrune,
    );
    // redis runs B while its tag gives A: it rolls back to what the tag gives, too.
    expect(plan.operations.map((o) => `${o.id} (${o.cause})`)).toEqual([
      "container:redis.1:replace (image changed: bbbbbbbbbbbb -> aaaaaaaaaaaa)",
      "container:web.2:replace (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
    ]);
  });

  it("never replaces when either ID is unknown: a missing tag, a container without an image ID", () => {
    // The tag was removed (docker rmi -f): nothing to compare with; the replicas keep running.
    const gone = converged(spec, { containers: running(spec, A), imageIds: { "redis:7": A } });
    expect(reconcile(spec, gone, noPrune).operations).toEqual([]);
    // The engine did not report the container's image.
    const unknown = converged(spec, {
      containers: running(spec, undefined),
      imageIds: { ...ids, "web:1": B },
    });
    expect(reconcile(spec, unknown, noPrune).operations).toEqual([]);
  });

  it("keeps the config hash cause when the file changed too, and leaves the hash alone", () => {
    const containers = running(spec, A).map((c) =>
      c.service === "redis" ? { ...c, configHash: OLD_HASH } : c,
    );
    const plan = reconcile(
      spec,
      converged(spec, { containers, imageIds: { "web:1": A, "redis:7": B } }),
      noPrune,
    );
    expect(plan.operations.map((o) => `${o.id} (${o.cause})`)).toEqual([
      "container:redis.1:replace (config hash diverged)",
    ]);
    // The image ID is no input of the config hash: a moved tag never changes it.
    expect(serviceConfigHash(spec.services["redis"]!)).toBe(replicasOf(spec)[3]!.configHash);
  });

  it("replaces a stopped or dead replica on the old ID instead of starting it", () => {
    const containers = running(spec, A).map((c) =>
      c.name === "demo_redis.1" ? { ...c, state: "dead" as const } : c,
    );
    const plan = reconcile(
      spec,
      converged(spec, { containers, imageIds: { "web:1": A, "redis:7": B } }),
      noPrune,
    );
    expect(plan.operations.map((o) => `${o.id} (${o.cause})`)).toEqual([
      "container:redis.1:replace (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
    ]);
  });

  it("rolls scaled-up stacks too: new slots are created, old slots on the moved tag replaced", () => {
    const fewer = stackSpec({ services: [serviceSpec("web", { image: "web:1", replicas: 1 })] });
    const more = stackSpec({ services: [serviceSpec("web", { image: "web:1", replicas: 2 })] });
    const plan = reconcile(
      more,
      converged(more, { containers: running(fewer, A), imageIds: { "web:1": B } }),
      noPrune,
    );
    expect(plan.operations.map((o) => `${o.id} (${o.cause})`)).toEqual([
      "container:web.2:create (scale up)",
      "container:web.1:replace (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
    ]);
  });
});

describe("reconcile: an image built in the same plan", () => {
  const build: BuildSpec = {
    context: "/srv/app",
    dockerfile: "Dockerfile",
    args: {},
    labels: {},
    contextHash: "c1",
  };
  // The tutorial's shape: app builds the tag, worker runs it without `build:`.
  function stack(contextHash: string): StackSpec {
    return stackSpec({
      services: [
        serviceSpec("app", { image: "mb:latest", build: { ...build, contextHash } }),
        serviceSpec("worker", { image: "mb:latest", replicas: 2 }),
      ],
    });
  }
  const before = stack("c1");
  const after = stack("c2");
  const built = {
    presentImages: ["mb:latest"],
    imageIds: { "mb:latest": A },
    imageBuildHashes: { "mb:latest": buildConfigHash(before.services["app"]!.build!) },
  };

  it("builds first, then replaces the builder and every service running the tag, in one plan", () => {
    const obs = converged(after, { ...built, containers: running(before, A) });
    const plan = reconcile(after, obs, noPrune);
    expect(formatPlan(plan)).toBe(
      [
        "Plan for stack demo: 4 operations",
        "  build image mb:latest                       (content changed)",
        "  replace container demo_app.1 stop-first     (config hash diverged)",
        "  replace container demo_worker.1 stop-first  (image changed: aaaaaaaaaaaa -> new build)",
        "  replace container demo_worker.2 stop-first  (image changed: aaaaaaaaaaaa -> new build)",
        "",
      ].join("\n"),
    );
    expect(edges(plan)).toEqual([
      "image:mb:latest:build",
      "container:app.1:replace <- image:mb:latest:build",
      "container:worker.1:replace <- image:mb:latest:build",
      "container:worker.2:replace <- container:worker.1:replace, image:mb:latest:build",
    ]);
  });

  it("after that build, the next observation (the tag on the new ID) plans nothing", () => {
    const obs = converged(after, {
      presentImages: ["mb:latest"],
      imageIds: { "mb:latest": B },
      imageBuildHashes: { "mb:latest": buildConfigHash(after.services["app"]!.build!) },
      containers: running(after, B),
    });
    expect(reconcile(after, obs, noPrune).operations).toEqual([]);
  });

  it("does not guess what --build or a missing image gives: the next round compares the IDs", () => {
    const obs = converged(before, { ...built, containers: running(before, A) });
    expect(
      reconcile(before, obs, { ...noPrune, build: true }).operations.map(
        (o) => `${o.id} (${o.cause})`,
      ),
    ).toEqual(["image:mb:latest:build (build requested)"]);
    // The build moved the tag after all: the next round rolls both services.
    const moved = converged(before, {
      ...built,
      imageIds: { "mb:latest": B },
      containers: running(before, A),
    });
    expect(reconcile(before, moved, noPrune).operations.map((o) => `${o.id} (${o.cause})`)).toEqual(
      [
        "container:app.1:replace (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
        "container:worker.1:replace (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
        "container:worker.2:replace (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
      ],
    );
    const missing = converged(before, { presentImages: [], containers: running(before, A) });
    expect(
      reconcile(before, missing, noPrune).operations.map((o) => `${o.id} (${o.cause})`),
    ).toEqual(["image:mb:latest:build (image missing)"]);
  });
});

describe("reconcile: the ingress and its image", () => {
  const spec = stackSpec({
    services: [
      serviceSpec("web", {
        replicas: 2,
        ports: [{ target: 80, published: 8080, protocol: "tcp", mode: "ingress" }],
        networks: { webnet: { aliases: [] } },
      }),
    ],
    networks: { webnet: {} },
  });
  function ingress(id: string): ObservedContainer {
    return {
      id: "id-ingress",
      name: "demo_ingress",
      service: "ingress",
      slot: 0,
      configHash: ingressConfigHash(spec),
      image: DEFAULT_INGRESS_IMAGE,
      imageId: id,
      state: "running",
      createdAt: "2024-05-01T10:00:00Z",
      restartCount: 0,
      ports: [],
      role: "ingress",
    };
  }

  it("keeps the proxy while its image tag stays, recreates it when the tag moved", () => {
    const images = ["web:1", DEFAULT_INGRESS_IMAGE];
    const base = { presentImages: images, imageIds: { "web:1": A, [DEFAULT_INGRESS_IMAGE]: A } };
    const same = converged(spec, { ...base, containers: [...running(spec, A), ingress(A)] });
    expect(reconcile(spec, same, noPrune).operations).toEqual([]);
    const moved = converged(spec, {
      presentImages: images,
      imageIds: { "web:1": A, [DEFAULT_INGRESS_IMAGE]: B },
      containers: [...running(spec, A), ingress(A)],
    });
    expect(reconcile(spec, moved, noPrune).operations.map((o) => `${o.id} (${o.cause})`)).toEqual([
      "container:demo_ingress:remove (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
      "ingress:create (image changed: aaaaaaaaaaaa -> bbbbbbbbbbbb)",
    ]);
  });
});
