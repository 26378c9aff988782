/**
 * The get-started lab end to end with the built CLI: examples/getstartedlab built offline on
 * the Debian base image, five replicas behind the ingress on one port, the Redis visit
 * counter surviving `stack rm`, and a start-first rolling update that fails no request.
 */
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rawDocker, requireEngine, uniqueStackName } from "../integration/docker/helpers.js";
import {
  cleanupExample,
  BASE_IMAGE,
  INGRESS_IMAGE,
  freePort,
  http,
  requireCli,
  runStack,
  runStackAsync,
} from "./example-helpers.js";

requireCli();
const engine = await requireEngine();
const docker = rawDocker();
const FILE = resolve("examples/getstartedlab/stack.yml");
const stack = uniqueStackName("gsl");
const port = await freePort();
const env = {
  WEB_PORT: `127.0.0.1:${port}`,
  WEB_IMAGE: `stack-e2e/friendlyhello:${stack}`,
  WEB_BASE_IMAGE: BASE_IMAGE,
  REDIS_IMAGE: BASE_IMAGE,
  STACK_INGRESS_IMAGE: INGRESS_IMAGE,
};

function hostname(body: string): string | undefined {
  return /<b>Hostname:<\/b> ([^<]+)</.exec(body)?.[1];
}

function visits(body: string): number {
  return Number(/<b>Visits:<\/b> (\d+)/.exec(body)?.[1] ?? Number.NaN);
}

afterAll(async () => {
  if (engine !== undefined) await cleanupExample(stack, env.WEB_IMAGE);
});

describe.skipIf(engine === undefined)("examples/getstartedlab", () => {
  let lastCount = 0;

  it("builds the app and serves five replicas behind one port", async () => {
    const r = runStack(["deploy", "-c", FILE, "--wait", "--progress", "plain", stack], env);
    expect(r.stderr + r.stdout).toContain("build image");
    expect(r.status, r.stderr).toBe(0);
    const hosts = new Set<string>();
    let previous = 0;
    for (let i = 0; i < 50; i++) {
      const res = await http(port);
      expect(res.status).toBe(200);
      expect(res.body).toContain("Hello World!");
      hosts.add(hostname(res.body) ?? "");
      const count = visits(res.body);
      expect(count).toBeGreaterThan(previous);
      previous = count;
    }
    expect(hosts.size).toBeGreaterThanOrEqual(4);
    lastCount = previous;
    const ps = runStack(["ps", stack], env);
    expect(ps.stdout).toContain(`${stack}_ingress`);
    expect(ps.stdout).toContain(`127.0.0.1:${port}->`);
  });

  it("keeps the visit count across stack rm and a new deploy", async () => {
    const rm = runStack(["rm", stack], env);
    expect(rm.status, rm.stderr).toBe(0);
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`stack.name=${stack}`] },
    });
    expect(left).toEqual([]);
    const again = runStack(["deploy", "-c", FILE, "--wait", stack], env);
    expect(again.status, again.stderr).toBe(0);
    // Nothing changed in the context: the image is not built again.
    expect(again.stderr).not.toContain("build image");
    const res = await http(port);
    expect(res.status).toBe(200);
    expect(visits(res.body)).toBe(lastCount + 1);
  });

  it("rolls a start-first update under a steady request loop without a failed request", async () => {
    const rolled = { ...env, NAME: "Rolled" };
    const update = runStackAsync(["deploy", "-c", FILE, "--progress", "plain", stack], rolled);
    let finished = false;
    void update.then(() => (finished = true));
    const failures: string[] = [];
    let requests = 0;
    const deadline = Date.now() + 180_000;
    while (!finished && Date.now() < deadline) {
      requests += 1;
      try {
        const res = await http(port);
        if (res.status !== 200) failures.push(`HTTP ${res.status}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
    const result = await update;
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain("start-first");
    expect(requests).toBeGreaterThan(20);
    expect(failures).toEqual([]);
    const after = await http(port);
    expect(after.body).toContain("Hello Rolled!");
  });
});
