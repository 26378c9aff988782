import { describe, expect, it } from "vitest";
import type { ObservedContainer } from "../../../src/core/replica.js";
import { formatPort, replicaRows, serviceRows } from "../../../src/core/views.js";

function container(overrides: Partial<ObservedContainer>): ObservedContainer {
  return {
    id: "id",
    name: "s_web.1",
    service: "web",
    slot: 1,
    configHash: "h",
    image: "img",
    state: "running",
    createdAt: "2024-01-01T00:00:00Z",
    restartCount: 0,
    ports: [],
    ...overrides,
  };
}

describe("replica and service rows", () => {
  it("keep ports structured (target, published, hostIp, protocol), once each, for --format json", () => {
    const ports = [
      { target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "tcp" as const },
      { target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "tcp" as const },
      { target: 53, protocol: "udp" as const },
    ];
    const [row] = replicaRows([container({ ports })]);
    expect(row?.ports).toEqual([
      { target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "tcp" },
      { target: 53, protocol: "udp" },
    ]);
    expect(row?.ports.map(formatPort)).toEqual(["127.0.0.1:8080->80/tcp", "53/udp"]);
    expect(serviceRows([container({ ports })])[0]?.ports).toHaveLength(2);
  });

  it("mark one-off containers of stack run", () => {
    const rows = replicaRows([
      container({}),
      container({ name: "s_web_run_1", slot: 0, role: "run" }),
    ]);
    expect(rows.map((r) => r.role)).toEqual(["run", undefined]);
  });
});
