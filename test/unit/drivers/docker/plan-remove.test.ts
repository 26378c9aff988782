import { describe, expect, it } from "vitest";
import { planRemove } from "../../../../src/drivers/docker/plan-remove.js";
import {
  converged,
  edges,
  observation,
  serviceSpec,
  stackSpec,
  volumeMount,
  attach,
} from "./helpers/fixtures.js";

const spec = stackSpec({
  services: [
    serviceSpec("web", { replicas: 2, networks: attach("front") }),
    serviceSpec("redis", { networks: attach("front"), mounts: [volumeMount("data")] }),
  ],
  networks: { front: {}, back: {} },
  volumes: { data: {} },
});

describe("planRemove", () => {
  it("removes every container, then the networks once all containers are gone, keeping volumes", () => {
    const plan = planRemove(converged(spec), { volumes: false });
    expect(edges(plan)).toEqual([
      "container:demo_redis.1:remove",
      "container:demo_web.2:remove",
      "container:demo_web.1:remove",
      "network:demo_back:remove <- container:demo_redis.1:remove, container:demo_web.1:remove, container:demo_web.2:remove",
      "network:demo_front:remove <- container:demo_redis.1:remove, container:demo_web.1:remove, container:demo_web.2:remove",
    ]);
    expect(plan.operations.every((o) => o.cause === "removed by rm")).toBe(true);
    expect(plan.operations.find((o) => o.id === "container:demo_web.2:remove")).toEqual({
      id: "container:demo_web.2:remove",
      kind: "remove-container",
      text: "remove container demo_web.2",
      name: "demo_web.2",
      containerId: "id-web-2",
      service: "web",
      slot: 2,
      cause: "removed by rm",
      after: [],
    });
    expect(plan.stack).toBe("demo");
  });

  it("also removes the stack's volumes with volumes: true, after the containers", () => {
    const plan = planRemove(converged(spec), { volumes: true });
    expect(plan.operations.at(-1)).toEqual({
      id: "volume:demo_data:remove",
      kind: "remove-volume",
      text: "remove volume demo_data",
      name: "demo_data",
      cause: "removed by rm",
      after: [
        "container:demo_redis.1:remove",
        "container:demo_web.1:remove",
        "container:demo_web.2:remove",
      ],
    });
  });

  it("is empty for a stack with nothing on the engine", () => {
    expect(planRemove(observation(spec), { volumes: true })).toEqual({
      stack: "demo",
      operations: [],
      warnings: [],
    });
  });

  it("does not depend on the order of the observation", () => {
    const obs = converged(spec);
    const reversed = {
      ...obs,
      containers: [...obs.containers].reverse(),
      networks: [...obs.networks].reverse(),
      volumes: [...obs.volumes].reverse(),
    };
    expect(planRemove(reversed, { volumes: true })).toEqual(planRemove(obs, { volumes: true }));
  });

  it("keeps operation ids unique when two networks share a name", () => {
    const obs = observation(spec, {
      networks: [
        { id: "n2", name: "demo_front", key: "front", configHash: "x" },
        { id: "n1", name: "demo_front", key: "front", configHash: "x" },
      ],
    });
    expect(planRemove(obs, { volumes: false }).operations.map((o) => o.id)).toEqual([
      "network:demo_front:remove",
      "network:demo_front:n2:remove",
    ]);
  });
});
