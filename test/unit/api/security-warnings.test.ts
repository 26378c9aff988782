import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { securityWarnings } from "../../../src/api/security-warnings.js";
import { loadStack } from "../../../src/stackfile/load-stack.js";

async function warningsFor(yaml: string, setup?: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "stack-sec-"));
  setup?.(dir);
  writeFileSync(join(dir, "stack.yml"), yaml);
  const { spec } = await loadStack({
    files: [join(dir, "stack.yml")],
    envFiles: [],
    cwd: dir,
    env: {},
    stack: "sec",
  });
  return securityWarnings(spec).map((w) => `${w.path}: ${w.message}`);
}

describe("securityWarnings", () => {
  it("warns about privileged, host network, host pid and the Docker socket", async () => {
    const w = await warningsFor(`
services:
  a:
    image: x
    privileged: true
    pid: host
    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]
  b:
    image: x
    network_mode: host
  c:
    image: x
`);
    expect(w).toEqual([
      expect.stringMatching(/^services\.a\.privileged: runs privileged/),
      expect.stringMatching(/^services\.a\.pid: shares the host's process namespace/),
      expect.stringMatching(/^services\.a\.volumes\[0\]: mounts the Docker socket/),
      expect.stringMatching(/^services\.b\.network_mode: uses the host's network/),
    ]);
  });
});
