/**
 * Deploys that collide or outlive their engine, through the built CLI as users run it: three
 * deploys of one stack started together all succeed with exactly the file's replicas; two
 * files deployed at once leave the state of the deploy that finished last (the stack's lock
 * orders them). A dockerd SIGKILLed in the middle of a deploy is in
 * test/integration/docker/fault-engine.test.ts (one file per engine that gets killed).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stackFilter } from "../../src/drivers/docker-api/labels.js";
import {
  cleanupStack,
  requireEngine,
  TEST_IMAGE,
  uniqueStackName,
} from "../integration/docker/helpers.js";
import { requireCli, runStackAsync } from "./example-helpers.js";

requireCli();
const engine = await requireEngine();
const dir = mkdtempSync(join(tmpdir(), "stack-safety-"));
const stacks: string[] = [];

afterAll(async () => {
  for (const s of stacks) await cleanupStack(s);
  rmSync(dir, { recursive: true, force: true });
});

/** A stack file of one service `web` with `replicas` replicas that stop at once on SIGTERM. */
function stackFile(name: string, replicas: number): string {
  const file = join(dir, `${name}-${replicas}.yml`);
  writeFileSync(
    file,
    `services:
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    deploy:
      replicas: ${replicas}
`,
  );
  return file;
}

/** Names and states of the stack's containers on the engine at `host` (all, with `docker ps -a`). */
function containers(stack: string, host?: string): { name: string; state: string }[] {
  const out = execFileSync(
    "docker",
    [
      ...(host === undefined ? [] : ["-H", host]),
      "ps",
      "-a",
      "--filter",
      `label=${stackFilter(stack)}`,
      "--format",
      "{{.Names}} {{.State}}",
    ],
    { encoding: "utf8" },
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [name, state] = l.split(" ");
      return { name: name!, state: state! };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

const expected = (stack: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `${stack}_web.${i + 1}`, state: "running" })).sort(
    (a, b) => (a.name < b.name ? -1 : 1),
  );

describe.skipIf(engine === undefined)("deploys that collide", () => {
  it("three deploys of one stack at once all succeed with exactly its replicas", async () => {
    const stack = uniqueStackName("trio");
    stacks.push(stack);
    const file = stackFile(stack, 3);
    const runs = await Promise.all(
      [1, 2, 3].map(() => runStackAsync(["deploy", "-c", file, stack, "--progress", "plain"], {})),
    );
    for (const r of runs) expect(r.status, r.output).toBe(0);
    expect(containers(stack)).toEqual(expected(stack, 3));
  });

  it("two files deployed at once leave the state of the deploy that finished last", async () => {
    const stack = uniqueStackName("duel");
    stacks.push(stack);
    const finished: number[] = [];
    const deploy = (replicas: number) =>
      runStackAsync(
        ["deploy", "-c", stackFile(stack, replicas), stack, "--progress", "plain"],
        {},
      ).then((r) => {
        finished.push(replicas);
        return r;
      });
    const [two, five] = await Promise.all([deploy(2), deploy(5)]);
    expect(two.status, two.output).toBe(0);
    expect(five.status, five.output).toBe(0);
    const last = finished[finished.length - 1]!;
    expect(containers(stack)).toEqual(expected(stack, last));
  });
});
