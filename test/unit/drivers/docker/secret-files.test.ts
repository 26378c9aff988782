import { describe, expect, it } from "vitest";
import {
  containerFiles,
  fileSources,
  firstTarFile,
  readOnlyFileDirs,
  resolveUser,
  tarArchive,
} from "../../../../src/drivers/docker/secret-files.js";
import type { StackSpec } from "../../../../src/model/types.js";
import { buildService, buildStack } from "../../../integration/docker/helpers.js";

/** Reads name, mode, uid, gid and size back from a ustar header the way tar(1) does. */
function headerFields(tar: Buffer, offset = 0) {
  const field = (from: number, to: number) =>
    tar.toString("ascii", offset + from, offset + to).replace(/\0.*$/s, "");
  return {
    name: [field(345, 500), field(0, 100)].filter((s) => s !== "").join("/"),
    mode: parseInt(field(100, 108), 8),
    uid: parseInt(field(108, 116), 8),
    gid: parseInt(field(116, 124), 8),
    size: parseInt(field(124, 136), 8),
    checksumOk:
      parseInt(field(148, 156), 8) ===
      [...tar.subarray(offset, offset + 512)].reduce(
        (sum, b, i) => sum + (i >= 148 && i < 156 ? 32 : b),
        0,
      ),
  };
}

describe("tarArchive", () => {
  it("writes each file with its path, owner, mode and content, ending in two zero blocks", () => {
    const tar = tarArchive([
      { path: "/run/secrets/pw", content: Buffer.from("s3cret"), uid: 1000, gid: 100, mode: 0o400 },
    ]);
    expect(tar.length).toBe(512 * 4);
    expect(headerFields(tar)).toEqual({
      name: "run/secrets/pw",
      mode: 0o400,
      uid: 1000,
      gid: 100,
      size: 6,
      checksumOk: true,
    });
    expect(tar.toString("utf8", 512, 518)).toBe("s3cret");
    expect(firstTarFile(tar)?.toString()).toBe("s3cret");
  });

  it("splits a long path into the ustar prefix and refuses one that cannot fit", () => {
    const dir = `/${"d".repeat(120)}`;
    const tar = tarArchive([
      { path: `${dir}/key`, content: Buffer.alloc(0), uid: 0, gid: 0, mode: 0o444 },
    ]);
    expect(headerFields(tar).name).toBe(`${dir.slice(1)}/key`);
    expect(() =>
      tarArchive([
        { path: `/${"x".repeat(300)}`, content: Buffer.alloc(0), uid: 0, gid: 0, mode: 0 },
      ]),
    ).toThrow(/too long/);
  });
});

describe("resolveUser", () => {
  const passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n";
  const group = "root:x:0:\nstaff:x:50:\n";
  it("resolves numbers, names, and a user's primary group", () => {
    expect(resolveUser(undefined)).toEqual({ uid: 0, gid: 0 });
    expect(resolveUser("1234")).toEqual({ uid: 1234, gid: 1234 });
    expect(resolveUser("1234:5")).toEqual({ uid: 1234, gid: 5 });
    expect(resolveUser("1000", passwd)).toEqual({ uid: 1000, gid: 1001 });
    expect(resolveUser("app", passwd, group)).toEqual({ uid: 1000, gid: 1001 });
    expect(resolveUser("app:staff", passwd, group)).toEqual({ uid: 1000, gid: 50 });
    expect(resolveUser("nobody-here", passwd, group)).toBeUndefined();
  });
});

describe("containerFiles", () => {
  it("gives secrets to the service user with 0400 and configs 0444, long syntax winning", () => {
    const service = buildService("web", {
      user: "1000",
      secrets: [
        { source: "pw", target: "/run/secrets/pw" },
        { source: "key", target: "/etc/key", uid: "7", gid: "8", mode: 0o440 },
      ],
      configs: [{ source: "conf", target: "/app.conf" }],
    });
    const base = buildStack("s", [service]);
    const spec: StackSpec = {
      ...base,
      secrets: {
        pw: { key: "pw", name: "s_pw", external: false, environment: "PW", labels: {} },
        key: { key: "key", name: "s_key", external: false, file: "/k", labels: {} },
      },
      configs: {
        conf: { key: "conf", name: "s_conf", external: false, content: "x=1", labels: {} },
      },
    };
    const files = containerFiles(fileSources(spec, service), { uid: 1000, gid: 1000 }, (o) =>
      Buffer.from(`content of ${o.key}`),
    );
    expect(
      files.map(({ content, ...f }) => ({ ...f, content: Buffer.from(content).toString() })),
    ).toEqual([
      { path: "/run/secrets/pw", uid: 1000, gid: 1000, mode: 0o400, content: "content of pw" },
      { path: "/etc/key", uid: 7, gid: 8, mode: 0o440, content: "content of key" },
      { path: "/app.conf", uid: 1000, gid: 1000, mode: 0o444, content: "content of conf" },
    ]);
    expect(() => readOnlyFileDirs(service)).toThrow(/directly under \//);
  });
});
