import { describe, expect, it } from "vitest";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import { normalisePorts } from "../../../../src/stackfile/canonical/ports.js";
import { docFromYaml } from "../normalise-fixture.js";

function ports(yamlList: string) {
  const doc = docFromYaml(`ports:\n${yamlList}`);
  const ctx = new NormaliseContext(doc);
  const value = (doc.value as { ports: unknown }).ports;
  return {
    ports: normalisePorts(value, ["ports"], ctx),
    issues: ctx.issues,
    warnings: ctx.warnings,
  };
}

describe("normalisePorts short syntax", () => {
  it.each([
    [`"80"`, [{ target: 80, protocol: "tcp", mode: "ingress" }]],
    [`80`, [{ target: 80, protocol: "tcp", mode: "ingress" }]],
    [`"8080:80"`, [{ target: 80, published: 8080, protocol: "tcp", mode: "ingress" }]],
    [
      `"127.0.0.1:8080:80/udp"`,
      [{ target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "udp", mode: "ingress" }],
    ],
    [`"127.0.0.1::80"`, [{ target: 80, hostIp: "127.0.0.1", protocol: "tcp", mode: "ingress" }]],
    [
      `"[::1]:8080:80"`,
      [{ target: 80, published: 8080, hostIp: "::1", protocol: "tcp", mode: "ingress" }],
    ],
    [`"53:53/SCTP"`, [{ target: 53, published: 53, protocol: "sctp", mode: "ingress" }]],
    [
      `"9090-9091:8080-8081"`,
      [
        { target: 8080, published: 9090, protocol: "tcp", mode: "ingress" },
        { target: 8081, published: 9091, protocol: "tcp", mode: "ingress" },
      ],
    ],
    [
      `"3000-3002"`,
      [
        { target: 3000, protocol: "tcp", mode: "ingress" },
        { target: 3001, protocol: "tcp", mode: "ingress" },
        { target: 3002, protocol: "tcp", mode: "ingress" },
      ],
    ],
  ])("%s", (item, expected) => {
    const result = ports(`  - ${item}\n`);
    expect(result.issues).toEqual([]);
    expect(result.ports).toEqual(expected);
  });

  it("reports a range length mismatch at the entry's position", () => {
    const result = ports(`  - "8080:80"\n  - "9090-9092:8080-8081"\n`);
    expect(result.ports).toHaveLength(1);
    expect(result.issues).toEqual([
      {
        pos: { file: "/project/stack.yml", line: 3, col: 5 },
        path: "ports[1]",
        message: expect.stringContaining("different lengths") as string,
      },
    ]);
  });

  it("publishes a host range to a single container port as compose does (the engine picks one)", () => {
    expect(ports(`  - "6005-6015:80"\n`)).toMatchObject({
      ports: [
        { target: 80, published: 6005, publishedEnd: 6015, protocol: "tcp", mode: "ingress" },
      ],
      issues: [],
    });
    expect(ports(`  - "9090-9092:80-81"\n`).issues[0]?.message).toContain("different lengths");
  });

  it("leaves out a protocol the engine cannot publish (quic) with a warning, as compose accepts it", () => {
    const result = ports(`  - "443:443/quic"\n  - target: 80\n    protocol: quic\n`);
    expect(result.ports).toEqual([]);
    expect(result.issues).toEqual([]);
    expect(result.warnings.map((w) => w.path)).toEqual(["ports[0]", "ports[1].protocol"]);
  });

  it.each([`"80/ic-mp"`, `"abc"`, `"70000:80"`, `"90-80"`, `"[::1:80"`])("reports %s", (item) => {
    const result = ports(`  - ${item}\n`);
    expect(result.ports).toEqual([]);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.path).toBe("ports[0]");
  });
});

describe("normalisePorts long syntax", () => {
  it("maps target, published (number or string range), host_ip, protocol and mode", () => {
    const result = ports(
      [
        "  - target: 80",
        "    published: 8080",
        "    host_ip: 127.0.0.1",
        "    protocol: udp",
        "    mode: host",
        "  - target: 443",
        '    published: "8443"',
        "  - target: 9000",
        "",
      ].join("\n"),
    );
    expect(result.issues).toEqual([]);
    expect(result.ports).toEqual([
      { target: 80, published: 8080, hostIp: "127.0.0.1", protocol: "udp", mode: "host" },
      { target: 443, published: 8443, protocol: "tcp", mode: "ingress" },
      { target: 9000, protocol: "tcp", mode: "ingress" },
    ]);
  });

  it("takes a published range for a single target, and reports a reversed range at its value", () => {
    expect(ports(`  - target: 80\n    published: "8080-8081"\n`).ports).toMatchObject([
      { target: 80, published: 8080, publishedEnd: 8081 },
    ]);
    const result = ports(`  - target: 80\n    published: "8081-8080"\n`);
    expect(result.issues[0]).toMatchObject({
      path: "ports[0].published",
      pos: { line: 3, col: 16 },
    });
  });

  it("reports an unknown mode at the mode key's value", () => {
    const result = ports(`  - target: 80\n    mode: bridge\n`);
    expect(result.issues[0]).toMatchObject({ path: "ports[0].mode", pos: { line: 3, col: 11 } });
  });
});
