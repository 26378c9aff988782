/**
 * The offline MySQL image (stack-example/mariadb:bookworm, test/mariadb-debian/) started with
 * the official mysql image's variables, the way users' files set them: the Flask Mega-Tutorial's
 * MYSQL_RANDOM_ROOT_PASSWORD with a database and user, MYSQL_ALLOW_EMPTY_PASSWORD, and none of
 * the three root-password variables. Clients connect from a second container over the network
 * by alias, as an app in the same stack does.
 */
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueStackName, waitFor } from "../integration/docker/helpers.js";
import {
  cleanupRun,
  containerOutput,
  execIn,
  requireImages,
  runToCompletion,
  RUN_LABEL,
  type Run,
} from "./helpers.js";

const MYSQL_IMAGE = "stack-example/mariadb:bookworm";

const docker = await requireImages([MYSQL_IMAGE]);
const run = uniqueStackName("images-mariadb");
const network = `${run}-net`;
const labels = { [RUN_LABEL]: run };

beforeAll(async () => {
  if (docker !== undefined) await docker.createNetwork({ Name: network, Labels: labels });
});

afterAll(async () => {
  if (docker !== undefined) await cleanupRun(docker, run);
});

/**
 * Starts the image as `alias` on the test network with `env` and waits until it is healthy by
 * the microblog example's check (mysqladmin ping over TCP, which the image opens only once the
 * database and users exist). Throws with the container's log if it exits instead.
 */
async function startMysql(
  engine: Dockerode,
  alias: string,
  env: Readonly<Record<string, string>>,
): Promise<Dockerode.Container> {
  const container = await engine.createContainer({
    name: `${run}-${alias}`,
    Image: MYSQL_IMAGE,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: labels,
    Healthcheck: {
      Test: ["CMD-SHELL", "mysqladmin ping -h 127.0.0.1 --silent"],
      Interval: 500_000_000,
      Timeout: 5_000_000_000,
      Retries: 240,
    },
    HostConfig: { NetworkMode: network },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [alias] } } },
  });
  await container.start();
  const state = await waitFor(
    async () => {
      const { State } = await container.inspect();
      if (!State.Running) return "exited";
      return State.Health?.Status === "healthy" ? "healthy" : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250, what: `${alias} to become healthy` },
  );
  if (state === "exited") {
    const { stdout, stderr } = await containerOutput(container);
    throw new Error(`${alias} exited during start-up:\n${stdout}${stderr}`);
  }
  return container;
}

/** Runs the mariadb client in a second container against `host` with `args`. */
function mysqlClient(engine: Dockerode, host: string, args: readonly string[]): Promise<Run> {
  return runToCompletion(engine, {
    Image: MYSQL_IMAGE,
    Cmd: ["mariadb", "--batch", "--skip-column-names", "-h", host, ...args],
    Labels: labels,
    HostConfig: { NetworkMode: network },
  });
}

describe.skipIf(docker === undefined)("stack-example/mariadb:bookworm", () => {
  const engine = docker as Dockerode;

  it("with the tutorial's MYSQL_RANDOM_ROOT_PASSWORD becomes ready, prints the root password, and the app user can create a table", async () => {
    const password = "microblog-pw";
    const db = await startMysql(engine, "dbserver", {
      MYSQL_RANDOM_ROOT_PASSWORD: "yes",
      MYSQL_DATABASE: "microblog",
      MYSQL_USER: "microblog",
      MYSQL_PASSWORD: password,
    });

    const app = await mysqlClient(engine, "dbserver", [
      "-u",
      "microblog",
      `--password=${password}`,
      "microblog",
      "-e",
      "CREATE TABLE post (id INT PRIMARY KEY, body VARCHAR(140));" +
        "INSERT INTO post VALUES (1, 'hello from microblog');" +
        "SELECT body FROM post; SELECT CURRENT_USER();",
    ]);
    expect(app.exitCode, app.stderr).toBe(0);
    expect(app.stdout.split("\n")).toEqual(["hello from microblog", "microblog@%", ""]);

    // Printed once, in the official image's words; it is root's password from anywhere.
    const { stdout } = await containerOutput(db);
    const printed = [...stdout.matchAll(/GENERATED ROOT PASSWORD: (\S+)/g)].map((m) => m[1]);
    expect(printed).toHaveLength(1);
    const rootPassword = printed[0] ?? "";
    expect(rootPassword).toMatch(/^[A-Za-z0-9+/]{32}$/);
    const root = await mysqlClient(engine, "dbserver", [
      "-u",
      "root",
      `--password=${rootPassword}`,
      "-e",
      "SELECT CURRENT_USER(); SHOW DATABASES LIKE 'microblog';",
    ]);
    expect(root.exitCode, root.stderr).toBe(0);
    expect(root.stdout.split("\n")).toEqual(["root@%", "microblog", ""]);

    // No root account is left without a password: not over the network, and not over TCP
    // from inside the container (mariadb-install-db's root@127.0.0.1 and friends are gone).
    const anonymous = await mysqlClient(engine, "dbserver", ["-u", "root", "-e", "SELECT 1"]);
    expect(anonymous.exitCode).not.toBe(0);
    expect(anonymous.stderr).toContain("Access denied");
    const inside = await execIn(db, ["mariadb", "-h", "127.0.0.1", "-u", "root", "-e", "SELECT 1"]);
    expect(inside.exitCode).not.toBe(0);
    expect(inside.stderr).toContain("Access denied");
  });

  it("with MYSQL_ALLOW_EMPTY_PASSWORD root has an empty password and no password is generated", async () => {
    const db = await startMysql(engine, "emptyroot", {
      MYSQL_ALLOW_EMPTY_PASSWORD: "yes",
      MYSQL_DATABASE: "app",
    });
    const root = await mysqlClient(engine, "emptyroot", [
      "-u",
      "root",
      "app",
      "-e",
      "CREATE TABLE t (n INT); INSERT INTO t VALUES (7); SELECT n FROM t; SELECT CURRENT_USER();",
    ]);
    expect(root.exitCode, root.stderr).toBe(0);
    expect(root.stdout.split("\n")).toEqual(["7", "root@%", ""]);
    expect((await containerOutput(db)).stdout).not.toContain("GENERATED ROOT PASSWORD");
  });

  it("without any root password variable exits 1 naming the three, as the official image does", async () => {
    const result = await runToCompletion(engine, {
      Image: MYSQL_IMAGE,
      Env: ["MYSQL_DATABASE=microblog"],
      Labels: labels,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      "Database is uninitialized and password option is not specified",
    );
    for (const variable of [
      "MYSQL_ROOT_PASSWORD",
      "MYSQL_ALLOW_EMPTY_PASSWORD",
      "MYSQL_RANDOM_ROOT_PASSWORD",
    ]) {
      expect(result.stderr).toContain(`- ${variable}`);
    }
  });
});
