/**
 * Secrets on the docker driver, through the built CLI against a real engine: readable by the
 * service's user only, absent from `docker inspect`, `stack config` and error messages, and a
 * content change rolls the service.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import { afterAll, describe, expect, it } from "vitest";
import { LABELS } from "../../src/drivers/docker-api/labels.js";
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

function stack(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 180_000,
  });
}

/**
 * `docker exec` as `user`, returning exit code and output. Without a TTY the output is
 * framed (stdout/stderr multiplexed) on every engine; dockerode's demuxer strips the frames.
 * (Started with `Tty: true` it came raw from dockerd 20.10 but still framed from Podman 4.3.)
 */
async function execAs(id: string, user: string, cmd: string[]) {
  const exec = await docker.getContainer(id).exec({
    Cmd: cmd,
    User: user,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, output, output);
  await finished(stream);
  const info = await exec.inspect();
  return { code: info.ExitCode, out: Buffer.concat(chunks).toString() };
}

async function appContainer(name: string) {
  const list = await docker.listContainers({
    filters: { label: [`${LABELS.stack}=${name}`, `${LABELS.service}=app`] },
  });
  expect(list).toHaveLength(1);
  return list[0]!.Id;
}

afterAll(async () => {
  if (engine) for (const s of stacks) await cleanupStack(s);
});

describe.skipIf(engine === undefined)("secrets on the docker driver", () => {
  const dir = mkdtempSync(join(tmpdir(), "stack-secrets-"));
  const secretFile = join(dir, "db_password.txt");
  const file = join(dir, "stack.yml");
  writeFileSync(
    file,
    `services:
  app:
    image: ${TEST_IMAGE}
    user: "1000:1000"
    command: ["sleep", "3600"]
    secrets:
      - db_password
      - source: api_token
        target: /etc/app/token
secrets:
  db_password:
    file: ./db_password.txt
  api_token:
    environment: STACK_TEST_API_TOKEN
`,
  );
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const token = `tok-${randomBytes(8).toString("hex")}`;
  const env = { STACK_TEST_API_TOKEN: token };

  it("mounts them for the service user only and shows them in no inspect field", async () => {
    const name = uniqueStackName("secrets");
    stacks.push(name);
    writeFileSync(secretFile, password);
    const up = stack(["deploy", "-c", file, name, "--progress", "plain"], env);
    expect(up.stderr + up.stdout).not.toContain(password);
    expect(up.stderr + up.stdout).not.toContain(token);
    expect(up.status).toBe(0);
    const id = await appContainer(name);

    const asUser = await execAs(id, "1000:1000", [
      "cat",
      "/run/secrets/db_password",
      "/etc/app/token",
    ]);
    expect(asUser).toEqual({ code: 0, out: `${password}${token}` });
    const other = await execAs(id, "1001:1001", ["cat", "/run/secrets/db_password"]);
    expect(other.code).toBe(1);
    const listing = await execAs(id, "1000", ["ls", "-ln", "/run/secrets/db_password"]);
    expect(listing.out).toMatch(/^-r-------- +1 1000 +1000 /);

    const inspect = JSON.stringify(await docker.getContainer(id).inspect());
    expect(inspect).not.toContain(password);
    expect(inspect).not.toContain(token);

    // A changed secret file rolls the service; the new replica reads the new content.
    const rotated = `${password}-rotated`;
    writeFileSync(secretFile, rotated);
    const again = stack(["deploy", "-c", file, name, "--progress", "plain"], env);
    expect(again.status).toBe(0);
    const newId = await appContainer(name);
    expect(newId).not.toBe(id);
    expect(await execAs(newId, "1000", ["cat", "/run/secrets/db_password"])).toEqual({
      code: 0,
      out: rotated,
    });
    // Unchanged content: nothing to do.
    const dry = stack(["deploy", "-c", file, name, "--dry-run"], env);
    expect(dry.stdout).toContain("up to date");
  });

  it("stack config masks secret values and an unset source is named, exit code 2", () => {
    writeFileSync(secretFile, password);
    const leaky = join(dir, "leaky.yml");
    writeFileSync(
      leaky,
      `services:\n  app:\n    image: ${TEST_IMAGE}\n    labels:\n      oops: "\${STACK_TEST_API_TOKEN}"\n    secrets: [api_token]\nsecrets:\n  api_token:\n    environment: STACK_TEST_API_TOKEN\n`,
    );
    const config = stack(["config", "-c", leaky, "--format", "json"], env);
    expect(config.status).toBe(0);
    expect(config.stdout).not.toContain(token);
    expect(config.stdout).toContain('"oops": "********"');

    const name = uniqueStackName("secrets-unset");
    const r = stack(["deploy", "-c", file, name], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /secrets\.api_token\.environment environment variable STACK_TEST_API_TOKEN is not set/,
    );
    expect(r.stderr).not.toContain(password);
  });
});
