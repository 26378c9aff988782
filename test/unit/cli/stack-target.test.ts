import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CliExit } from "../../../src/cli/handle-error.js";
import type { StackInput } from "../../../src/cli/options.js";
import { resolveTarget } from "../../../src/cli/stack-target.js";
import { SpecError } from "../../../src/stackfile/errors.js";

const FILE = `services:
  web:
    image: busybox
  db:
    image: busybox
  tools:
    image: busybox
    profiles: [debug]
`;

/** A fresh directory named `name` holding `files`; returns its path. */
function project(name: string, files: Record<string, string> = { "compose.yaml": FILE }): string {
  const dir = join(mkdtempSync(join(tmpdir(), "stack-target-")), name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const none: StackInput = { files: [], envFiles: [], profiles: [] };

let cwd: string;
let envName: string | undefined;
beforeEach(() => {
  cwd = process.cwd();
  envName = process.env["COMPOSE_PROJECT_NAME"];
  delete process.env["COMPOSE_PROJECT_NAME"];
});
afterEach(() => {
  process.chdir(cwd);
  if (envName === undefined) delete process.env["COMPOSE_PROJECT_NAME"];
  else process.env["COMPOSE_PROJECT_NAME"] = envName;
});

describe("the stack a command means", () => {
  it("is the stack file's directory, normalised as compose does, when nothing names it", async () => {
    process.chdir(project("My App.Dir"));
    const t = await resolveTarget(none, [], "name-then-services");
    expect(t.stacks).toEqual(["myappdir"]);
    expect(t.spec?.name).toBe("myappdir");
  });

  it("is the file's name:, then COMPOSE_PROJECT_NAME, then -p, each over the one before", async () => {
    process.chdir(project("dir", { "compose.yaml": `name: From_File\n${FILE}` }));
    expect((await resolveTarget(none, [], "services")).stacks).toEqual(["from_file"]);
    process.env["COMPOSE_PROJECT_NAME"] = "from-env";
    expect((await resolveTarget(none, [], "services")).stacks).toEqual(["from-env"]);
    const t = await resolveTarget({ ...none, projectName: "from-cli" }, ["web"], "services");
    expect([t.stacks, t.services, t.spec?.name]).toEqual([["from-cli"], ["web"], "from-cli"]);
  });

  it("reads a first argument that is a service of the file as a service, else as the stack name", async () => {
    process.chdir(project("shop"));
    const services = await resolveTarget(none, ["web", "db"], "name-then-services");
    expect([services.stacks, services.services]).toEqual([["shop"], ["web", "db"]]);
    const named = await resolveTarget(none, ["other", "web"], "name-then-services");
    expect([named.stacks, named.services]).toEqual([["other"], ["web"]]);
    // `stack ps NAME` names another stack: the file in the directory is not read for it.
    expect(named.spec).toBeUndefined();
    const withP = await resolveTarget({ ...none, projectName: "p" }, ["web"], "name-then-services");
    expect([withP.stacks, withP.services]).toEqual([["p"], ["web"]]);
  });

  it("takes the file given with -f from another directory, and its directory for the name", async () => {
    const dir = project("elsewhere", { "stack.yml": FILE });
    process.chdir(project("here", {}));
    const t = await resolveTarget({ ...none, files: [join(dir, "stack.yml")] }, [], "services");
    expect(t.stacks).toEqual(["elsewhere"]);
  });

  it("rejects a service the file does not have (exit 2), and enables the profile of one it names", async () => {
    process.chdir(project("shop"));
    await expect(resolveTarget(none, ["nope"], "services")).rejects.toThrow(SpecError);
    const t = await resolveTarget(none, ["tools"], "services");
    expect(Object.keys(t.spec?.services ?? {}).sort()).toEqual(["db", "tools", "web"]);
  });

  it("without a stack file: -p, COMPOSE_PROJECT_NAME or a positional name, else exit 2 saying how to name it", async () => {
    process.chdir(project("empty", {}));
    expect((await resolveTarget(none, ["app", "web"], "name-then-services")).stacks).toEqual([
      "app",
    ]);
    process.env["COMPOSE_PROJECT_NAME"] = "env-app";
    expect((await resolveTarget(none, ["web"], "services")).stacks).toEqual(["env-app"]);
    delete process.env["COMPOSE_PROJECT_NAME"];
    const err = await resolveTarget(none, ["web"], "services").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliExit);
    expect((err as CliExit).code).toBe(2);
    expect((err as CliExit).message).toMatch(/-p NAME/);
    await expect(resolveTarget(none, [], "services", { needFile: true })).rejects.toThrow(
      /no stack file/,
    );
  });

  it("keeps `stack ps NAME` working beside a broken stack file, and reports the file when it is needed", async () => {
    process.chdir(project("broken", { "compose.yaml": "services: [" }));
    expect((await resolveTarget(none, ["app"], "name-then-services")).stacks).toEqual(["app"]);
    await expect(resolveTarget(none, [], "name-then-services")).rejects.toThrow(SpecError);
  });

  it("refuses two different stack names and an invalid one (exit 2)", async () => {
    process.chdir(project("shop"));
    const two = await resolveTarget({ ...none, projectName: "a" }, ["b"], "names").catch(
      (e: unknown) => e,
    );
    expect((two as CliExit).message).toMatch(/two stack names/);
    const bad = await resolveTarget(none, ["Bad!"], "names").catch((e: unknown) => e);
    expect((bad as CliExit).code).toBe(2);
    expect((await resolveTarget(none, ["a", "b"], "names")).stacks).toEqual(["a", "b"]);
  });
});
