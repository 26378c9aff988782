import { describe, expect, it } from "vitest";
import {
  fileObjectName,
  swarmServiceSpec,
  swarmUnsupportedSettings,
  withObjectIds,
} from "../../../../src/drivers/swarm/service-spec.js";
import type { StackSpec } from "../../../../src/model/types.js";
import { attach, serviceSpec, stackSpec } from "../docker/helpers/fixtures.js";

const objects = {
  secrets: { token: "demo_token-0123abcd" },
  configs: { conf: "demo_conf-89abcdef" },
};

function withObjects(spec: StackSpec): StackSpec {
  const obj = (key: string) => ({
    key,
    name: `demo_${key}`,
    external: false,
    labels: {},
    content: "x",
  });
  return { ...spec, secrets: { token: obj("token") }, configs: { conf: obj("conf") } };
}

describe("swarmServiceSpec", () => {
  const web = serviceSpec("web", {
    image: "app:1",
    entrypoint: ["/init"],
    command: ["serve", "--port", "80"],
    environment: { B: "2", A: "1", UNSET: null },
    networks: { ...attach("webnet"), back: { aliases: ["api"] } },
    ports: [
      { target: 80, published: 8080, protocol: "tcp", mode: "host" },
      { target: 53, protocol: "udp", mode: "ingress" },
    ],
    healthcheck: { test: ["CMD", "true"], intervalMs: 1000, retries: 3 },
    extraHosts: ["db:10.0.0.5"],
    secrets: [{ source: "token", target: "/run/secrets/token" }],
    configs: [{ source: "conf", target: "/etc/app.conf", mode: 0o440 }],
    deploy: {
      replicas: 5,
      endpointMode: "dnsrr",
      labels: { tier: "front" },
      resources: {
        limits: { nanoCpus: 100_000_000, memoryBytes: 52_428_800 },
        reservations: { memoryBytes: 1024 },
      },
      restartPolicy: { condition: "on-failure", delayMs: 5000, maxAttempts: 3 },
      updateConfig: {
        parallelism: 2,
        delayMs: 10_000,
        order: "start-first",
        failureAction: "rollback",
        monitorMs: 5000,
        maxFailureRatio: 0.5,
      },
      rollbackConfig: {
        parallelism: 0,
        delayMs: 0,
        order: "stop-first",
        failureAction: "rollback",
        monitorMs: 0,
        maxFailureRatio: 0,
      },
      placement: {
        constraints: ["node.role == worker"],
        preferences: [{ spread: "node.labels.zone" }],
        maxReplicasPerNode: 2,
      },
    },
  });
  const spec = withObjects(stackSpec({ services: [web], networks: { webnet: {}, back: {} } }));

  it("maps the stack file's service to swarm's service spec, as docker stack deploy would", () => {
    const { name, body, configHash } = swarmServiceSpec({
      spec,
      service: web,
      objects,
      stackVersion: "1.2.3",
    });
    expect(name).toBe("demo_web");
    expect(body.Labels).toEqual({
      tier: "front",
      "com.docker.stack.namespace": "demo",
      "stack.name": "demo",
      "stack.service": "web",
      "stack.config-hash": configHash,
      "stack.version": "1.2.3",
    });
    const c = body.TaskTemplate.ContainerSpec;
    expect(c).toMatchObject({
      Image: "app:1",
      Command: ["/init"],
      Args: ["serve", "--port", "80"],
      Env: ["A=1", "B=2"],
      Hosts: ["10.0.0.5 db"],
      Healthcheck: { Test: ["CMD", "true"], Interval: 1_000_000_000, Retries: 3 },
      Secrets: [
        {
          File: { Name: "token", UID: "0", GID: "0", Mode: 0o444 },
          SecretID: "",
          SecretName: "demo_token-0123abcd",
        },
      ],
      Configs: [
        {
          File: { Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 0o440 },
          ConfigID: "",
          ConfigName: "demo_conf-89abcdef",
        },
      ],
    });
    expect(c.Labels).toEqual({
      "com.docker.stack.namespace": "demo",
      "stack.config-hash": configHash,
    });
    expect(body.TaskTemplate.Resources).toEqual({
      Limits: { NanoCPUs: 100_000_000, MemoryBytes: 52_428_800 },
      Reservations: { MemoryBytes: 1024 },
    });
    expect(body.TaskTemplate.RestartPolicy).toEqual({
      Condition: "on-failure",
      Delay: 5_000_000_000,
      MaxAttempts: 3,
    });
    expect(body.TaskTemplate.Placement).toEqual({
      Constraints: ["node.role == worker"],
      Preferences: [{ Spread: { SpreadDescriptor: "node.labels.zone" } }],
      MaxReplicas: 2,
    });
    expect(body.TaskTemplate.Networks).toEqual([
      { Target: "demo_back", Aliases: ["web", "api"] },
      { Target: "demo_webnet", Aliases: ["web"] },
    ]);
    expect(body.Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(body.UpdateConfig).toEqual({
      Parallelism: 2,
      Delay: 10_000_000_000,
      FailureAction: "rollback",
      Monitor: 5_000_000_000,
      MaxFailureRatio: 0.5,
      Order: "start-first",
    });
    // A rollback cannot roll back: swarm accepts only pause/continue there.
    expect(body.RollbackConfig.FailureAction).toBe("pause");
    expect(body.EndpointSpec).toEqual({
      Mode: "dnsrr",
      Ports: [
        { Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "host" },
        { Protocol: "udp", TargetPort: 53, PublishMode: "ingress" },
      ],
    });
  });

  it("gives the same hash for the same input, ignores replicas and version, and changes with anything that shapes a task", () => {
    const hash = (s: typeof web, version = "1") =>
      swarmServiceSpec({ spec, service: s, objects, stackVersion: version }).configHash;
    expect(hash(web)).toBe(hash(web, "2"));
    expect(hash({ ...web, deploy: { ...web.deploy, replicas: 9 } })).toBe(hash(web));
    expect(hash({ ...web, environment: { A: "other" } })).not.toBe(hash(web));
    expect(hash({ ...web, image: "app:2" })).not.toBe(hash(web));
    // The image goes to the swarm as written: a pinned digest that changes is an update.
    const pinned = (hex: string) => ({ ...web, image: `app@sha256:${hex.repeat(64)}` });
    expect(
      swarmServiceSpec({ spec, service: pinned("a"), objects, stackVersion: "1" }).body,
    ).toMatchObject({ TaskTemplate: { ContainerSpec: { Image: `app@sha256:${"a".repeat(64)}` } } });
    expect(hash(pinned("a"))).not.toBe(hash(pinned("b")));
    const otherSecret = swarmServiceSpec({
      spec,
      service: web,
      objects: { ...objects, secrets: { token: "demo_token-ffffffff" } },
      stackVersion: "1",
    });
    expect(otherSecret.configHash).not.toBe(hash(web));
  });

  it("maps global mode", () => {
    const agent = serviceSpec("agent", { deploy: { mode: "global" } });
    const { body } = swarmServiceSpec({
      spec: stackSpec({ services: [agent] }),
      service: agent,
      objects,
      stackVersion: "1",
    });
    expect(body.Mode).toEqual({ Global: {} });
    expect(body.EndpointSpec).toEqual({ Mode: "vip" });
  });

  it("fills in secret and config IDs, and names a missing one", () => {
    const { body } = swarmServiceSpec({ spec, service: web, objects, stackVersion: "1" });
    const filled = withObjectIds(body, {
      secrets: new Map([["demo_token-0123abcd", "sid"]]),
      configs: new Map([["demo_conf-89abcdef", "cid"]]),
    });
    expect(filled.TaskTemplate.ContainerSpec.Secrets?.[0]?.SecretID).toBe("sid");
    expect(filled.TaskTemplate.ContainerSpec.Configs?.[0]?.ConfigID).toBe("cid");
    expect(body.TaskTemplate.ContainerSpec.Secrets?.[0]?.SecretID).toBe("");
    expect(() => withObjectIds(body, { secrets: new Map(), configs: new Map() })).toThrow(
      /secret demo_token-0123abcd does not exist/,
    );
  });
});

describe("fileObjectName", () => {
  it("names a secret by the first 8 hex digits of its content's SHA-256", () => {
    expect(fileObjectName("demo", "token", "abc")).toBe("demo_token-ba7816bf");
    expect(fileObjectName("demo", "token", "abd")).not.toBe(fileObjectName("demo", "token", "abc"));
  });
});

describe("swarmServiceSpec restart condition", () => {
  const condition = (spec: StackSpec, name: string) =>
    swarmServiceSpec({
      spec,
      service: spec.services[name]!,
      objects: { secrets: {}, configs: {} },
      stackVersion: "0",
    }).body.TaskTemplate.RestartPolicy.Condition;
  const defaulted = { restartPolicy: { condition: "none", defaulted: true } } as const;

  it("uses swarm's default any when the file gave no policy, like docker stack deploy", () => {
    const spec = stackSpec({
      services: [
        serviceSpec("web", { deploy: defaulted }),
        serviceSpec("off", { restart: "none" }),
        serviceSpec("retry", { restart: "on-failure" }),
      ],
    });
    expect(["web", "off", "retry"].map((n) => condition(spec, n))).toEqual([
      "any",
      "none",
      "on-failure",
    ]);
  });

  it("keeps none for a one-shot job others wait on, so it is not started again after exit 0", () => {
    const spec = stackSpec({
      services: [
        serviceSpec("migrate", { deploy: defaulted }),
        serviceSpec("app", {
          deploy: defaulted,
          dependsOn: { migrate: "service_completed_successfully" },
        }),
      ],
    });
    expect(condition(spec, "migrate")).toBe("none");
    expect(condition(spec, "app")).toBe("any");
  });
});

describe("swarmServiceSpec: newer compose settings", () => {
  const spec = (service: ReturnType<typeof serviceSpec>) =>
    swarmServiceSpec({
      spec: stackSpec({ services: [service] }),
      service,
      objects: { secrets: {}, configs: {} },
      stackVersion: "1",
    });

  it("maps dns_search and dns_opt, and job modes", () => {
    const base = serviceSpec("job", { dnsSearch: ["example.com"], dnsOptions: ["ndots:2"] });
    const job = {
      ...base,
      deploy: { ...base.deploy, mode: "replicated-job" as const, replicas: 3 },
    };
    const { body } = spec(job);
    expect(body.TaskTemplate.ContainerSpec.DNSConfig).toEqual({
      Search: ["example.com"],
      Options: ["ndots:2"],
    });
    expect(body.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 3, TotalCompletions: 3 } });
    const global = { ...base, deploy: { ...base.deploy, mode: "global-job" as const } };
    expect(spec(global).body.Mode).toEqual({ GlobalJob: {} });
  });

  it("refuses a host port range to one container port, naming swarm", () => {
    const web = serviceSpec("web", {
      ports: [
        { target: 80, published: 6005, publishedEnd: 6015, protocol: "tcp", mode: "ingress" },
      ],
    });
    expect(() => spec(web)).toThrow(/swarm cannot publish a host port range/);
  });

  it("names every setting swarm services cannot carry", () => {
    const web = serviceSpec("web", {
      devices: [{ source: "/dev/null", target: "/dev/null", permissions: "rwm" }],
      ipc: "host",
      annotations: { a: "1" },
      postStart: [{ command: ["true"], environment: {} }],
    });
    expect(swarmUnsupportedSettings(web)).toEqual([
      "devices is not supported by swarm services and is ignored on swarm",
      "ipc is not supported by swarm services and is ignored on swarm",
      "annotations is not supported by swarm services and is ignored on swarm",
      "post_start hooks are not run on swarm yet",
    ]);
    expect(swarmUnsupportedSettings(serviceSpec("plain"))).toEqual([]);
  });
});
