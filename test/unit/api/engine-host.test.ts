import { describe, expect, it } from "vitest";
import { engineHost, hostPort, reachableHost } from "../../../src/api/engine-host.js";

describe("engineHost", () => {
  it("is loopback for a local engine and the engine's host for a remote one", () => {
    expect(engineHost("unix:///var/run/docker.sock")).toBe("127.0.0.1");
    expect(engineHost("npipe:////./pipe/docker_engine")).toBe("127.0.0.1");
    expect(engineHost("tcp://10.0.0.5:2376")).toBe("10.0.0.5");
    expect(engineHost("ssh://deploy@build-host:2222")).toBe("build-host");
    expect(engineHost("tcp://[fd00::1]:2375")).toBe("fd00::1");
  });
});

describe("reachableHost", () => {
  it("keeps a bound address and replaces the unspecified ones", () => {
    expect(reachableHost("127.0.0.1", "tcp://10.0.0.5:2376")).toBe("127.0.0.1");
    expect(reachableHost("0.0.0.0", "unix:///var/run/docker.sock")).toBe("127.0.0.1");
    expect(reachableHost("", "tcp://10.0.0.5:2376")).toBe("10.0.0.5");
    expect(reachableHost("::", "unix:///var/run/docker.sock")).toBe("::1");
  });
});

describe("hostPort", () => {
  it("brackets IPv6 hosts", () => {
    expect(hostPort("127.0.0.1", 80)).toBe("127.0.0.1:80");
    expect(hostPort("::1", 80)).toBe("[::1]:80");
  });
});
