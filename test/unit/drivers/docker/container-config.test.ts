import { describe, expect, it } from "vitest";
import {
  containerCreatePlan,
  exposeKeys,
  healthcheckTest,
} from "../../../../src/drivers/docker/container-config.js";
import type { ContainerConfigInput } from "../../../../src/drivers/docker/container-config.js";
import type { ServiceSpec, StackSpec } from "../../../../src/model/types.js";
import {
  buildNetwork,
  buildService,
  buildStack,
  buildVolume,
} from "../../../integration/docker/helpers.js";

function plan(service: ServiceSpec, stack?: StackSpec, extra: Partial<ContainerConfigInput> = {}) {
  const spec = stack ?? buildStack("s", [service], { volumes: [buildVolume("s", "data")] });
  return containerCreatePlan({
    spec,
    service,
    slot: 2,
    name: "s_web.2",
    configHash: "v1:abc",
    stackVersion: "1.2.3",
    ...extra,
  });
}

const deploy = buildService("x").deploy;

describe("containerCreatePlan", () => {
  it("labels the container with the user's labels and ours, ours winning", () => {
    const { body, name } = plan(buildService("web", { labels: { team: "a", "stack.slot": "99" } }));
    expect(name).toBe("s_web.2");
    expect(body.Labels).toEqual({
      team: "a",
      "stack.name": "s",
      "stack.service": "web",
      "stack.slot": "2",
      "stack.config-hash": "v1:abc",
      "stack.version": "1.2.3",
      "stack.role": "replica",
    });
  });

  it("maps image, command, entrypoint, env (unset values omitted), workdir and user", () => {
    const { body } = plan(
      buildService("web", {
        image: "img:1",
        command: ["python", "app.py"],
        entrypoint: ["/init"],
        environment: { B: "2", A: "x=y", MISSING: null },
        workingDir: "/app",
        user: "nobody",
      }),
    );
    expect(body).toMatchObject({
      Image: "img:1",
      Cmd: ["python", "app.py"],
      Entrypoint: ["/init"],
      Env: ["A=x=y", "B=2"],
      WorkingDir: "/app",
      User: "nobody",
    });
  });

  it("leaves Hostname unset by default so replicas differ, and keeps an explicit one", () => {
    expect(plan(buildService("web")).body.Hostname).toBeUndefined();
    expect(plan(buildService("web", { hostname: "h1" })).body.Hostname).toBe("h1");
  });

  it("leaves Cmd and Entrypoint unset when the spec keeps the image's", () => {
    const { body } = plan(buildService("web"));
    expect(body).not.toHaveProperty("Cmd");
    expect(body).not.toHaveProperty("Entrypoint");
  });

  it("maps cpus and memory limits in engine units", () => {
    const { body } = plan(
      buildService("web", {
        deploy: {
          ...deploy,
          resources: {
            limits: { nanoCpus: 100_000_000, memoryBytes: 52_428_800, pids: 100 },
            reservations: { memoryBytes: 20_971_520, nanoCpus: 50_000_000 },
          },
        },
      }),
    );
    expect(body.HostConfig).toMatchObject({
      NanoCpus: 100_000_000,
      Memory: 52_428_800,
      PidsLimit: 100,
      MemoryReservation: 20_971_520,
    });
    // CPU reservations have no container equivalent.
    expect(body.HostConfig).not.toHaveProperty("CpuShares");
  });

  it.each([
    [{ condition: "none" }, { Name: "no" }],
    [
      { condition: "on-failure", maxAttempts: 3 },
      { Name: "on-failure", MaximumRetryCount: 3 },
    ],
    [{ condition: "on-failure" }, { Name: "on-failure", MaximumRetryCount: 0 }],
    [{ condition: "any", delayMs: 5000 }, { Name: "always" }],
  ] as const)("maps restart policy %j to %j", (restartPolicy, expected) => {
    expect(
      plan(buildService("web", { deploy: { ...deploy, restartPolicy } })).body.HostConfig
        .RestartPolicy,
    ).toEqual(expected);
  });

  it("maps healthcheck durations to nanoseconds and drops StartInterval before API 1.44", () => {
    const service = buildService("web", {
      healthcheck: {
        test: ["CMD-SHELL", "wget -q -O- localhost"],
        intervalMs: 30_000,
        timeoutMs: 10_000,
        startPeriodMs: 1_500,
        startIntervalMs: 2_000,
        retries: 3,
      },
    });
    expect(plan(service).body.Healthcheck).toEqual({
      Test: ["CMD-SHELL", "wget -q -O- localhost"],
      Interval: 30_000_000_000,
      Timeout: 10_000_000_000,
      StartPeriod: 1_500_000_000,
      Retries: 3,
    });
    expect(plan(service, undefined, { apiVersion: "1.44" }).body.Healthcheck?.StartInterval).toBe(
      2_000_000_000,
    );
  });

  it("sends a CMD healthcheck with spaced arguments to Podman as a quoted CMD-SHELL", () => {
    const test = ["CMD", "python3", "-c", "import sys; sys.exit(0 if 'x' else 1)"];
    const service = buildService("web", { healthcheck: { test, retries: 3 } });
    expect(plan(service).body.Healthcheck?.Test).toEqual(test);
    expect(plan(service, undefined, { engine: "podman" }).body.Healthcheck?.Test).toEqual([
      "CMD-SHELL",
      `python3 -c 'import sys; sys.exit(0 if '\\''x'\\'' else 1)'`,
    ]);
  });

  it("leaves every other healthcheck form as it is, on any engine", () => {
    for (const test of [
      ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"],
      ["CMD-SHELL", "wget -q -O- localhost || exit 1"],
      ["NONE"],
    ]) {
      expect(healthcheckTest(test, "podman")).toEqual(test);
      expect(healthcheckTest(test, "docker")).toEqual(test);
    }
    expect(healthcheckTest(["CMD", "sh", "-c", "exit 1", ""], "podman")).toEqual([
      "CMD-SHELL",
      "sh -c 'exit 1' ''",
    ]);
  });

  it("disables an image healthcheck with NONE", () => {
    expect(plan(buildService("web", { healthcheck: { disable: true } })).body.Healthcheck).toEqual({
      Test: ["NONE"],
    });
  });

  it("publishes ports with host ip, fixed or ephemeral host port and protocol", () => {
    const { body } = plan(
      buildService("web", {
        ports: [
          { target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "tcp", mode: "ingress" },
          { target: 80, published: 8081, protocol: "tcp", mode: "ingress" },
          { target: 53, protocol: "udp", mode: "host" },
        ],
        expose: ["9000-9001", "7000/udp"],
      }),
    );
    expect(body.ExposedPorts).toEqual({
      "80/tcp": {},
      "53/udp": {},
      "9000/tcp": {},
      "9001/tcp": {},
      "7000/udp": {},
    });
    expect(body.HostConfig.PortBindings).toEqual({
      "80/tcp": [
        { HostIp: "127.0.0.1", HostPort: "8080" },
        { HostIp: "", HostPort: "8081" },
      ],
      "53/udp": [{ HostIp: "", HostPort: "" }],
    });
  });

  it("attaches the first network at create and the others after, with the service name as alias everywhere", () => {
    const service = buildService("web", {
      networks: { front: { aliases: ["www"] }, back: { aliases: [], ipv4Address: "10.5.0.9" } },
    });
    const stack = buildStack("s", [service], {
      networks: [buildNetwork("s", "front"), buildNetwork("s", "back", { name: "shared-back" })],
    });
    const result = plan(service, stack);
    expect(result.body.HostConfig.NetworkMode).toBe("shared-back");
    expect(result.body.NetworkingConfig).toEqual({
      EndpointsConfig: {
        "shared-back": { Aliases: ["web"], IPAMConfig: { IPv4Address: "10.5.0.9" } },
      },
    });
    expect(result.connectAfterCreate).toEqual([
      { network: "s_front", endpoint: { Aliases: ["web", "www"] } },
    ]);
  });

  it("uses network_mode instead of networks, resolving service:NAME to its first replica", () => {
    const host = plan(buildService("web", { networkMode: "host" }));
    expect(host.body.HostConfig.NetworkMode).toBe("host");
    expect(host.body).not.toHaveProperty("NetworkingConfig");
    expect(host.connectAfterCreate).toEqual([]);
    expect(
      plan(buildService("web", { networkMode: "service:db" })).body.HostConfig.NetworkMode,
    ).toBe("container:s_db.1");
  });

  it("maps named, anonymous, bind and tmpfs mounts", () => {
    const { body } = plan(
      buildService("web", {
        mounts: [
          { type: "volume", source: "data", target: "/data", readOnly: false, noCopy: true },
          { type: "volume", target: "/cache", readOnly: false },
          {
            type: "bind",
            source: "/srv/conf",
            target: "/conf",
            readOnly: true,
            createHostPath: false,
          },
          {
            type: "bind",
            source: "/srv/new",
            target: "/new",
            readOnly: true,
            createHostPath: true,
          },
          { type: "tmpfs", target: "/run", readOnly: false, tmpfsSize: 1024, tmpfsMode: 0o1777 },
        ],
      }),
    );
    expect(body.HostConfig.Mounts).toEqual([
      {
        Type: "volume",
        Source: "s_data",
        Target: "/data",
        ReadOnly: false,
        VolumeOptions: { NoCopy: true },
      },
      { Type: "volume", Source: "", Target: "/cache", ReadOnly: false },
      { Type: "bind", Source: "/srv/conf", Target: "/conf", ReadOnly: true },
      {
        Type: "tmpfs",
        Source: "",
        Target: "/run",
        ReadOnly: false,
        TmpfsOptions: { SizeBytes: 1024, Mode: 0o1777 },
      },
    ]);
    // Binds create a missing host directory, as Compose does for short syntax.
    expect(body.HostConfig.Binds).toEqual(["/srv/new:/new:ro"]);
  });

  it("rejects a volume that is not declared", () => {
    expect(() =>
      plan(
        buildService("web", {
          mounts: [{ type: "volume", source: "nope", target: "/x", readOnly: false }],
        }),
      ),
    ).toThrow(/service web: volume "nope" is not declared/);
  });

  it("puts no secret in a mount, the env or a label; read-only roots get a volume to hold them", () => {
    const service = buildService("web", { secrets: [{ source: "pw", target: "/run/secrets/pw" }] });
    const base = buildStack("s", [service]);
    const withFile: StackSpec = {
      ...base,
      secrets: {
        pw: { key: "pw", name: "s_pw", external: false, file: "/abs/pw.txt", labels: {} },
      },
    };
    const body = plan(service, withFile).body;
    expect(body.HostConfig.Mounts).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain("pw.txt");
    const readOnly = { ...service, readOnly: true };
    expect(plan(readOnly, withFile).body.HostConfig.Mounts).toEqual([
      { Type: "volume", Source: "", Target: "/run/secrets", ReadOnly: false },
    ]);
    const external: StackSpec = {
      ...base,
      secrets: { pw: { key: "pw", name: "pw", external: true, labels: {} } },
    };
    expect(() => plan(service, external)).toThrow(/secret "pw" is external/);
  });

  it("maps the remaining host settings", () => {
    const { body } = plan(
      buildService("web", {
        init: true,
        stopGracePeriodMs: 1500,
        stopSignal: "SIGINT",
        privileged: true,
        pid: "host",
        readOnly: true,
        tty: true,
        stdinOpen: true,
        extraHosts: ["db=10.0.0.2", "cache:10.0.0.3"],
        dns: ["1.1.1.1"],
        capAdd: ["NET_ADMIN"],
        capDrop: ["ALL"],
        ulimits: { nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 1024, hard: 2048 } },
        sysctls: { "net.core.somaxconn": "1024" },
        shmSize: 67_108_864,
        logging: { driver: "json-file", options: { "max-size": "10m" } },
      }),
    );
    expect(body).toMatchObject({
      StopTimeout: 2,
      StopSignal: "SIGINT",
      Tty: true,
      OpenStdin: true,
    });
    expect(body.HostConfig).toMatchObject({
      Init: true,
      Privileged: true,
      PidMode: "host",
      ReadonlyRootfs: true,
      ExtraHosts: ["db:10.0.0.2", "cache:10.0.0.3"],
      Dns: ["1.1.1.1"],
      CapAdd: ["NET_ADMIN"],
      CapDrop: ["ALL"],
      Ulimits: [
        { Name: "nofile", Soft: 1024, Hard: 2048 },
        { Name: "nproc", Soft: 65535, Hard: 65535 },
      ],
      Sysctls: { "net.core.somaxconn": "1024" },
      ShmSize: 67_108_864,
      LogConfig: { Type: "json-file", Config: { "max-size": "10m" } },
    });
  });

  it("uses container_name for the slot name but keeps a replacement name", () => {
    const service = buildService("web", { containerName: "my-web" });
    expect(
      containerCreatePlan({
        spec: buildStack("s", [service]),
        service,
        slot: 1,
        name: "s_web.1",
        configHash: "h",
        stackVersion: "1",
      }).name,
    ).toBe("my-web");
    expect(
      containerCreatePlan({
        spec: buildStack("s", [service]),
        service,
        slot: 1,
        name: "s_web.1.abcdef12",
        configHash: "h",
        stackVersion: "1",
      }).name,
    ).toBe("s_web.1.abcdef12");
  });

  it("is deterministic: the same input gives the same body", () => {
    const service = buildService("web", {
      environment: { Z: "1", A: "2" },
      labels: { b: "1", a: "2" },
    });
    expect(JSON.stringify(plan(service))).toBe(JSON.stringify(plan(service)));
  });
});

