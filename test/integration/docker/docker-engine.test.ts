import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../../src/drivers/docker/docker-engine.js";
import { EngineError } from "../../../src/core/errors.js";
import { containerName } from "../../../src/model/naming.js";
import { serviceConfigHash, networkConfigHash } from "../../../src/model/config-hash.js";
import type { EngineEvent } from "../../../src/core/driver.js";
import { decodeLogStream } from "../../../src/drivers/docker-api/logs.js";
import { familiarImageName } from "../../../src/model/image-name.js";
import {
  buildNetwork,
  buildService,
  buildStack,
  buildVolume,
  cleanupStack,
  rawDocker,
  requireEngine,
  TEST_IMAGE,
  uniqueStackName,
  waitFor,
} from "./helpers.js";

const engine = await requireEngine();
const docker = rawDocker();

describe.skipIf(engine === undefined)("DockerEngine against a real engine", () => {
  const e = engine as DockerEngine;
  const stack = uniqueStackName("engine");
  const net = buildNetwork(stack, "default");
  const vol = buildVolume(stack, "data");
  const web = buildService("web", {
    command: [
      "sh",
      "-c",
      "echo hello-from-web; echo oops >&2; mkdir -p /www && echo ok > /www/index.html; exec httpd -f -p 8080 -h /www",
    ],
    networks: { default: { aliases: ["frontend"] } },
    mounts: [{ type: "volume", source: "data", target: "/data", readOnly: false }],
    healthcheck: {
      test: ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"],
      intervalMs: 1000,
      timeoutMs: 2000,
      retries: 3,
    },
    deploy: {
      ...buildService("x").deploy,
      resources: { limits: { nanoCpus: 100_000_000, memoryBytes: 52_428_800 }, reservations: {} },
      restartPolicy: { condition: "on-failure", maxAttempts: 3 },
    },
    stopGracePeriodMs: 1000,
  });
  const spec = buildStack(stack, [web], { networks: [net], volumes: [vol] });
  const hash = serviceConfigHash(web);
  const name = containerName(stack, "web", 1);
  let id = "";

  beforeAll(async () => {
    await e.createNetwork(stack, net, networkConfigHash(net));
    await e.createVolume(stack, vol);
    id = await e.createContainer({ spec, service: web, slot: 1, name, configHash: hash });
    await e.startContainer(id);
  });

  afterAll(async () => {
    await cleanupStack(stack);
  });

  it("observes the running replica with its labels, slot, hash and health", async () => {
    const healthy = await waitFor(
      async () => {
        const observed = await e.observe(stack, { images: [TEST_IMAGE, "stack-test/nope:1"] });
        const c = observed.containers[0];
        return c?.health === "healthy" ? observed : undefined;
      },
      { what: "web.1 healthy" },
    );
    expect(healthy.containers).toHaveLength(1);
    expect(healthy.containers[0]).toMatchObject({
      id,
      name,
      service: "web",
      slot: 1,
      configHash: hash,
      state: "running",
      restartCount: 0,
    });
    // Podman reports the image it loaded as localhost/NAME; ps shows the name asked for.
    expect(familiarImageName(healthy.containers[0]?.image ?? "")).toBe(TEST_IMAGE);
    expect(healthy.containers[0]?.startedAt).toMatch(/^\d{4}-/);
    expect(healthy.networks).toEqual([
      {
        id: expect.any(String),
        name: net.name,
        key: "default",
        configHash: networkConfigHash(net),
      },
    ]);
    expect(healthy.volumes).toEqual([{ name: vol.name, key: "data" }]);
    expect(healthy.presentImages).toEqual([TEST_IMAGE]);

    const labels = (await docker.getContainer(id).inspect()).Config.Labels;
    expect(labels).toMatchObject({
      "stack.name": stack,
      "stack.service": "web",
      "stack.slot": "1",
      "stack.config-hash": hash,
      "stack.role": "replica",
      "stack.version": "0.0.0-test",
    });
  });

  it("creates the container with the limits, restart policy and healthcheck of the spec", async () => {
    const info = await docker.getContainer(id).inspect();
    expect(info.HostConfig.NanoCpus).toBe(100_000_000);
    expect(info.HostConfig.Memory).toBe(52_428_800);
    expect(info.HostConfig.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
    expect(info.Config.Healthcheck).toMatchObject({
      Interval: 1_000_000_000,
      Timeout: 2_000_000_000,
      Retries: 3,
    });
    // @types/dockerode lacks Config.StopTimeout; the engine reports it.
    expect((info.Config as { StopTimeout?: number }).StopTimeout).toBe(1);
    expect(info.Mounts.find((m) => m.Destination === "/data")?.Name).toBe(vol.name);
  });

  it("resolves the service name and its aliases from another container on the network", async () => {
    const probe = buildService("probe", {
      command: ["sleep", "300"],
      deploy: { ...buildService("x").deploy, restartPolicy: { condition: "none" } },
    });
    const probeId = await e.createContainer({
      spec: buildStack(stack, [probe], { networks: [net] }),
      service: probe,
      slot: 1,
      name: containerName(stack, "probe", 1),
      configHash: "h",
    });
    await e.startContainer(probeId);
    for (const host of ["web", "frontend"]) {
      const out = await waitFor(
        async () => {
          const text = await execText(probeId, ["wget", "-q", "-O", "-", `http://${host}:8080/`]);
          return text.includes("ok") ? text : undefined;
        },
        { what: `http://${host}:8080 from probe` },
      );
      expect(out.trim()).toBe("ok");
    }
    await e.removeContainer(probeId);
  });

  it("connects every network, not just the first (API 1.41 takes one at create)", async () => {
    const second = buildNetwork(stack, "back");
    await e.createNetwork(stack, second, networkConfigHash(second));
    const svc = buildService("multi", {
      command: ["sleep", "300"],
      networks: { back: { aliases: [] }, default: { aliases: [] } },
    });
    const s = buildStack(stack, [svc], { networks: [net, second] });
    const mid = await e.createContainer({
      spec: s,
      service: svc,
      slot: 1,
      name: containerName(stack, "multi", 1),
      configHash: "h",
    });
    const nets = (await docker.getContainer(mid).inspect()).NetworkSettings.Networks;
    expect(Object.keys(nets).sort()).toEqual([second.name, net.name].sort());
    expect(nets[second.name]?.Aliases).toContain("multi");
    await e.removeContainer(mid);
    await e.removeNetwork(second.name);
    await e.removeNetwork(second.name); // missing: still fine
  });

  it("accepts a container using every mapped setting, and it runs", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stack-bind-"));
    writeFileSync(path.join(dir, "conf.txt"), "conf-content");
    const svc = buildService("full", {
      command: ["sh", "-c", "cat /conf/conf.txt > /run/x && sleep 300"],
      environment: { A: "1", UNSET: null },
      workingDir: "/tmp",
      user: "root",
      hostname: "full-host",
      init: true,
      stopSignal: "SIGTERM",
      ports: [{ target: 8080, hostIp: "127.0.0.1", protocol: "tcp", mode: "ingress" }],
      expose: ["9000"],
      mounts: [
        { type: "volume", target: "/anon", readOnly: false },
        { type: "bind", source: dir, target: "/conf", readOnly: true, createHostPath: false },
        {
          type: "bind",
          source: path.join(dir, "created"),
          target: "/created",
          readOnly: false,
          createHostPath: true,
        },
        { type: "tmpfs", target: "/run", readOnly: false, tmpfsSize: 1_048_576 },
      ],
      healthcheck: { disable: true },
      logging: { driver: "json-file", options: { "max-size": "1m" } },
      extraHosts: ["db=10.1.2.3"],
      dns: ["127.0.0.1"],
      capAdd: ["NET_ADMIN"],
      capDrop: ["MKNOD"],
      // Both: on Podman a service's ulimits replace the engine's default_ulimits, and its
      // built-in nproc default is above this machine's hard limit (preflight warns).
      ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 4096, hard: 4096 } },
      sysctls: { "net.core.somaxconn": "512" },
      shmSize: 16_777_216,
      deploy: {
        ...buildService("x").deploy,
        resources: {
          limits: { pids: 50, memoryBytes: 67_108_864 },
          reservations: { memoryBytes: 33_554_432 },
        },
      },
    });
    const fid = await e.createContainer({
      spec: buildStack(stack, [svc], { networks: [net] }),
      service: svc,
      slot: 1,
      name: containerName(stack, "full", 1),
      configHash: "h",
    });
    await e.startContainer(fid);
    const running = await waitFor(
      async () => {
        const c = await e.inspectContainer(fid);
        return c?.state === "running" ? c : undefined;
      },
      { what: "full.1 running" },
    );
    expect(running.ports).toEqual([
      { target: 8080, published: expect.any(Number), hostIp: "127.0.0.1", protocol: "tcp" },
      { target: 9000, protocol: "tcp" },
    ]);
    expect(await execText(fid, ["cat", "/run/x"])).toBe("conf-content");
    expect(await execText(fid, ["hostname"])).toBe("full-host");
    expect(await execText(fid, ["sh", "-c", "echo $A"])).toBe("1");
    const info = await docker.getContainer(fid).inspect();
    expect(info.HostConfig).toMatchObject({
      PidsLimit: 50,
      Init: true,
      ShmSize: 16_777_216,
      ExtraHosts: ["db:10.1.2.3"],
      RestartPolicy: { Name: "always" },
    });
    // Podman fills in its default interval, timeout and retries beside NONE.
    expect(info.Config.Healthcheck).toMatchObject({ Test: ["NONE"] });
    await e.removeContainer(fid);
  });

  it("returns the lines the container wrote, per stream", async () => {
    const lines = [];
    for await (const line of e.logs(id, { tail: 100 })) lines.push(line);
    expect(lines).toContainEqual(
      expect.objectContaining({ container: name, stream: "stdout", text: "hello-from-web" }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ container: name, stream: "stderr", text: "oops" }),
    );
    expect(lines[0]?.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it("follows logs until the signal aborts", async () => {
    const svc = buildService("ticker", {
      command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"],
    });
    const tid = await e.createContainer({
      spec: buildStack(stack, [svc], { networks: [net] }),
      service: svc,
      slot: 1,
      name: containerName(stack, "ticker", 1),
      configHash: "h",
    });
    await e.startContainer(tid);
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const line of e.logs(tid, { follow: true, signal: controller.signal })) {
      seen.push(line.text);
      if (seen.length === 3) controller.abort();
    }
    expect(seen.slice(0, 3)).toEqual(["tick 1", "tick 2", "tick 3"]);
    await e.removeContainer(tid);
  });

  it("ends a log follow of a replica that never writes as soon as the signal aborts", async () => {
    // Podman sends no response headers to a follow request until the container writes: the
    // abort must reach the request itself.
    const svc = buildService("silent", { command: ["sleep", "300"], init: true });
    const sid = await e.createContainer({
      spec: buildStack(stack, [svc], { networks: [net] }),
      service: svc,
      slot: 1,
      name: containerName(stack, "silent", 1),
      configHash: "h",
    });
    await e.startContainer(sid);
    const controller = new AbortController();
    let ended = false;
    const reading = (async () => {
      const seen: string[] = [];
      for await (const line of e.logs(sid, { follow: true, signal: controller.signal }))
        seen.push(line.text);
      ended = true;
      return seen;
    })();
    // Give the request time to reach the engine; the wait below is for the end.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ended).toBe(false);
    controller.abort();
    await waitFor(() => ended, { what: "the follow to end after abort", timeoutMs: 10_000 });
    expect(await reading).toEqual([]);
    await e.removeContainer(sid);
  });

  it("samples the CPU a busy replica uses", async () => {
    const svc = buildService("busy", {
      command: ["sh", "-c", "while :; do :; done"],
      init: true,
      deploy: {
        ...buildService("x").deploy,
        resources: { limits: { nanoCpus: 500_000_000 }, reservations: {} },
      },
    });
    const bid = await e.createContainer({
      spec: buildStack(stack, [svc], { networks: [net] }),
      service: svc,
      slot: 1,
      name: containerName(stack, "busy", 1),
      configHash: "h",
    });
    try {
      await e.startContainer(bid);
      // Limited to half a core: a few percent at least, however loaded this machine is
      // (Podman without a second sample reported a share of the CPU time since boot: well
      // under 1%), and never more than the limit (Podman's own system counter said 140%).
      const stats = await waitFor(
        async () => {
          const s = await e.stats(bid);
          return s.cpuPercent > 5 ? s : undefined;
        },
        { what: "a CPU sample above 5%", timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(stats.cpuPercent).toBeLessThan(60);
      expect(stats.memoryBytes).toBeGreaterThan(0);
    } finally {
      // Gone whatever the outcome: the stack's later tests count its containers.
      await e.removeContainer(bid);
    }
  });

  it("reads a replica being stopped as running until it exits", async () => {
    // The process ignores SIGTERM, so the stop takes the whole grace period: dockerd reports
    // running meanwhile, Podman "stopping".
    const svc = buildService("slow", { command: ["sh", "-c", "trap '' TERM; sleep 300 & wait"] });
    const sid = await e.createContainer({
      spec: buildStack(stack, [svc], { networks: [net] }),
      service: svc,
      slot: 1,
      name: containerName(stack, "slow", 1),
      configHash: "h",
    });
    await e.startContainer(sid);
    const stopping = e.stopContainer(sid, 4000);
    const seen = new Set<string>();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    while (!stopped) {
      const state = (await e.inspectContainer(sid))?.state;
      if (state !== undefined) seen.add(state);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await stopping;
    expect((await e.inspectContainer(sid))?.state).toBe("exited");
    seen.delete("exited");
    expect([...seen]).toEqual(["running"]);
    await e.removeContainer(sid);
  });

  it("yields volume events for the stack's volumes", async () => {
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    const extra = buildVolume(stack, "evented");
    const consumer = (async () => {
      for await (const ev of e.events(stack, controller.signal)) {
        events.push(ev);
        if (ev.type === "volume" && ev.name === extra.name) controller.abort();
      }
    })();
    // The stream is open once the engine sends anything: create and remove until it shows.
    await waitFor(
      async () => {
        if (!controller.signal.aborted) {
          await e.createVolume(stack, extra);
          await e.removeVolume(extra.name);
        }
        return controller.signal.aborted;
      },
      { what: "a volume event", intervalMs: 250 },
    );
    await consumer;
    expect(events).toContainEqual(expect.objectContaining({ type: "volume", name: extra.name }));
  });

  it("yields a die event when a replica is killed, and ends cleanly on abort", async () => {
    const svc = buildService("victim", {
      command: ["sleep", "300"],
      deploy: { ...buildService("x").deploy, restartPolicy: { condition: "none" } },
    });
    const vid = await e.createContainer({
      spec: buildStack(stack, [svc], { networks: [net] }),
      service: svc,
      slot: 1,
      name: containerName(stack, "victim", 1),
      configHash: "h",
    });
    await e.startContainer(vid);
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    const consumer = (async () => {
      for await (const ev of e.events(stack, controller.signal)) {
        events.push(ev);
        if (ev.action === "die" && ev.service === "victim") controller.abort();
      }
    })();
    // The stream is open once the engine sends anything; kill until the event arrives.
    await waitFor(
      async () => {
        if (!controller.signal.aborted)
          await docker
            .getContainer(vid)
            .kill()
            .catch(() => undefined);
        return controller.signal.aborted;
      },
      { what: "die event" },
    );
    await consumer;
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "container",
        action: "die",
        name: containerName(stack, "victim", 1),
        service: "victim",
      }),
    );
    const observed = await e.inspectContainer(vid);
    expect(observed).toMatchObject({ state: "exited", exitCode: 137 });
    await e.removeContainer(vid);
  });

  it("treats stop of a stopped and remove of a missing container as success", async () => {
    const svc = buildService("tmp", { command: ["sleep", "300"] });
    const tid = await e.createContainer({
      spec: buildStack(stack, [svc], { networks: [net] }),
      service: svc,
      slot: 1,
      name: containerName(stack, "tmp", 1),
      configHash: "h",
    });
    await e.startContainer(tid);
    await e.startContainer(tid); // 304
    await e.stopContainer(tid, 1000);
    await e.stopContainer(tid, 1000); // 304
    expect((await e.inspectContainer(tid))?.state).toBe("exited");
    await e.renameContainer(tid, `${containerName(stack, "tmp", 1)}.renamed`);
    expect((await e.inspectContainer(tid))?.name).toBe(`${containerName(stack, "tmp", 1)}.renamed`);
    await e.removeContainer(tid);
    await e.removeContainer(tid); // 404
    await e.stopContainer(tid); // 404
    expect(await e.inspectContainer(tid)).toBeUndefined();
  });

  it("reports a name conflict on create as conflict, and tolerates re-creating its own network and volume", async () => {
    await expect(
      e.createContainer({ spec, service: web, slot: 1, name, configHash: hash }),
    ).rejects.toMatchObject({ kind: "conflict" });
    await e.createNetwork(stack, net, networkConfigHash(net));
    await e.createVolume(stack, vol);
    const foreign = buildNetwork(stack, "other", { name: net.name });
    await expect(e.createNetwork(stack, foreign, "x")).rejects.toMatchObject({ kind: "conflict" });
  });

  it("lists the stack with its services and running containers", async () => {
    const stacks = await e.listStacks();
    const mine = stacks.find((s) => s.name === stack);
    expect(mine).toMatchObject({ services: 1, containers: 1, running: 1 });
  });

  it("names the image when a pull fails (no registry is reachable here)", async () => {
    const err = await e.pullImage("stack-test/definitely-missing:1").then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toContain("stack-test/definitely-missing:1");
  });
});

describe("DockerEngine with an unreachable engine", () => {
  it("fails with kind unavailable and a message naming the address", async () => {
    const e = DockerEngine.fromEnv({ DOCKER_HOST: "unix:///nonexistent.sock" });
    const err = await e.ping().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ kind: "unavailable", retryable: true });
    expect((err as EngineError).message).toContain(
      "cannot reach the Docker engine at unix:///nonexistent.sock (connect ENOENT)",
    );
    await expect(e.observe("x")).rejects.toMatchObject({ kind: "unavailable" });
  });
});

async function execText(containerId: string, cmd: string[]): Promise<string> {
  const exec = await docker
    .getContainer(containerId)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  // Exec output is multiplexed like logs: strip the 8-byte frame headers.
  const lines: string[] = [];
  for await (const l of decodeLogStream(
    (async function* () {
      yield Buffer.concat(chunks);
    })(),
    false,
  ))
    lines.push(l.line);
  return lines.join("\n");
}
