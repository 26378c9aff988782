import { describe, expect, it } from "vitest";
import { oneOffCreatePlan } from "../../../../src/drivers/docker/one-off-config.js";
import type { OneOffSettings } from "../../../../src/model/one-off.js";
import type { ServiceSpec } from "../../../../src/model/types.js";
import {
  buildNetwork,
  buildService,
  buildStack,
  buildVolume,
} from "../../../integration/docker/helpers.js";

const base: OneOffSettings = { env: [], mounts: [], tty: false, stdin: false };

function plan(service: ServiceSpec, settings: Partial<OneOffSettings> = {}) {
  const spec = buildStack("s", [service], {
    networks: [buildNetwork("s", "front"), buildNetwork("s", "back")],
    volumes: [buildVolume("s", "data")],
  });
  return oneOffCreatePlan(
    { spec, service, slot: 0, name: "s_web_run_abc123", configHash: "v1:x", stackVersion: "1" },
    { ...base, ...settings },
  );
}

const web = buildService("web", {
  command: ["serve"],
  environment: { MODE: "prod", KEEP: "1" },
  ports: [{ target: 80, published: 8080, protocol: "tcp", mode: "ingress" }],
  networks: { front: { aliases: ["www"] }, back: { aliases: [] } },
  containerName: "fixed",
  mounts: [{ type: "volume", source: "data", target: "/data", readOnly: false }],
});

describe("oneOffCreatePlan", () => {
  it("is the service's container without its ports, name, slot, restart policy or DNS name", () => {
    const p = plan(web);
    expect(p.name).toBe("s_web_run_abc123");
    expect(p.body.Labels["stack.role"]).toBe("run");
    expect(p.body.Labels["stack.slot"]).toBeUndefined();
    expect(p.body.Labels["stack.service"]).toBe("web");
    expect(p.body.HostConfig.PortBindings).toBeUndefined();
    expect(p.body.HostConfig.RestartPolicy).toEqual({ Name: "no" });
    expect(p.body.Cmd).toEqual(["serve"]);
    expect(p.body.Env).toEqual(["KEEP=1", "MODE=prod"]);
    // Both networks, with the extra alias but not the service name.
    const endpoints = [
      ...Object.values(p.body.NetworkingConfig?.EndpointsConfig ?? {}),
      ...p.connectAfterCreate.map((c) => c.endpoint),
    ];
    expect(endpoints.map((e) => e.Aliases)).toEqual([[], ["www"]]);
    expect(p.body.HostConfig.Mounts?.map((m) => m.Target)).toEqual(["/data"]);
  });

  it("takes the command, entrypoint, environment, user, directory and mounts given", () => {
    const p = plan(web, {
      cmd: ["sh", "-c", "env"],
      env: ["MODE=test", "EXTRA=1"],
      user: "1000:1000",
      workingDir: "/work",
      mounts: [
        { type: "bind", source: "/tmp/x", target: "/data", readOnly: true, createHostPath: true },
      ],
      tty: true,
      stdin: true,
    });
    expect(p.body.Cmd).toEqual(["sh", "-c", "env"]);
    expect(p.body.Env).toEqual(["EXTRA=1", "KEEP=1", "MODE=test"]);
    expect([p.body.User, p.body.WorkingDir]).toEqual(["1000:1000", "/work"]);
    // The -v mount replaces the service's at the same target.
    expect(p.body.HostConfig.Mounts).toBeUndefined();
    expect(p.body.HostConfig.Binds).toEqual(["/tmp/x:/data:ro"]);
    expect([p.body.Tty, p.body.OpenStdin, p.body.StdinOnce]).toEqual([true, true, true]);
  });

  it("runs an entrypoint given alone without the service's or the image's command", () => {
    const p = plan(web, { entrypoint: ["env"] });
    expect(p.body.Entrypoint).toEqual(["env"]);
    expect(p.body.Cmd).toEqual([]);
    expect(plan(web, { entrypoint: ["sh", "-c"], cmd: ["echo hi"] }).body.Cmd).toEqual(["echo hi"]);
  });
});
