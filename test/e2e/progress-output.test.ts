/**
 * What plain progress (`--progress plain`, the output of CI logs) says, through the built CLI
 * on a real engine: a build is reported as a build, line by line, never as a pull; one
 * crashed dependency is one FAILED line, however its dependents name it (`links:` beside
 * `depends_on`).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  cleanupStack,
  rawDocker,
  requireEngine,
  TEST_IMAGE,
  uniqueStackName,
} from "../integration/docker/helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const engine = await requireEngine();
const docker = rawDocker();
const stacks: string[] = [];
const tags: string[] = [];

afterAll(async () => {
  if (engine === undefined) return;
  for (const s of stacks) await cleanupStack(s);
  for (const t of tags)
    await docker
      .getImage(t)
      .remove({ force: true })
      .catch(() => undefined);
});

function stack(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 180_000 });
}

/** A directory holding `files`; returns the path of its stack.yml. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-progress-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return join(dir, "stack.yml");
}

describe.skipIf(engine === undefined)("plain progress on a real engine", () => {
  it("labels a real build's output as a build, step by step, and never as a pull", () => {
    const name = uniqueStackName("buildout");
    stacks.push(name);
    const tag = `stack-test/progress-${name}:latest`;
    tags.push(tag);
    const file = project({
      "app/Dockerfile": `FROM ${TEST_IMAGE}\nCOPY greeting /greeting\nRUN cat /greeting\n`,
      "app/greeting": "hello from the build\n",
      "stack.yml": `services:\n  app:\n    image: ${tag}\n    build: ./app\n    command: ["sleep", "3600"]\n`,
    });
    const r = stack(["deploy", "-c", file, name, "--progress", "plain"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split("\n");
    expect(lines).toContain(`  build   ${tag}: Step 1/4 : FROM ${TEST_IMAGE}`);
    expect(lines).toContain(`  build   ${tag}: Step 2/4 : COPY greeting /greeting`);
    expect(lines).toContain(`  build   ${tag}: Step 3/4 : RUN cat /greeting`);
    // The engine's build API adds the labels as a last step (stack.build-hash among them).
    expect(lines.some((l) => l.startsWith(`  build   ${tag}: Step 4/4 : LABEL `))).toBe(true);
    // What a step printed is there too, under the same label.
    expect(lines).toContain(`  build   ${tag}: hello from the build`);
    expect(lines.filter((l) => l.startsWith("  pull "))).toEqual([]);
    expect(lines.some((l) => l.startsWith(`  done    build image ${tag} (`))).toBe(true);
  });

  it("reports one crashed dependency once, with links beside depends_on", () => {
    const name = uniqueStackName("onefail");
    stacks.push(name);
    const file = project({
      "stack.yml": [
        "services:",
        "  mysql:",
        `    image: ${TEST_IMAGE}`,
        '    command: ["sh", "-c", "echo mysqld crashed >&2; exit 3"]',
        '    restart: "no"',
        "    healthcheck:",
        '      test: ["CMD", "true"]',
        "      interval: 1s",
        "  app:",
        `    image: ${TEST_IMAGE}`,
        '    command: ["sleep", "3600"]',
        "    links: [mysql:dbserver]",
        "    depends_on:",
        "      mysql:",
        "        condition: service_healthy",
        "  worker:",
        `    image: ${TEST_IMAGE}`,
        '    command: ["sleep", "3600"]',
        "    links: [mysql:dbserver]",
        "",
      ].join("\n"),
    });
    const r = stack(["deploy", "-c", file, name, "--progress", "plain"]);
    expect(r.status).toBe(1);
    const failed = r.stderr.split("\n").filter((l) => l.startsWith("  FAILED "));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(
      /^ {2}FAILED {2}wait for mysql \(service healthy\): .*exited with code 3/,
    );
    // Both dependents were held back by that one failure.
    expect(r.stderr).toContain(`  skipped create container ${name}_app.1:`);
    expect(r.stderr).toContain(`  skipped create container ${name}_worker.1:`);
    expect(r.stderr).toMatch(/^failed: 1 failed, 2 skipped, /m);
  });
});
