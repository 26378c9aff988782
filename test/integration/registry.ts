/**
 * The test registries of scripts/registry.sh (an open one and one behind htpasswd), as the
 * real-engine and swarm tests use them: their addresses and credentials from
 * /run/stack-registry/registry.json, and reads of what a registry holds over its HTTP API.
 */
import { existsSync, readFileSync } from "node:fs";

/** What scripts/registry.sh wrote into /run/stack-registry/registry.json. */
export interface TestRegistry {
  /** `127.0.0.1:15410`: no authentication. */
  readonly open: string;
  /** `127.0.0.1:15411`: htpasswd basic authentication. */
  readonly auth: string;
  readonly username: string;
  readonly password: string;
  /** A DOCKER_CONFIG directory whose config.json has `auths` for the auth registry. */
  readonly dockerConfig: string;
}

const INFO = "/run/stack-registry/registry.json";

/**
 * The test registries, answering. When they are not up: throws under CI=true (CI never
 * passes by skipping); elsewhere prints why and returns undefined, for `describe.skipIf`.
 */
export async function requireRegistry(): Promise<TestRegistry | undefined> {
  let problem: string | undefined;
  let info: TestRegistry | undefined;
  if (!existsSync(INFO)) problem = `${INFO} is missing`;
  else {
    info = JSON.parse(readFileSync(INFO, "utf8")) as TestRegistry;
    try {
      const res = await fetch(`http://${info.open}/v2/`);
      if (res.status !== 200) problem = `the open registry answers ${res.status}`;
    } catch (err) {
      problem = `the open registry does not answer: ${(err as Error).message}`;
    }
  }
  if (problem === undefined) return info;
  if (process.env["CI"] === "true")
    throw new Error(
      `registry tests need the test registries: ${problem} (run scripts/registry.sh up)`,
    );
  console.warn(`skipping registry tests: ${problem} (run scripts/registry.sh up)`);
  return undefined;
}

function headers(registry: TestRegistry, address: string): Record<string, string> {
  return address === registry.auth
    ? {
        authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString("base64")}`,
      }
    : {};
}

/** The repositories the registry at `address` lists in its catalog. */
export async function catalog(registry: TestRegistry, address: string): Promise<string[]> {
  const res = await fetch(`http://${address}/v2/_catalog?n=1000`, {
    headers: headers(registry, address),
  });
  return ((await res.json()) as { repositories?: string[] }).repositories ?? [];
}

/** The manifest digest `repo:tag` has in the registry at `address`; undefined when missing. */
export async function manifestDigest(
  registry: TestRegistry,
  address: string,
  repo: string,
  tag: string,
): Promise<string | undefined> {
  const res = await fetch(`http://${address}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      ...headers(registry, address),
      accept: "application/vnd.docker.distribution.manifest.v2+json",
    },
  });
  return res.status === 200 ? (res.headers.get("docker-content-digest") ?? undefined) : undefined;
}
