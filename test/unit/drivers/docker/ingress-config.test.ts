import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  IngressHealth,
  haproxyConfig,
  ingressBackends,
  ingressCreatePlan,
} from "../../../../src/drivers/docker/ingress-config.js";
import { containerCreatePlan } from "../../../../src/drivers/docker/container-config.js";
import { contextFiles, contextHash } from "../../../../src/stackfile/build-context.js";
import { ingressRoutes } from "../../../../src/model/ingress.js";
import { attach, serviceSpec, stackSpec } from "./helpers/fixtures.js";

const spec = stackSpec({
  services: [
    serviceSpec("web", {
      replicas: 5,
      networks: attach("webnet"),
      ports: [
        { target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "tcp", mode: "ingress" },
      ],
    }),
  ],
  networks: { webnet: {} },
});

describe("ingress container", () => {
  it("balances each route over the service name through the engine's DNS", () => {
    const cfg = haproxyConfig(ingressRoutes(spec));
    // The nameservers of the container's resolv.conf: 127.0.0.11 on dockerd, aardvark-dns at
    // the network gateway on Podman; no engine's address is written into the config.
    expect(cfg).toMatch(/resolvers docker\n {2}parse-resolv-conf\n/);
    expect(cfg).not.toContain("nameserver");
    expect(cfg).toContain("bind :20000");
    expect(cfg).toContain("balance roundrobin");
    expect(cfg).toMatch(/server-template r 1-64 web:80\n/);
    expect(cfg).toContain("init-addr none resolvers docker check");
  });

  it("publishes the host port on the ingress, and the replicas publish none", () => {
    const plan = ingressCreatePlan({
      spec,
      name: "demo_ingress",
      configHash: "h",
      stackVersion: "0",
    });
    expect(plan.body.HostConfig.PortBindings).toEqual({
      "20000/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }],
    });
    expect(plan.body.HostConfig.NetworkMode).toBe("demo_webnet");
    expect(plan.body.Labels["stack.role"]).toBe("ingress");
    const web = spec.services["web"];
    if (!web) throw new Error("fixture");
    const replica = containerCreatePlan({
      spec,
      service: web,
      slot: 1,
      name: "demo_web.1",
      configHash: "h",
      stackVersion: "0",
    });
    expect(replica.body.HostConfig.PortBindings).toBeUndefined();
    expect(replica.body.ExposedPorts).toEqual({ "80/tcp": {} });
  });

  it("is serving only while every backend has a server up", () => {
    const [backend = ""] = ingressBackends(ingressRoutes(spec));
    const health = new IngressHealth([backend]);
    expect(health.waiting()).toEqual([backend]);
    health.observe(`Server ${backend}/r1 ('web') is UP/READY (resolves again).`);
    expect(health.waiting()).toEqual([]);
    health.observe(`Server ${backend}/r1 is DOWN, reason: Layer4 connection problem`);
    expect(health.waiting()).toEqual([backend]);
    health.observe(`Server ${backend}/r1 is UP, reason: Layer4 check passed, check duration: 0ms.`);
    expect(health.waiting()).toEqual([]);
  });
});

describe("build context", () => {
  it("honours .dockerignore and hashes only what is sent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ctx-"));
    mkdirSync(join(dir, "__pycache__"));
    writeFileSync(join(dir, "Dockerfile"), "FROM x\n");
    writeFileSync(join(dir, "app.py"), "print(1)\n");
    writeFileSync(join(dir, "__pycache__", "app.pyc"), "junk");
    writeFileSync(join(dir, ".dockerignore"), "__pycache__\n");
    expect(await contextFiles(dir)).toEqual([".dockerignore", "Dockerfile", "app.py"]);
    const before = await contextHash(dir);
    writeFileSync(join(dir, "__pycache__", "app.pyc"), "other junk");
    expect(await contextHash(dir)).toBe(before);
    writeFileSync(join(dir, "app.py"), "print(2)\n");
    expect(await contextHash(dir)).not.toBe(before);
  });
});
