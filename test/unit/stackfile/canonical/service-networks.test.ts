import { describe, expect, it } from "vitest";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import { normaliseServiceNetworks } from "../../../../src/stackfile/canonical/service-networks.js";
import { docFromYaml } from "../normalise-fixture.js";

function run(yaml: string) {
  const doc = docFromYaml(yaml);
  const ctx = new NormaliseContext(doc);
  const nets = normaliseServiceNetworks(
    doc.value as Record<string, unknown>,
    ["services", "web"],
    ctx,
  );
  return Object.fromEntries([...nets].map(([k, { path: _path, ...rest }]) => [k, rest]));
}

describe("service networks", () => {
  it("joins default when neither networks nor network_mode is given", () => {
    expect(run("image: x\n")).toEqual({ default: { aliases: [] } });
    expect(run("network_mode: host\n")).toEqual({});
  });

  it("reads the list and map forms", () => {
    expect(run("networks: [front, back]\n")).toEqual({
      front: { aliases: [] },
      back: { aliases: [] },
    });
    expect(
      run(
        "networks:\n  front:\n    aliases: [www, site]\n    ipv4_address: 172.16.238.10\n    ipv6_address: 2001:3984:3989::10\n  back:\n",
      ),
    ).toEqual({
      front: {
        aliases: ["www", "site"],
        ipv4Address: "172.16.238.10",
        ipv6Address: "2001:3984:3989::10",
      },
      back: { aliases: [] },
    });
  });
});
