import { describe, expect, it } from "vitest";
import {
  networkCreateBody,
  volumeCreateBody,
} from "../../../../src/drivers/docker-api/network-config.js";
import { buildNetwork, buildVolume } from "../../../integration/docker/helpers.js";

describe("networkCreateBody", () => {
  it("labels the network and defaults the driver to bridge", () => {
    expect(
      networkCreateBody(
        "s",
        buildNetwork("s", "default", { labels: { team: "a" } }),
        "v1:n",
        "1.0.0",
      ),
    ).toEqual({
      Name: "s_default",
      CheckDuplicate: true,
      Driver: "bridge",
      Options: {},
      Labels: {
        team: "a",
        "stack.name": "s",
        "stack.network": "default",
        "stack.config-hash": "v1:n",
        "stack.version": "1.0.0",
      },
    });
  });

  it("maps driver, options, ipam, internal, attachable and IPv6", () => {
    const body = networkCreateBody(
      "s",
      buildNetwork("s", "back", {
        driver: "overlay",
        driverOpts: { mtu: "1400" },
        internal: true,
        attachable: true,
        enableIpv6: false,
        ipam: {
          config: [{ subnet: "10.9.0.0/24", gateway: "10.9.0.1", ipRange: "10.9.0.128/25" }],
        },
      }),
      "h",
      "1",
    );
    expect(body).toMatchObject({
      Driver: "overlay",
      Options: { mtu: "1400" },
      Internal: true,
      Attachable: true,
      EnableIPv6: false,
      IPAM: {
        Driver: "default",
        Config: [{ Subnet: "10.9.0.0/24", Gateway: "10.9.0.1", IPRange: "10.9.0.128/25" }],
      },
    });
  });
});

describe("volumeCreateBody", () => {
  it("labels the volume and defaults the driver to local", () => {
    expect(
      volumeCreateBody("s", buildVolume("s", "data", { driverOpts: { type: "tmpfs" } }), "1"),
    ).toEqual({
      Name: "s_data",
      Driver: "local",
      DriverOpts: { type: "tmpfs" },
      Labels: { "stack.name": "s", "stack.volume": "data", "stack.version": "1" },
    });
  });
});
