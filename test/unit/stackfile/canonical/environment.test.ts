import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normaliseEnvironment } from "../../../../src/stackfile/canonical/environment.js";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import { docFromYaml } from "../normalise-fixture.js";

function run(
  yaml: string,
  options: { workingDir?: string; environment?: Record<string, string> } = {},
) {
  const doc = docFromYaml(yaml, options);
  const ctx = new NormaliseContext(doc);
  const env = normaliseEnvironment(doc.value as Record<string, unknown>, [], ctx);
  return { env, issues: ctx.issues };
}

describe("environment", () => {
  it("reads the list form, resolving a bare KEY from the environment or null", () => {
    const { env, issues } = run(
      "environment:\n  - B=2\n  - discovery.type=single-node\n  - A=x=y\n  - FROM_ENV\n  - UNSET\n  - EMPTY=\n",
      { environment: { FROM_ENV: "here" } },
    );
    expect(issues).toEqual([]);
    expect(env).toEqual({
      A: "x=y",
      B: "2",
      EMPTY: "",
      FROM_ENV: "here",
      UNSET: null,
      "discovery.type": "single-node",
    });
    expect(Object.keys(env)).toEqual(["A", "B", "EMPTY", "FROM_ENV", "UNSET", "discovery.type"]);
  });

  it("stringifies map values as compose does and resolves null like a bare key", () => {
    const { env } = run(
      "environment:\n  PORT: 80\n  DEBUG: true\n  RATIO: 0.5\n  OFF: false\n  HOME_DIR:\n  NAME: web\n",
      {
        environment: { HOME_DIR: "/root" },
      },
    );
    expect(env).toEqual({
      DEBUG: "true",
      HOME_DIR: "/root",
      NAME: "web",
      OFF: "false",
      PORT: "80",
      RATIO: "0.5",
    });
  });

  it("merges env_file entries in order, environment winning, relative to the working dir", () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-env-"));
    writeFileSync(join(dir, "a.env"), "A=from-a\nB=from-a\nC=from-a\n");
    writeFileSync(join(dir, "b.env"), "B=from-b\n");
    const { env, issues } = run(
      "env_file:\n  - a.env\n  - path: b.env\n  - path: missing.env\n    required: false\nenvironment:\n  C: from-environment\n",
      { workingDir: dir },
    );
    expect(issues).toEqual([]);
    expect(env).toEqual({ A: "from-a", B: "from-b", C: "from-environment" });
  });

  it("accepts env_file as a single string", () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-env-"));
    writeFileSync(join(dir, ".env.web"), "X=1\n");
    expect(run("env_file: .env.web\n", { workingDir: dir }).env).toEqual({ X: "1" });
  });

  it("reports a missing required env_file at its entry", () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-env-"));
    const { issues } = run("env_file:\n  - nope.env\n", { workingDir: dir });
    expect(issues).toEqual([
      {
        pos: { file: "/project/stack.yml", line: 2, col: 5 },
        path: "env_file[0]",
        message: `env file ${join(dir, "nope.env")} not found`,
      },
    ]);
  });
});
