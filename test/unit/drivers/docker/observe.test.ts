import { describe, expect, it } from "vitest";
import {
  normaliseImageId,
  summariseStacks,
  toObservedContainer,
  toObservedNetwork,
  toObservedVolume,
} from "../../../../src/drivers/docker/observe.js";
import type {
  ContainerInspectItem,
  ContainerListItem,
} from "../../../../src/drivers/docker/observe.js";

const labels = {
  "stack.name": "s",
  "stack.service": "web",
  "stack.slot": "3",
  "stack.config-hash": "v1:h",
};
const listItem: ContainerListItem = {
  Id: "c1",
  Names: ["/s_web.3"],
  Image: "sha256:deadbeef",
  Created: 1_795_392_000,
  State: "running",
  Labels: labels,
  Ports: [{ IP: "127.0.0.1", PrivatePort: 80, PublicPort: 8080, Type: "tcp" }],
};
const inspect: ContainerInspectItem = {
  Id: "c1",
  Name: "/s_web.3",
  Created: "2026-11-23T00:00:00.1Z",
  RestartCount: 2,
  Config: { Image: "web:1", Labels: labels },
  State: {
    Status: "running",
    ExitCode: 0,
    Error: "",
    StartedAt: "2026-11-23T00:00:01Z",
    FinishedAt: "0001-01-01T00:00:00Z",
    Health: { Status: "healthy" },
  },
  NetworkSettings: {
    Ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }], "9000/udp": null },
  },
};

describe("toObservedContainer", () => {
  it("combines list and inspect: labels, state, health, restarts, ports, times", () => {
    expect(toObservedContainer(listItem, inspect)).toEqual({
      id: "c1",
      name: "s_web.3",
      service: "web",
      slot: 3,
      configHash: "v1:h",
      image: "web:1",
      state: "running",
      health: "healthy",
      createdAt: "2026-11-23T00:00:00.1Z",
      startedAt: "2026-11-23T00:00:01Z",
      restartCount: 2,
      ports: [
        { target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "tcp" },
        { target: 9000, protocol: "udp" },
      ],
    });
  });

  it("reads the image ID the container was created from (inspect .Image, else the list's ImageID)", () => {
    const id = `sha256:${"ab".repeat(32)}`;
    expect(toObservedContainer(listItem, { ...inspect, Image: id })?.imageId).toBe(id);
    expect(toObservedContainer({ ...listItem, ImageID: id })?.imageId).toBe(id);
    // Config.Image is the reference as written (a tag), never taken for the ID.
    expect(toObservedContainer(listItem, inspect)?.imageId).toBeUndefined();
  });

  it("reports exit code, finish time and error of an exited container", () => {
    const exited = toObservedContainer(listItem, {
      ...inspect,
      State: {
        Status: "exited",
        ExitCode: 137,
        Error: "",
        OOMKilled: true,
        StartedAt: "2026-11-23T00:00:01Z",
        FinishedAt: "2026-11-23T00:00:09Z",
        Health: null,
      },
    });
    expect(exited).toMatchObject({
      state: "exited",
      exitCode: 137,
      finishedAt: "2026-11-23T00:00:09Z",
      error: "OOM killed",
    });
    expect(exited).not.toHaveProperty("health");
  });

  it("reads Podman's own states as the Docker states they correspond to", () => {
    const as = (Status: string) =>
      toObservedContainer(listItem, { ...inspect, State: { ...inspect.State, Status } })?.state;
    expect(as("stopping")).toBe("running");
    expect(as("stopped")).toBe("exited");
    expect(as("initialized")).toBe("created");
    expect(as("configured")).toBe("created");
    expect(as("something-new")).toBe("dead");
  });

  it("works from the list entry alone", () => {
    expect(toObservedContainer(listItem)).toMatchObject({
      name: "s_web.3",
      image: "sha256:deadbeef",
      state: "running",
      restartCount: 0,
      createdAt: new Date(1_795_392_000_000).toISOString(),
      ports: [{ target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "tcp" }],
    });
  });

  it("skips containers without a service label and reads a bad slot as 0", () => {
    expect(toObservedContainer({ ...listItem, Labels: { "stack.name": "s" } })).toBeUndefined();
    expect(
      toObservedContainer({ ...listItem, Labels: { ...labels, "stack.slot": "x" } })?.slot,
    ).toBe(0);
    expect(
      toObservedContainer(
        { Id: "c9" },
        { Id: "c9", Config: { Labels: {} } },
        { requireService: false },
      ),
    ).toMatchObject({ id: "c9", service: "" });
  });
});

describe("networks and volumes", () => {
  it("read key and hash from labels", () => {
    expect(
      toObservedNetwork({
        Id: "n1",
        Name: "s_default",
        Labels: { "stack.network": "default", "stack.config-hash": "v1:n" },
      }),
    ).toEqual({
      id: "n1",
      name: "s_default",
      key: "default",
      configHash: "v1:n",
    });
    expect(toObservedVolume({ Name: "s_data", Labels: { "stack.volume": "data" } })).toEqual({
      name: "s_data",
      key: "data",
    });
  });
});

describe("summariseStacks", () => {
  it("groups by stack, counting services, containers and running ones, sorted by name", () => {
    const c = (stack: string, service: string, state: string): ContainerListItem => ({
      Id: `${stack}-${service}-${state}`,
      State: state,
      Labels: { "stack.name": stack, "stack.service": service },
    });
    expect(
      summariseStacks(
        [
          c("b", "web", "running"),
          c("b", "web", "exited"),
          c("b", "db", "running"),
          c("a", "x", "created"),
        ],
        [{ Id: "n", Name: "z_default", Labels: { "stack.name": "z" } }],
        [{ Name: "v", Labels: {} }],
      ),
    ).toEqual([
      { name: "a", services: 1, containers: 1, running: 0 },
      { name: "b", services: 2, containers: 3, running: 2 },
      { name: "z", services: 0, containers: 0, running: 0 },
    ]);
  });
});

describe("normaliseImageId", () => {
  it("gives one form, sha256:<64 lowercase hex>, or undefined for anything that is not an ID", () => {
    const hex = "0123456789abcdef".repeat(4);
    expect(normaliseImageId(`sha256:${hex}`)).toBe(`sha256:${hex}`);
    expect(normaliseImageId(hex.toUpperCase())).toBe(`sha256:${hex}`);
    for (const bad of [undefined, "", "web:1", "sha256:deadbeef", `sha512:${hex}`])
      expect(normaliseImageId(bad)).toBeUndefined();
  });
});