describe("exposeKeys", () => {
  it("expands ranges and keeps protocols, skipping garbage", () => {
    expect(exposeKeys(["80", "8000-8002/udp", "x", "5-1"])).toEqual([
      "80/tcp",
      "8000/udp",
      "8001/udp",
      "8002/udp",
    ]);
  });
});

describe("containerCreatePlan: settings compose passes through to the engine", () => {
  const rich = buildService("web", {
    devices: [{ source: "/dev/null", target: "/dev/mynull", permissions: "r" }],
    deviceCgroupRules: ["c 1:3 mr"],
    gpus: [{ capabilities: ["gpu"], count: -1 }],
    deploy: {
      ...deploy,
      resources: {
        limits: {},
        reservations: { devices: [{ capabilities: ["tpu"], driver: "x", deviceIds: ["0"] }] },
      },
      restartPolicy: { condition: "any", unlessStopped: true },
    },
    securityOpt: ["no-new-privileges:true"],
    cgroupParent: "stack.slice",
    dnsSearch: ["example.com"],
    dnsOptions: ["ndots:2"],
    domainname: "example.com",
    ipc: "shareable",
    uts: "host",
    macAddress: "02:42:ac:11:00:02",
    storageOpt: { size: "1G" },
    annotations: { "com.example.a": "1" },
    ports: [{ target: 80, published: 6005, publishedEnd: 6015, protocol: "tcp", mode: "ingress" }],
  });

  it("maps each to its HostConfig field", () => {
    const { body } = plan(rich);
    expect(body.Domainname).toBe("example.com");
    expect(body.MacAddress).toBe("02:42:ac:11:00:02");
    expect(body.HostConfig).toMatchObject({
      Devices: [
        { PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "r" },
      ],
      DeviceCgroupRules: ["c 1:3 mr"],
      DeviceRequests: [
        { Driver: "", Count: -1, DeviceIDs: [], Capabilities: [["gpu"]], Options: {} },
        { Driver: "x", Count: 0, DeviceIDs: ["0"], Capabilities: [["tpu"]], Options: {} },
      ],
      SecurityOpt: ["no-new-privileges:true"],
      CgroupParent: "stack.slice",
      DnsSearch: ["example.com"],
      DnsOptions: ["ndots:2"],
      IpcMode: "shareable",
      UTSMode: "host",
      StorageOpt: { size: "1G" },
      RestartPolicy: { Name: "unless-stopped" },
      PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "6005-6015" }] },
    });
    // Annotations need API 1.43; dockerd 20.10 speaks 1.41.
    expect(body.HostConfig.Annotations).toBeUndefined();
    expect(plan(rich, undefined, { apiVersion: "1.43" }).body.HostConfig.Annotations).toEqual({
      "com.example.a": "1",
    });
  });

  it("sets the MAC address on the first endpoint from API 1.44", () => {
    const { body } = plan(rich, undefined, { apiVersion: "1.45" });
    expect(body.MacAddress).toBeUndefined();
    const endpoints = Object.values(body.NetworkingConfig?.EndpointsConfig ?? {});
    expect(endpoints[0]?.MacAddress).toBe("02:42:ac:11:00:02");
  });

  it("sets none of them for a service that does not use them", () => {
    const { body } = plan(buildService("web"));
    for (const key of [
      "Devices",
      "DeviceRequests",
      "SecurityOpt",
      "CgroupParent",
      "IpcMode",
      "UTSMode",
    ])
      expect(body.HostConfig).not.toHaveProperty(key);
    expect(body).not.toHaveProperty("Domainname");
  });
});
