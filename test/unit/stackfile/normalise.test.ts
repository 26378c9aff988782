import { describe, expect, it } from "vitest";
import { DEFAULT_UPDATE_CONFIG } from "../../../src/stackfile/normalise.js";
import { normaliseYaml } from "./normalise-fixture.js";

const FULL = `
services:
  web:
    image: nginx:1.27
    command: nginx -g 'daemon off;'
    entrypoint: ["/docker-entrypoint.sh"]
    working_dir: /srv
    user: "1000"
    hostname: web
    labels: { b: "2", a: "1" }
    init: true
    stop_grace_period: 1m
    stop_signal: SIGQUIT
    ports: ["8080:80"]
    volumes: ["static:/srv/static:ro"]
    tmpfs: /run
    environment: { Z: last, A: first }
    logging:
      driver: json-file
      options: { max-size: 10m }
    secrets: [token, { source: cert, target: tls.pem, mode: 0440 }]
    configs: [site]
    privileged: false
    read_only: true
    tty: true
    stdin_open: false
    extra_hosts: ["somehost=162.242.195.82", "otherhost:50.31.209.229"]
    dns: 8.8.8.8
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    ulimits: { nproc: 65535, nofile: { soft: 20000, hard: 40000 } }
    sysctls: ["net.core.somaxconn=1024"]
    shm_size: 64m
    expose: [3000, "4000-4001"]
    security_opt: [no-new-privileges]
    platform: linux/amd64
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      labels: [tier=front]
      resources:
        limits: { cpus: "0.5", memory: 1gb, pids: 100 }
        reservations: { cpus: 0.25, memory: 512k, devices: [] }
      update_config: { parallelism: 2, delay: 10s, order: start-first, failure_action: rollback, monitor: 1m, max_failure_ratio: 0.2 }
      placement:
        constraints: [node.role == manager]
        preferences: [{ spread: node.labels.zone }]
        max_replicas_per_node: 2
  builder:
    build:
      context: ./app
      args: [VERSION=1, FROM_ENV, NOT_SET]
      target: prod
  legacy:
    image: busybox
    mem_limit: 50M
    cpus: 0.1
    pids_limit: 10
    mem_reservation: 10m
    scale: 2
  dev:
    image: busybox
    profiles: [debug]
networks:
  custom:
    name: exact-name
  outside:
    external: true
  olderext:
    external: { name: legacy-net }
volumes:
  static:
  shared:
    external: true
    name: the-shared
secrets:
  token: { file: ./token.txt }
  cert: { environment: CERT }
configs:
  site: { content: "hello" }
`;

