/**
 * The microblog's own tests, written as an application's CI would write them: one stack per
 * test file, brought up in `beforeAll` with `up()` and removed in `afterAll`. `up()` returns
 * once MySQL and Elasticsearch are healthy, the app is healthy and its port answers, so
 * the tests start with requests, not polling.
 *
 *   npx vitest run examples/microblog
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { up, type StackHandle } from "stack-converge";

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

let env: StackHandle;
let base: string;

beforeAll(async () => {
  env = await up({ files: [here("../stack.yml"), here("stack.test.yml")] });
  base = await env.url("microblog", 5000);
}, 300_000);

afterAll(() => env?.down());

interface Post {
  readonly id: number;
  readonly author: string;
  readonly body: string;
}

async function posts(path: string): Promise<Post[]> {
  const res = await fetch(new URL(path, base));
  expect(res.status).toBe(200);
  return ((await res.json()) as { posts: Post[] }).posts;
}

describe("microblog", () => {
  it("is healthy with its database and search engine", async () => {
    const res = await fetch(new URL("/health", base));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ posts: 0 });
  });

  it("stores a post in MySQL and finds it by search", async () => {
    const created = await fetch(new URL("/posts", base), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ author: "ci", body: "hello from the zebrafish test" }),
    });
    expect(created.status).toBe(201);

    expect((await posts("/search?q=zebrafish")).map((p) => p.body)).toEqual([
      "hello from the zebrafish test",
    ]);
    expect(await posts("/search?q=unicorn")).toEqual([]);

    // Straight from the database, as the app's user sees it.
    const sql = await env.exec("mysql", [
      "mysql",
      "-u",
      "microblog",
      "-pmicroblog",
      "-N",
      "-e",
      "SELECT author, body FROM microblog.posts",
    ]);
    expect(sql.exitCode).toBe(0);
    expect(sql.stdout).toBe("ci\thello from the zebrafish test\n");
  });

  it("rejects a post without a body", async () => {
    const res = await fetch(new URL("/posts", base), { method: "POST", body: "author=ci" });
    expect(res.status).toBe(400);
  });

  it("keeps posts when the app restarts", async () => {
    const before = await posts("/posts");
    await env.restart(["microblog"]);
    // A restart changes no published port here, but a test asks again rather than assume.
    base = await env.url("microblog", 5000);
    await expect
      .poll(async () => (await fetch(new URL("/health", base))).status, {
        timeout: 60_000,
      })
      .toBe(200);
    expect(await posts("/posts")).toEqual(before);
    // gunicorn's own lines: the old server shut down and a new one started.
    expect(await env.logs("microblog")).toMatch(/Shutting down: Master[\s\S]*Starting gunicorn/);
  });
});
