import { describe, expect, it } from "vitest";
import { replicaSummary } from "../../../../src/drivers/docker-api/replica-summary.js";

describe("replicaSummary", () => {
  const summary = replicaSummary({
    Config: {
      Image: "stack-test/busybox:latest",
      Entrypoint: ["docker-entrypoint.sh"],
      Cmd: ["httpd", "-f"],
      Env: ["PATH=/usr/bin", "DB_PASSWORD=hunter2", "NAME=world", "EMPTY="],
    },
    Mounts: [
      {
        Type: "volume",
        Name: "app_data",
        Source: "/var/lib/docker/volumes/app_data/_data",
        Destination: "/data",
        RW: true,
      },
      {
        Type: "bind",
        Source: "/run/secrets/app_token",
        Destination: "/run/secrets/token",
        RW: false,
      },
    ],
    NetworkSettings: {
      Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "4000" }], "9000/udp": null },
    },
    HostConfig: { Memory: 50 * 1024 * 1024, NanoCpus: 500_000_000, PidsLimit: 100 },
    State: {
      Health: { Log: [{ End: "2026-01-01T00:00:01.123Z", ExitCode: 0, Output: "ok\n" }] },
    },
  });

  it("lists environment names, sorted, and never a value", () => {
    expect(summary.envNames).toEqual(["DB_PASSWORD", "EMPTY", "NAME", "PATH"]);
    expect(JSON.stringify(summary)).not.toContain("hunter2");
    expect(JSON.stringify(summary)).not.toContain("world");
  });

  it("reads image, command, mounts, ports, limits and the health log", () => {
    expect(summary).toMatchObject({
      image: "stack-test/busybox:latest",
      command: ["docker-entrypoint.sh", "httpd", "-f"],
      mounts: [
        "volume app_data -> /data",
        "bind /run/secrets/app_token -> /run/secrets/token (ro)",
      ],
      ports: ["4000->80/tcp", "9000/udp"],
      limits: ["memory 50.0MiB", "cpus 0.5", "pids 100"],
      health: [{ end: "2026-01-01T00:00:01.123Z", exitCode: 0, output: "ok" }],
    });
  });

  it("is empty, not broken, for a bare inspect", () => {
    expect(replicaSummary({})).toEqual({
      image: "",
      command: [],
      envNames: [],
      mounts: [],
      ports: [],
      limits: [],
      health: [],
    });
  });
});
