/**
 * Shell completion of the built CLI: the scripts come from the command tree, and `stack
 * complete -- WORDS` (what they call at each TAB) offers commands, options, option choices,
 * services from the stack file and profiles.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { filesInWords } from "../../../../src/cli/commands/completion.js";

const CLI = resolve("dist/cli/main.js");

function run(args: string[], cwd = process.cwd()) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    // Nothing answers here: stack names are left out after the short engine limit.
    env: { ...process.env, DOCKER_HOST: "tcp://127.0.0.1:1" },
    timeout: 30_000,
  });
}

/** The values offered for `words` (the last one is the word being completed). */
function offered(words: string[], cwd?: string): string[] {
  const r = run(["complete", "--", ...words], cwd);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith(":"))
    .map((l) => l.split("\t")[0] ?? "");
}

describe.skipIf(!existsSync(CLI) && process.env["CI"] !== "true")("stack completion", () => {
  it("prints bash, zsh and fish scripts that ask stack itself", () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = run(["completion", shell]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("stack complete --");
    }
    expect(run(["completion", "tcsh"]).status).toBe(2);
  });

  it("offers every command, each command's options and option choices", () => {
    const commands = offered([""]);
    for (const c of ["deploy", "exec", "run", "port", "restart", "stop", "wait", "completion"])
      expect(commands).toContain(c);
    expect(offered(["exec", "--"])).toEqual(
      expect.arrayContaining([
        "--index",
        "--user",
        "--workdir",
        "--env",
        "--project-name",
        "--file",
      ]),
    );
    expect(offered(["ps", "--driver", ""])).toEqual(["docker", "swarm"]);
  });

  it("offers the stack file's services and profiles", () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-complete-"));
    writeFileSync(
      join(dir, "compose.yaml"),
      "services:\n  web:\n    image: x\n  worker:\n    image: x\n    profiles: [jobs]\n",
    );
    expect(offered(["exec", ""], dir)).toEqual(["web", "worker"]);
    expect(offered(["logs", "w"], dir)).toEqual(["web", "worker"]);
    expect(offered(["deploy", "--profile", ""], dir)).toEqual(["jobs"]);
    const other = mkdtempSync(join(tmpdir(), "stack-complete-"));
    expect(offered(["-f", join(dir, "compose.yaml"), "restart", ""], other)).toEqual([
      "web",
      "worker",
    ]);
  });

  it("finds the stack files named among the words typed", () => {
    expect(filesInWords(["-f", "a.yml", "ps", "--file=b.yml", "-c", "c.yml"])).toEqual([
      "a.yml",
      "b.yml",
      "c.yml",
    ]);
  });
});
