import type Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import { engineIdentity, readEngineInfo } from "../../../../src/drivers/docker-api/engine-info.js";

/** Abridged `GET /version` replies, as dockerd 20.10 and podman 4.3.1 send them here. */
const DOCKER_VERSION = {
  Platform: { Name: "" },
  Components: [{ Name: "Engine", Version: "20.10.24+dfsg1" }, { Name: "containerd" }],
  Version: "20.10.24+dfsg1",
  ApiVersion: "1.41",
};
const PODMAN_VERSION = {
  Platform: { Name: "linux/amd64/debian-12" },
  Components: [
    { Name: "Podman Engine", Version: "4.3.1", Details: { APIVersion: "4.3.1" } },
    { Name: "Conmon", Version: "conmon version 2.1.6, commit: unknown" },
    { Name: "OCI Runtime (runc)", Version: "runc version 1.1.5+ds1" },
  ],
  Version: "4.3.1",
  ApiVersion: "1.41",
};

describe("engineIdentity", () => {
  it("tells Podman from its first component's name", () => {
    expect(engineIdentity(PODMAN_VERSION)).toEqual({
      kind: "podman",
      version: "4.3.1",
      apiVersion: "1.41",
      product: "Podman 4.3.1",
    });
  });

  it("reads anything else as Docker", () => {
    expect(engineIdentity(DOCKER_VERSION)).toEqual({
      kind: "docker",
      version: "20.10.24+dfsg1",
      apiVersion: "1.41",
      product: "Docker 20.10.24+dfsg1",
    });
    expect(engineIdentity({ Version: "26.1.5", ApiVersion: "1.45", Components: null }).kind).toBe(
      "docker",
    );
  });
});

/** A dockerode stand-in answering version and info, counting the calls. */
function fakeDocker(version: object, info: object) {
  const calls: string[] = [];
  const docker = {
    version: async () => {
      calls.push("version");
      return version;
    },
    info: async () => {
      calls.push("info");
      return info;
    },
  } as unknown as Dockerode;
  return { docker, calls };
}

describe("readEngineInfo", () => {
  it("asks Docker for its swarm role", async () => {
    const { docker, calls } = fakeDocker(DOCKER_VERSION, { Swarm: { ControlAvailable: true } });
    expect(await readEngineInfo(docker, "unix:///d.sock")).toEqual({
      address: "unix:///d.sock",
      serverVersion: "20.10.24+dfsg1",
      apiVersion: "1.41",
      swarmManager: true,
      kind: "docker",
      product: "Docker 20.10.24+dfsg1",
    });
    expect(calls).toEqual(["version", "info"]);
  });

  it("does not ask Podman for /info (seconds there, and it has no swarm mode)", async () => {
    const { docker, calls } = fakeDocker(PODMAN_VERSION, {});
    const info = await readEngineInfo(docker, "unix:///p.sock");
    expect(info).toMatchObject({ swarmManager: false, kind: "podman", product: "Podman 4.3.1" });
    expect(calls).toEqual(["version"]);
  });

  it("uses the caller's identity instead of asking again", async () => {
    const { docker, calls } = fakeDocker(PODMAN_VERSION, {});
    await readEngineInfo(docker, "unix:///p.sock", Promise.resolve(engineIdentity(PODMAN_VERSION)));
    expect(calls).toEqual([]);
  });
});
