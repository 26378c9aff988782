/**
 * Helpers of the example end-to-end tests: the built CLI run synchronously or in the
 * background, free loopback ports, and HTTP requests on a fresh connection each (so the
 * ingress balances every request, not one keep-alive connection).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { cleanupStack, rawDocker } from "../integration/docker/helpers.js";

export const CLI = resolve("dist/cli/main.js");

/** Images scripts/build-example-images.sh makes; the offline examples build on them. */
export const BASE_IMAGE = "stack-example/debian-base:bookworm";
export const INGRESS_IMAGE = "stack-test/haproxy:latest";

/** Throws unless `npm run build` made the CLI. */
export function requireCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
}

/** Runs the CLI and waits for it (3 minutes at most). */
export function runStack(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 180_000,
  });
}

/** Runs the CLI in the background; resolves with its exit code and output. */
export function runStackAsync(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ status: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, output });
    });
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? done(address.port) : fail(new Error("no port")),
      );
    });
  });
}

/** One HTTP response, or the error that prevented it. */
export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/** One request on a new connection to 127.0.0.1:`port` (`Connection: close`). */
export function http(
  port: number,
  path = "/",
  options: { readonly method?: string; readonly body?: string; readonly timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        agent: false,
        headers: {
          connection: "close",
          ...(options.body !== undefined && {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(options.body),
          }),
        },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => done({ status: res.statusCode ?? 0, body }));
        res.on("error", fail);
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", fail);
    req.end(options.body);
  });
}

/** Removes an example's stack (containers, networks, volumes) and the image its deploy built. */
export async function cleanupExample(stack: string, builtImage: string): Promise<void> {
  await cleanupStack(stack);
  await rawDocker()
    .getImage(builtImage)
    .remove({ force: true })
    .catch(() => undefined);
}
