import { afterAll, beforeAll, expect, it } from "vitest";
import { up, type StackHandle } from "stack-converge";

let env: StackHandle;

beforeAll(async () => {
  // Returns once web is healthy, the workers run and the published port answers.
  env = await up({ files: ["examples/hello/stack.yml", "examples/hello/test/stack.test.yml"] });
}, 300_000);

afterAll(() => env?.down()); // down({ volumes: false }) would keep the named volume

it("serves its page on the published port", async () => {
  const res = await fetch(await env.url("web", 8080)); // http://127.0.0.1:PORT/
  expect(res.status).toBe(200);
  const { host, port } = await env.port("web", 8080);
  expect(await res.text()).toMatch(/^hello from /);
  expect([host, port > 0]).toEqual(["127.0.0.1", true]);
});

it("runs commands in a replica and reads the logs", async () => {
  const { exitCode, stdout } = await env.exec("web", ["cat", "/www/index.html"]);
  expect(exitCode).toBe(0);
  expect(stdout).toMatch(/^hello from /);
  expect(await env.logs("worker", { index: 3 })).toContain("alive");
  expect((await env.container("worker", 3)).state).toBe("running");
});
