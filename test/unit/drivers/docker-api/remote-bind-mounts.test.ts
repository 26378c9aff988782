import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { remoteBindMountWarnings } from "../../../../src/drivers/docker-api/remote-bind-mounts.js";
import { loadStack } from "../../../../src/stackfile/load-stack.js";

async function specOf(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "stack-binds-"));
  writeFileSync(join(dir, "stack.yml"), yaml);
  const { spec } = await loadStack({
    files: [join(dir, "stack.yml")],
    envFiles: [],
    cwd: dir,
    env: {},
    stack: "binds",
  });
  return { spec, dir };
}

const YAML = `
services:
  web:
    image: x
    volumes: ["./site:/usr/share/html:ro", "data:/data", "/etc/app.conf:/etc/app.conf", "./site:/srv"]
  db:
    image: x
    volumes: ["data:/var/lib/db"]
  cache:
    image: x
    tmpfs: /tmp
volumes:
  data: {}
`;

describe("remoteBindMountWarnings", () => {
  it("names each service's bind-mount sources when the engine is remote", async () => {
    const { spec, dir } = await specOf(YAML);
    const warnings = remoteBindMountWarnings(spec, { address: "ssh://deploy@prod", remote: true });
    expect(warnings).toEqual([
      {
        path: "services.web.volumes",
        message: `bind-mount sources ${join(dir, "site")}, /etc/app.conf are paths on the engine's host (ssh://deploy@prod is remote), not on this machine: they must exist there`,
      },
    ]);
  });

  it("says nothing for a local engine, or for a remote one without bind mounts", async () => {
    const { spec } = await specOf(YAML);
    expect(
      remoteBindMountWarnings(spec, { address: "unix:///var/run/docker.sock", remote: false }),
    ).toEqual([]);
    expect(remoteBindMountWarnings(spec, { address: "unix:///var/run/docker.sock" })).toEqual([]);
    const { spec: noBinds } = await specOf("services:\n  db:\n    image: x\n");
    expect(remoteBindMountWarnings(noBinds, { address: "tcp://h:2376", remote: true })).toEqual([]);
  });
});