describe("normalise", () => {
  const result = normaliseYaml(FULL, { environment: { FROM_ENV: "yes" } }, "demo");
  const { spec } = result;

  it("reports no issues for a valid document", () => {
    expect(result.issues).toEqual([]);
  });

  it("maps every service field", () => {
    const web = spec.services["web"];
    expect(web).toMatchObject({
      name: "web",
      image: "nginx:1.27",
      command: ["nginx", "-g", "daemon off;"],
      entrypoint: ["/docker-entrypoint.sh"],
      environment: { A: "first", Z: "last" },
      workingDir: "/srv",
      user: "1000",
      hostname: "web",
      labels: { a: "1", b: "2" },
      init: true,
      stopGracePeriodMs: 60_000,
      stopSignal: "SIGQUIT",
      ports: [{ target: 80, published: 8080, protocol: "tcp", mode: "ingress" }],
      networks: { default: { aliases: [] } },
      links: [],
      mounts: [
        { type: "volume", source: "static", target: "/srv/static", readOnly: true },
        { type: "tmpfs", target: "/run", readOnly: false },
      ],
      dependsOn: {},
      logging: { driver: "json-file", options: { "max-size": "10m" } },
      secrets: [
        { source: "token", target: "/run/secrets/token" },
        { source: "cert", target: "/run/secrets/tls.pem", mode: 440 },
      ],
      configs: [{ source: "site", target: "/site" }],
      privileged: false,
      readOnly: true,
      tty: true,
      stdinOpen: false,
      extraHosts: ["somehost:162.242.195.82", "otherhost:50.31.209.229"],
      dns: ["8.8.8.8"],
      capAdd: ["NET_ADMIN"],
      capDrop: ["ALL"],
      ulimits: { nofile: { soft: 20000, hard: 40000 }, nproc: { soft: 65535, hard: 65535 } },
      sysctls: { "net.core.somaxconn": "1024" },
      shmSize: 64 * 1024 * 1024,
      expose: ["3000", "4000-4001"],
      profiles: [],
    });
    expect(Object.keys(web?.labels ?? {})).toEqual(["a", "b"]);
    expect(web?.healthcheck).toBeUndefined();
  });

  it("lists compose keys it does not act on, including sub-keys, but not the legacy keys it honours", () => {
    expect(spec.services["web"]?.ignoredKeys).toEqual(["platform"]);
  });

  it("normalises deploy with swarm defaults filled in", () => {
    expect(spec.services["web"]?.deploy).toEqual({
      mode: "replicated",
      replicas: 3,
      endpointMode: "dnsrr",
      labels: { tier: "front" },
      resources: {
        limits: { nanoCpus: 500_000_000, memoryBytes: 1073741824, pids: 100 },
        reservations: { nanoCpus: 250_000_000, memoryBytes: 524288 },
      },
      restartPolicy: { condition: "none", defaulted: true },
      updateConfig: {
        parallelism: 2,
        delayMs: 10_000,
        order: "start-first",
        failureAction: "rollback",
        monitorMs: 60_000,
        maxFailureRatio: 0.2,
      },
      rollbackConfig: DEFAULT_UPDATE_CONFIG,
      placement: {
        constraints: ["node.role == manager"],
        preferences: [{ spread: "node.labels.zone" }],
        maxReplicasPerNode: 2,
      },
    });
    expect(DEFAULT_UPDATE_CONFIG).toEqual({
      parallelism: 1,
      delayMs: 0,
      order: "stop-first",
      failureAction: "pause",
      monitorMs: 5000,
      maxFailureRatio: 0,
    });
  });

  it("uses legacy resource keys and scale when deploy does not set them", () => {
    expect(spec.services["legacy"]?.deploy.resources).toEqual({
      limits: { nanoCpus: 100_000_000, memoryBytes: 52428800, pids: 10 },
      reservations: { memoryBytes: 10 * 1024 * 1024 },
    });
    expect(spec.services["legacy"]?.deploy.replicas).toBe(2);
    expect(spec.services["legacy"]?.ignoredKeys).toEqual([]);
  });

  it("names a build-only image <stack>-<service> and resolves the build context and args", () => {
    expect(spec.services["builder"]?.image).toBe("demo-builder");
    expect(spec.services["builder"]?.build).toEqual({
      context: "/project/app",
      dockerfile: "Dockerfile",
      args: { FROM_ENV: "yes", VERSION: "1" },
      target: "prod",
      labels: {},
    });
  });

  it("leaves out services with profiles and says so", () => {
    expect(Object.keys(spec.services)).toEqual(["builder", "legacy", "web"]);
    expect(result.inactiveServices.get("dev")).toEqual(["debug"]);
    expect(result.warnings).toContainEqual(
      expect.objectContaining({
        path: "services.dev",
        message: expect.stringContaining("profiles [debug]"),
      }),
    );
  });

  it("names top-level objects <stack>_<key> unless name: or external", () => {
    expect(spec.networks).toEqual({
      custom: { key: "custom", name: "exact-name", external: false, driverOpts: {}, labels: {} },
      default: {
        key: "default",
        name: "demo_default",
        external: false,
        driverOpts: {},
        labels: {},
      },
      olderext: { key: "olderext", name: "legacy-net", external: true, driverOpts: {}, labels: {} },
      outside: { key: "outside", name: "outside", external: true, driverOpts: {}, labels: {} },
    });
    expect(spec.volumes).toEqual({
      shared: { key: "shared", name: "the-shared", external: true, driverOpts: {}, labels: {} },
      static: { key: "static", name: "demo_static", external: false, driverOpts: {}, labels: {} },
    });
    expect(spec.secrets["token"]).toEqual({
      key: "token",
      name: "demo_token",
      external: false,
      file: "/project/token.txt",
      labels: {},
    });
    expect(spec.secrets["cert"]?.environment).toBe("CERT");
    expect(spec.configs["site"]?.content).toBe("hello");
  });

  it("records files and working dir, sorts every record and freezes the whole tree", () => {
    expect(spec.files).toEqual(["/project/stack.yml"]);
    expect(spec.workingDir).toBe("/project");
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.services["web"]?.deploy.resources.limits)).toBe(true);
    expect(Object.isFrozen(spec.services["web"]?.ports[0])).toBe(true);
    expect(() => {
      (spec.services["web"]?.environment as Record<string, string>)["NEW"] = "x";
    }).toThrow(TypeError);
    expect(Object.keys(spec.networks)).toEqual(["custom", "default", "olderext", "outside"]);
  });

  it("creates no default network when no service uses it", () => {
    const { spec: s } = normaliseYaml(
      "services:\n  a:\n    image: x\n    networks: [n]\nnetworks:\n  n:\n",
    );
    expect(Object.keys(s.networks)).toEqual(["n"]);
  });

  it("uses a declared default network with its own settings", () => {
    const { spec: s } = normaliseYaml(
      "services:\n  a:\n    image: x\nnetworks:\n  default:\n    name: shared-default\n",
    );
    expect(s.networks["default"]?.name).toBe("shared-default");
  });

  it("gives a global service one replica and a restart: always service condition any", () => {
    const { spec: s } = normaliseYaml(
      "services:\n  agent:\n    image: x\n    restart: always\n    deploy: { mode: global }\n",
    );
    expect(s.services["agent"]?.deploy).toMatchObject({
      mode: "global",
      replicas: 1,
      restartPolicy: { condition: "any" },
    });
  });

  it("collects every problem, located", () => {
    const { issues } = normaliseYaml(
      [
        "services:",
        "  a:",
        "    image: x",
        "    ports: ['1-3:1-2']",
        "    stop_grace_period: 10",
        "    deploy:",
        "      resources:",
        "        limits: { memory: lots }",
        "  b:",
        "    command: ['x']",
        "",
      ].join("\n"),
    );
    expect(issues.map((i) => `${i.pos?.line}:${i.pos?.col} ${i.path}`)).toEqual([
      "4:13 services.a.ports[0]",
      "5:24 services.a.stop_grace_period",
      "8:27 services.a.deploy.resources.limits.memory",
      "9:3 services.b",
    ]);
  });
});
