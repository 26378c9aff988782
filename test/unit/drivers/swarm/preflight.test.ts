import { describe, expect, it } from "vitest";
import { swarmDriverIssues } from "../../../../src/drivers/swarm/preflight.js";
import { serviceSpec, stackSpec } from "../docker/helpers/fixtures.js";

describe("swarmDriverIssues", () => {
  it("does not warn about restart policies: swarm's default applies when the file gives none", () => {
    const spec = stackSpec({
      services: [
        serviceSpec("job", { deploy: { restartPolicy: { condition: "none", defaulted: true } } }),
        serviceSpec("app", { restart: "none" }),
      ],
    });
    expect(swarmDriverIssues(spec).warnings).toEqual([]);
  });

  it("rejects build without a registry image and network_mode, warns about what swarm ignores and about too few nodes", () => {
    const build = { context: "/src", dockerfile: "Dockerfile", args: {}, labels: {} };
    const spec = stackSpec({
      services: [
        serviceSpec("a", { build, image: "demo-a", networkMode: "host" }),
        serviceSpec("r", { build, image: "127.0.0.1:15410/team/r:1", pullPolicy: "always" }),
        serviceSpec("b", {
          containerName: "bee",
          links: [{ service: "a", alias: "x" }],
          replicas: 5,
          deploy: { placement: { constraints: [], preferences: [], maxReplicasPerNode: 2 } },
        }),
      ],
    });
    expect(spec.name).toBe("demo");
    const { errors, warnings } = swarmDriverIssues(spec, 2);
    expect(errors.map((e) => e.path)).toEqual(["services.a.build", "services.a.network_mode"]);
    expect(errors[0]?.message).toContain(
      "stack builds it on the manager, pushes it there, then deploys",
    );
    expect(warnings.map((w) => w.path)).toEqual([
      "services.b.container_name",
      "services.b.links",
      "services.b.deploy.placement.max_replicas_per_node",
      "services.r.pull_policy",
    ]);
    expect(warnings[2]?.message).toBe(
      "5 replicas with at most 2 per node need 3 nodes; the swarm has 2, so 1 task(s) will stay pending",
    );
  });

  it("names the settings swarm services cannot carry", () => {
    const spec = stackSpec({
      services: [serviceSpec("c", { securityOpt: ["no-new-privileges:true"], ipc: "shareable" })],
    });
    expect(swarmDriverIssues(spec, 1).warnings.map((w) => [w.path, w.message])).toEqual([
      ["services.c", "security_opt is not supported by swarm services and is ignored on swarm"],
      ["services.c", "ipc is not supported by swarm services and is ignored on swarm"],
    ]);
  });
});
