import { homedir } from "node:os";
import { describe, expect, it } from "vitest";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import {
  normaliseServiceVolumes,
  normaliseTmpfs,
} from "../../../../src/stackfile/canonical/volumes.js";
import { docFromYaml } from "../normalise-fixture.js";

function run(
  yaml: string,
  key: "volumes" | "tmpfs" = "volumes",
  environment: Record<string, string> = {},
) {
  const doc = docFromYaml(yaml, { environment });
  const ctx = new NormaliseContext(doc);
  const value = (doc.value as Record<string, unknown>)[key];
  const mounts =
    key === "volumes"
      ? normaliseServiceVolumes(value, [key], ctx)
      : normaliseTmpfs(value, [key], ctx);
  return { mounts, issues: ctx.issues, warnings: ctx.warnings };
}

describe("service volumes, short syntax", () => {
  it.each([
    [
      "redis-data:/data",
      { type: "volume", source: "redis-data", target: "/data", readOnly: false },
    ],
    ["name:/path:ro", { type: "volume", source: "name", target: "/path", readOnly: true }],
    [
      "cache:/c:nocopy",
      { type: "volume", source: "cache", target: "/c", readOnly: false, noCopy: true },
    ],
    [
      "./rel:/path",
      {
        type: "bind",
        source: "/project/rel",
        target: "/path",
        readOnly: false,
        createHostPath: true,
      },
    ],
    [
      "../up/x:/x:ro,z",
      { type: "bind", source: "/up/x", target: "/x", readOnly: true, createHostPath: true },
    ],
    [
      "/abs:/path:rw",
      { type: "bind", source: "/abs", target: "/path", readOnly: false, createHostPath: true },
    ],
    ["/path", { type: "volume", target: "/path", readOnly: false }],
  ])("%s", (item, expected) => {
    const result = run(`volumes:\n  - ${item}\n`);
    expect(result.issues).toEqual([]);
    expect(result.mounts).toEqual([expected]);
  });

  it("resolves ~ against HOME from the environment, else the OS home", () => {
    expect(
      run(`volumes:\n  - ~/x:/x\n`, "volumes", { HOME: "/home/alice" }).mounts[0]?.source,
    ).toBe("/home/alice/x");
    expect(run(`volumes:\n  - ~/x:/x\n`).mounts[0]?.source).toBe(`${homedir()}/x`);
  });

  it.each(["relative", "data:relative", "a:/b:bogus", "a:/b:ro:extra"])(
    "reports %j at its position",
    (item) => {
      const result = run(`volumes:\n  - ${item}\n`);
      expect(result.mounts).toEqual([]);
      expect(result.issues).toEqual([
        expect.objectContaining({
          path: "volumes[0]",
          pos: { file: "/project/stack.yml", line: 2, col: 5 },
        }),
      ]);
    },
  );
});

describe("service volumes, long syntax", () => {
  it("maps volume, bind and tmpfs mounts with their options", () => {
    const result = run(
      [
        "volumes:",
        "  - type: volume",
        "    source: db",
        "    target: /var/lib/db",
        "    read_only: true",
        "    volume: { nocopy: true }",
        "  - type: bind",
        "    source: ./conf",
        "    target: /etc/conf",
        "    bind: { create_host_path: true }",
        "  - type: bind",
        "    source: /srv",
        "    target: /srv",
        "  - type: tmpfs",
        "    target: /scratch",
        "    tmpfs: { size: 64m, mode: 0o1777 }",
        "  - type: volume",
        "    target: /anon",
        "",
      ].join("\n"),
    );
    expect(result.issues).toEqual([]);
    expect(result.mounts).toEqual([
      { type: "volume", source: "db", target: "/var/lib/db", readOnly: true, noCopy: true },
      {
        type: "bind",
        source: "/project/conf",
        target: "/etc/conf",
        readOnly: false,
        createHostPath: true,
      },
      { type: "bind", source: "/srv", target: "/srv", readOnly: false, createHostPath: false },
      {
        type: "tmpfs",
        target: "/scratch",
        readOnly: false,
        tmpfsSize: 64 * 1024 * 1024,
        tmpfsMode: 0o1777,
      },
      { type: "volume", target: "/anon", readOnly: false },
    ]);
  });

  it("reports an unsupported type and a bad tmpfs size where they are written", () => {
    const result = run(
      [
        "volumes:",
        "  - type: npipe",
        "    target: /x",
        "  - type: tmpfs",
        "    target: /t",
        "    tmpfs: { size: lots }",
        "",
      ].join("\n"),
    );
    // compose accepts npipe (Windows) mounts: left out with a warning.
    expect(result.issues.map((i) => i.path)).toEqual(["volumes[1].tmpfs.size"]);
    expect(result.warnings.map((i) => i.path)).toEqual(["volumes[0].type"]);
  });
});

describe("service tmpfs", () => {
  it("accepts a single path or a list with size/mode options and warns about others", () => {
    expect(run("tmpfs: /run\n", "tmpfs").mounts).toEqual([
      { type: "tmpfs", target: "/run", readOnly: false },
    ]);
    const result = run("tmpfs:\n  - /a:size=1m,mode=1777\n  - /b:noexec\n", "tmpfs");
    expect(result.mounts).toEqual([
      { type: "tmpfs", target: "/a", readOnly: false, tmpfsSize: 1048576, tmpfsMode: 0o1777 },
      { type: "tmpfs", target: "/b", readOnly: false },
    ]);
    expect(result.warnings).toEqual([
      expect.objectContaining({ path: "tmpfs[1]", message: expect.stringContaining("noexec") }),
    ]);
  });
});
