import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../../src/stackfile/errors.js";
import { loadStack } from "../../../src/stackfile/load-stack.js";

/** Loads `yaml` as `<tmp>/proj/stack.yml` and returns its path-escape warnings, formatted. */
async function warningsFor(yaml: string, setup?: (dir: string, outside: string) => void) {
  const base = mkdtempSync(join(tmpdir(), "stack-esc-"));
  const dir = join(base, "proj");
  const outside = join(base, "elsewhere");
  mkdirSync(dir);
  mkdirSync(outside);
  writeFileSync(join(outside, "key"), "s3cret");
  writeFileSync(join(outside, "app.env"), "A=1\n");
  setup?.(dir, outside);
  writeFileSync(join(dir, "stack.yml"), yaml);
  const { warnings } = await loadStack({
    files: [join(dir, "stack.yml")],
    envFiles: [],
    cwd: dir,
    env: {},
    stack: "esc",
  });
  return warnings
    .filter((w) => /climbs out|symbolic link/.test(w.message))
    .map((w) =>
      formatIssue({ path: w.path ?? "", message: w.message, ...(w.pos && { pos: w.pos }) }).replace(
        base,
        "<tmp>",
      ),
    );
}

describe("pathEscapeWarnings (through loadStack)", () => {
  it("warns, located, about .. escapes of bind mounts, env_file, build context and secrets", async () => {
    const w = await warningsFor(
      `services:
  a:
    image: x
    volumes: ["../elsewhere:/data", "./inside:/in", "/abs:/abs"]
    env_file: ../elsewhere/app.env
    build: ../elsewhere
    secrets: [key]
secrets:
  key:
    file: ../elsewhere/key
`,
      (dir) => mkdirSync(join(dir, "inside")),
    );
    expect(w.map((l) => l.replace(/, to .*$/, ""))).toEqual([
      expect.stringMatching(
        /stack\.yml:4:15 services\.a\.volumes\[0\] bind mount \.\.\/elsewhere climbs out of the stack file's directory with "\.\."$/,
      ),
      expect.stringMatching(
        /stack\.yml:5:15 services\.a\.env_file env_file \.\.\/elsewhere\/app\.env climbs out/,
      ),
      expect.stringMatching(
        /stack\.yml:6:12 services\.a\.build build context \.\.\/elsewhere climbs out/,
      ),
      expect.stringMatching(
        /stack\.yml:10:11 secrets\.key\.file secret \.\.\/elsewhere\/key climbs out/,
      ),
    ]);
  });

  it("warns about a path inside the directory that a symlink takes outside, never with content", async () => {
    const w = await warningsFor(
      `services:
  a:
    image: x
    volumes:
      - type: bind
        source: ./conf
        target: /conf
    env_file: [{ path: ./link/app.env }]
    secrets: [key]
secrets:
  key:
    file: ./link/key
`,
      (dir, outside) => {
        symlinkSync(outside, join(dir, "conf"));
        symlinkSync(outside, join(dir, "link"));
      },
    );
    expect(w).toEqual([
      expect.stringMatching(
        /stack\.yml:6:17 services\.a\.volumes\[0\]\.source bind mount \.\/conf is inside the stack file's directory but a symbolic link takes it to .*elsewhere, outside it$/,
      ),
      expect.stringMatching(
        /stack\.yml:8:24 services\.a\.env_file\[0\]\.path env_file \.\/link\/app\.env is inside .* symbolic link/,
      ),
      expect.stringMatching(
        /stack\.yml:12:11 secrets\.key\.file secret \.\/link\/key is inside .* symbolic link/,
      ),
    ]);
    expect(w.join("\n")).not.toContain("s3cret");
  });
});
