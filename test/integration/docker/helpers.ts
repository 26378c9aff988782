/**
 * Shared helpers for tests against a real Docker engine: connect (fail in CI, skip
 * elsewhere), unique stack names, clean-up by label, polling with a deadline, and a small
 * builder of normalised specs.
 */
import { randomBytes } from "node:crypto";
import Dockerode from "dockerode";
import type { EngineKind } from "../../../src/core/driver.js";
import { DockerEngine } from "../../../src/drivers/docker/docker-engine.js";
import { connectEngine } from "../../../src/drivers/docker-api/engine-connection.js";
import { stackFilter } from "../../../src/drivers/docker-api/labels.js";
import { scopedName } from "../../../src/model/naming.js";
import type { NetworkSpec, ServiceSpec, StackSpec, VolumeSpec } from "../../../src/model/types.js";

/** The image every engine test runs; built by scripts/build-test-images.sh. */
export const TEST_IMAGE = "stack-test/busybox:latest";
/** Same content as TEST_IMAGE with a different image id, for image-change tests. */
export const TEST_IMAGE_V2 = "stack-test/busybox:v2";

/**
 * A plain dockerode client for the engine in the environment (resolved as the CLI does, so
 * DOCKER_HOST=ssh://... and contexts work), for assertions on raw state.
 */
export function rawDocker(): Dockerode {
  return new Dockerode(connectEngine(process.env).dockerOptions);
}

/**
 * A DockerEngine for the engine in the environment, with the test images present. When the
 * engine cannot be reached (or the images are missing): throws under CI=true, so CI never
 * passes by skipping; elsewhere prints why and returns undefined, for `describe.skipIf`.
 */
export async function requireEngine(): Promise<DockerEngine | undefined> {
  const engine = DockerEngine.fromEnv(process.env, { stackVersion: "0.0.0-test" });
  let problem: string | undefined;
  try {
    await engine.ping();
    const present = await engine.observe("no-such-stack", { images: [TEST_IMAGE, TEST_IMAGE_V2] });
    if (present.presentImages.length < 2) {
      problem = `test images ${TEST_IMAGE} / ${TEST_IMAGE_V2} are missing: run scripts/build-test-images.sh`;
    }
  } catch (err) {
    problem = `${err instanceof Error ? err.message : String(err)} (run scripts/ensure-docker.sh)`;
  }
  if (problem === undefined) return engine;
  if (process.env["CI"] === "true")
    throw new Error(`engine tests need a Docker engine: ${problem}`);
  console.warn(`skipping engine tests: ${problem}`);
  return undefined;
}

/**
 * Which engine the tests run against (Docker or Podman), as the driver detects it: tests
 * whose expectations differ by engine branch on this, never on the environment.
 */
export async function engineKind(engine: DockerEngine): Promise<EngineKind> {
  return (await engine.identity()).kind;
}

/** A stack name no other test (or earlier run) uses: `<prefix>-<8 hex>`, lowercase. */
export function uniqueStackName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_-]/g, "-");
  return `${clean}-${randomBytes(4).toString("hex")}`;
}

/** Removes every container, network and volume labelled with stack `name` (forced). */
export async function cleanupStack(name: string): Promise<void> {
  const docker = rawDocker();
  const filters = { label: [stackFilter(name)] };
  const containers = await docker.listContainers({ all: true, filters });
  // One at a time: parallel removals on one network can deadlock dockerd 20.10 (see
  // src/drivers/docker/leave-rule.ts).
  for (const c of containers) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
      });
  }
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove()));
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove()));
}

/**
 * Polls `fn` every `intervalMs` until it returns something other than undefined/false and
 * returns that; throws naming `what` and the last error when `timeoutMs` runs out.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  options: {
    readonly timeoutMs?: number;
    readonly intervalMs?: number;
    readonly what?: string;
  } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError === undefined ? "" : `; last error: ${String(lastError)}`;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what ?? "condition"}${why}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A normalised service with every required field at its default; `overrides` win. */
export function buildService(name: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  const update = {
    parallelism: 1,
    delayMs: 0,
    order: "stop-first",
    failureAction: "pause",
    monitorMs: 5000,
    maxFailureRatio: 0,
  } as const;
  return {
    name,
    image: TEST_IMAGE,
    environment: {},
    labels: {},
    ports: [],
    networks: { default: { aliases: [] } },
    links: [],
    mounts: [],
    dependsOn: {},
    deploy: {
      mode: "replicated",
      replicas: 1,
      labels: {},
      resources: { limits: {}, reservations: {} },
      restartPolicy: { condition: "any" },
      updateConfig: update,
      rollbackConfig: update,
      placement: { constraints: [], preferences: [] },
    },
    secrets: [],
    configs: [],
    extraHosts: [],
    dns: [],
    capAdd: [],
    capDrop: [],
    ulimits: {},
    sysctls: {},
    expose: [],
    profiles: [],
    ignoredKeys: [],
    ...overrides,
  };
}

/** A network spec for `key` in `stack` with the default engine name. */
export function buildNetwork(
  stack: string,
  key: string,
  overrides: Partial<NetworkSpec> = {},
): NetworkSpec {
  return {
    key,
    name: scopedName(stack, key),
    external: false,
    driverOpts: {},
    labels: {},
    ...overrides,
  };
}

/** A volume spec for `key` in `stack` with the default engine name. */
export function buildVolume(
  stack: string,
  key: string,
  overrides: Partial<VolumeSpec> = {},
): VolumeSpec {
  return {
    key,
    name: scopedName(stack, key),
    external: false,
    driverOpts: {},
    labels: {},
    ...overrides,
  };
}

/** A stack of `services` with a `default` network and the given volumes. */
export function buildStack(
  name: string,
  services: readonly ServiceSpec[],
  extra: {
    readonly networks?: readonly NetworkSpec[];
    readonly volumes?: readonly VolumeSpec[];
  } = {},
): StackSpec {
  const networks = extra.networks ?? [buildNetwork(name, "default")];
  return {
    name,
    files: ["stack.yml"],
    workingDir: "/",
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: Object.fromEntries(networks.map((n) => [n.key, n])),
    volumes: Object.fromEntries((extra.volumes ?? []).map((v) => [v.key, v])),
    secrets: {},
    configs: {},
  };
}
