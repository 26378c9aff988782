import { describe, expect, it } from "vitest";
import { formatPlan } from "../../../src/core/format-plan.js";
import { planRemove } from "../../../src/drivers/docker/plan-remove.js";
import { reconcile } from "../../../src/drivers/docker/reconcile.js";
import { serviceConfigHash } from "../../../src/model/config-hash.js";
import { replacementName } from "../../../src/model/naming.js";
import {
  OLD_HASH,
  attach,
  converged,
  observation,
  replica,
  replicasOf,
  serviceSpec,
  stackSpec,
  volumeMount,
} from "../drivers/docker/helpers/fixtures.js";

// The get-started lab: web replicas and a Redis visit counter on one network.
const labWith = (webReplicas: number) =>
  stackSpec({
    name: "getstartedlab",
    services: [
      serviceSpec("web", {
        image: "friendlyhello:v2",
        replicas: webReplicas,
        networks: attach("webnet"),
        dependsOn: { redis: "service_started" },
        update: { parallelism: 2, delayMs: 10_000, order: "start-first" },
      }),
      serviceSpec("redis", {
        image: "redis:7-alpine",
        networks: attach("webnet"),
        mounts: [volumeMount("data")],
      }),
    ],
    networks: { webnet: {} },
    volumes: { data: {} },
  });
const lab = labWith(5);

describe("formatPlan", () => {
  it("prints a first deploy", () => {
    expect(
      formatPlan(
        reconcile(lab, observation(lab, { presentImages: ["friendlyhello:v2"] }), { prune: false }),
      ),
    ).toBe(
      [
        "Plan for stack getstartedlab: 10 operations",
        "  create network getstartedlab_webnet     (not found)",
        "  create volume getstartedlab_data        (not found)",
        "  pull image redis:7-alpine               (image missing)",
        "  create container getstartedlab_redis.1  (not found)",
        "  wait for redis (service started)        (dependency)",
        "  create container getstartedlab_web.1    (not found)",
        "  create container getstartedlab_web.2    (not found)",
        "  create container getstartedlab_web.3    (not found)",
        "  create container getstartedlab_web.4    (not found)",
        "  create container getstartedlab_web.5    (not found)",
        "",
      ].join("\n"),
    );
  });

  it("prints a rolling update with batches, delays and the update order", () => {
    const obs = converged(lab, {
      containers: replicasOf(lab).map((c) =>
        c.service === "web" ? { ...c, configHash: OLD_HASH } : c,
      ),
    });
    expect(formatPlan(reconcile(lab, obs, { prune: false }))).toBe(
      [
        "Plan for stack getstartedlab: 8 operations",
        "  wait for redis (service started)                   (dependency)",
        "  replace container getstartedlab_web.1 start-first  (config hash diverged)",
        "  replace container getstartedlab_web.2 start-first  (config hash diverged)",
        "  wait 10s between web update batches                (update delay)",
        "  replace container getstartedlab_web.3 start-first  (config hash diverged)",
        "  replace container getstartedlab_web.4 start-first  (config hash diverged)",
        "  wait 10s between web update batches                (update delay)",
        "  replace container getstartedlab_web.5 start-first  (config hash diverged)",
        "",
      ].join("\n"),
    );
  });

  it("prints scale down, an interrupted update and orphans with their warning", () => {
    const small = labWith(2);
    const temp = replacementName(
      "getstartedlab",
      "redis",
      1,
      serviceConfigHash(lab.services.redis!),
    );
    const containers = [
      ...replicasOf(lab).filter((c) => c.service === "web" && c.slot <= 3),
      replica(lab, "redis", 1, { configHash: OLD_HASH }),
      replica(lab, "redis", 1, { id: "new-redis", name: temp }),
      replica(lab, "visualizer", 1),
    ];
    const text = formatPlan(reconcile(small, converged(lab, { containers }), { prune: false }));
    expect(text).toBe(
      [
        "Plan for stack getstartedlab: 3 operations",
        "  remove container getstartedlab_redis.1                                    (interrupted update)",
        "  remove container getstartedlab_web.3                                      (scale down)",
        `  rename container ${temp} to getstartedlab_redis.1  (interrupted update)`,
        'warning: service "visualizer" is no longer in the stack file (1 container); run deploy with --prune to remove it',
        "",
      ].join("\n"),
    );
  });

  it("says the stack is up to date for an empty plan, and still shows warnings", () => {
    expect(formatPlan(reconcile(lab, converged(lab), { prune: false }))).toBe(
      "No changes: stack getstartedlab is up to date.\n",
    );
    expect(formatPlan({ stack: "s", operations: [], warnings: ["mind the gap"] })).toBe(
      "No changes: stack s is up to date.\nwarning: mind the gap\n",
    );
  });

  it("prints blockers as errors", () => {
    const ext = stackSpec({
      name: "shop",
      services: [serviceSpec("api", { networks: attach("proxy") })],
      networks: { proxy: { external: true } },
    });
    expect(formatPlan(reconcile(ext, observation(ext), { prune: false }))).toBe(
      [
        "Plan for stack shop: 2 operations",
        "  pull image api:1             (image missing)",
        "  create container shop_api.1  (not found)",
        'error: external network "proxy" (networks.proxy) does not exist; create it before deploying',
        "",
      ].join("\n"),
    );
  });

  it("uses the singular for one operation and prints removal plans", () => {
    const one = stackSpec({ name: "solo", services: [serviceSpec("app")] });
    expect(formatPlan(planRemove(converged(one), { volumes: false }))).toBe(
      "Plan for stack solo: 1 operation\n  remove container solo_app.1  (removed by rm)\n",
    );
  });
});
