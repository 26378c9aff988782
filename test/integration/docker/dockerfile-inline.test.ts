/**
 * `build.dockerfile_inline` on a real engine, through the built CLI: the service's image is
 * built from the Dockerfile written in the stack file, and changing that text rebuilds the
 * image and rolls the replica.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  cleanupStack,
  rawDocker,
  requireEngine,
  TEST_IMAGE,
  uniqueStackName,
  waitFor,
} from "./helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const engine = await requireEngine();
const docker = rawDocker();

function stack(args: string[]): { code: number | null; output: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 180_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(engine === undefined)("build.dockerfile_inline on a real engine", () => {
  const name = uniqueStackName("inline");
  // The built images (the name as the replica reports it, and the first build's ID, which
  // the rebuild leaves untagged): removed afterwards.
  const images: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "stack-inline-"));
  // A context with a Dockerfile of its own and a .dockerignore that would drop any other
  // dotfile: neither may get in the way of the inline one.
  writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
  writeFileSync(join(dir, ".dockerignore"), ".*\n");
  writeFileSync(join(dir, "greeting.txt"), "from-the-context\n");
  const file = join(dir, "stack.yml");
  const write = (version: string) =>
    writeFileSync(
      file,
      `services:
  web:
    build:
      context: .
      dockerfile_inline: |
        FROM ${TEST_IMAGE}
        COPY greeting.txt /greeting.txt
        RUN echo inline-${version} > /version.txt
        CMD ["sh", "-c", "cat /version.txt /greeting.txt; exec sleep 3600"]
    stop_grace_period: 1s
`,
    );

  afterAll(async () => {
    await cleanupStack(name);
    for (const image of images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
  });

  const logsOf = async (container: string) =>
    (await docker.getContainer(container).logs({ stdout: true, stderr: true })).toString("utf8");

  it("builds the service's image from the inline Dockerfile, which the replica runs", async () => {
    write("v1");
    const r = stack(["deploy", "-p", name, "-f", file, "--progress", "plain"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain("dockerfile_inline");
    const replica = await docker.getContainer(`${name}_web.1`).inspect();
    images.push(replica.Config.Image, replica.Image);
    const logs = await waitFor(
      async () => {
        const text = await logsOf(`${name}_web.1`);
        return text.includes("from-the-context") ? text : undefined;
      },
      { what: "the replica's output" },
    );
    expect(logs).toContain("inline-v1");
  });

  it("an unchanged redeploy builds nothing; changed inline content rebuilds and rolls the replica", async () => {
    const before = await docker.getContainer(`${name}_web.1`).inspect();
    const same = stack(["deploy", "-p", name, "-f", file, "--progress", "plain"]);
    expect(same.code, same.output).toBe(0);
    expect((await docker.getContainer(`${name}_web.1`).inspect()).Id).toBe(before.Id);

    write("v2");
    const r = stack(["deploy", "-p", name, "-f", file, "--progress", "plain"]);
    expect(r.code, r.output).toBe(0);
    const after = await docker.getContainer(`${name}_web.1`).inspect();
    expect(after.Id).not.toBe(before.Id);
    const logs = await waitFor(
      async () => {
        const text = await logsOf(`${name}_web.1`);
        return text.includes("from-the-context") ? text : undefined;
      },
      { what: "the new replica's output" },
    );
    expect(logs).toContain("inline-v2");
    expect(logs).not.toContain("inline-v1");
  });
});
