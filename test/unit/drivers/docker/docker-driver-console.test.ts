/** The docker driver's parts the `stack ps` console relies on: one replica's control, inspect. */
import { describe, expect, it } from "vitest";
import { DockerDriver } from "../../../../src/drivers/docker/docker-driver.js";
import { STACK } from "./helpers/fixtures.js";
import { FakeEngine } from "./helpers/fake-engine.js";

function twoWebReplicas() {
  const engine = new FakeEngine();
  const ids = [1, 2].map((slot) =>
    engine.seed({ stack: STACK, name: `demo_web.${slot}`, service: "web", slot, configHash: "h" }),
  );
  return { engine, ids, driver: new DockerDriver(engine) };
}

describe("DockerDriver control of one replica", () => {
  it("restarts only the replica named by id, and says so", async () => {
    const { engine, ids, driver } = twoWebReplicas();
    const outcomes = await driver.control(STACK, ["web"], "restart", { replicas: [ids[1]!] });
    expect(outcomes).toEqual([{ name: "demo_web.2", result: "restarted", ok: true }]);
    expect(engine.calls.filter((c) => c.startsWith("restart"))).toEqual(["restart demo_web.2"]);
  });

  it("stops every replica of the service without a replica filter", async () => {
    const { engine, driver } = twoWebReplicas();
    const outcomes = await driver.control(STACK, ["web"], "stop", {});
    expect(outcomes.map((o) => `${o.name} ${o.result}`).sort()).toEqual([
      "demo_web.1 stopped",
      "demo_web.2 stopped",
    ]);
    expect(engine.list().map((c) => c.state)).toEqual(["exited", "exited"]);
  });

  it("gives the inspect summary of a replica from the engine", async () => {
    const { driver, engine } = twoWebReplicas();
    const replica = engine.byName("demo_web.1")!;
    expect((await driver.inspect(replica)).image).toBe("web:old");
  });
});
