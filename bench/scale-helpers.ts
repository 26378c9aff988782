/**
 * Shared pieces of the deploy and scale benches (not run in CI): stack files of N services x M
 * replicas, the raw-API reference deploy, the built CLI run under a peak-RSS probe, and
 * sequential clean-up by label.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Docker from "dockerode";
import pLimit from "p-limit";

export const IMAGE = process.env["BENCH_IMAGE"] ?? "stack-test/busybox:latest";
export const PARALLEL = 8;
export const CLI = resolve("dist/cli/main.js");
export const docker = new Docker();

/** A stack file of `services` x `replicas` sleeping busybox replicas. */
export function stackFile(services: number, replicas: number): string {
  const lines = ["services:"];
  for (let i = 0; i < services; i++) {
    lines.push(
      `  svc${i}:`,
      `    image: ${IMAGE}`,
      `    command: ["sleep", "3600"]`,
      `    stop_grace_period: 1s`,
      `    deploy:`,
      `      replicas: ${replicas}`,
    );
  }
  const file = join(mkdtempSync(join(tmpdir(), "stack-scale-")), "stack.yml");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** Resident and peak resident memory of `pid` in MiB (from /proc), or undefined when gone. */
export function memoryOf(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

/** Runs the built CLI; returns wall time, exit code, output and peak RSS (MiB). */
export async function runCli(
  args: readonly string[],
): Promise<{ ms: number; code: number | null; peakMiB: number; stdout: string; stderr: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let peak = 0;
  // VmHWM is the kernel's own high-water mark, so polling only has to catch the process alive.
  const timer = setInterval(() => {
    const m = child.pid === undefined ? undefined : memoryOf(child.pid);
    if (m) peak = Math.max(peak, m.peak);
  }, 20);
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  clearInterval(timer);
  return { ms: performance.now() - t0, code, peakMiB: peak, stdout, stderr };
}

/** Removes containers (one at a time: dockerd 20.10 deadlocks on parallel removals on one
 * network), then networks, labelled `label`. */
export async function cleanup(label: string): Promise<void> {
  const filters = { label: [label] };
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
}

/** What a raw-API reference deploy runs; the defaults are the scale benches' sleepers. */
export interface RawDeployOptions {
  /** Engine client (default: the one from DOCKER_HOST). */
  readonly client?: Docker;
  /** Container command (default `sleep 3600`). */
  readonly cmd?: readonly string[];
  /** Seconds a stop waits before SIGKILL (default 1; undefined keeps the engine's 10 s). */
  readonly stopTimeout?: number | undefined;
  /** Engine calls at once (default PARALLEL). */
  readonly parallel?: number;
}

/** The reference: network + create/start of the same containers straight through the API. */
export async function rawDeploy(
  name: string,
  services: number,
  replicas: number,
  options: RawDeployOptions = {},
): Promise<number> {
  const client = options.client ?? docker;
  const stopTimeout = "stopTimeout" in options ? options.stopTimeout : 1;
  const t0 = performance.now();
  const net = `${name}_default`;
  await client.createNetwork({ Name: net, Labels: { "bench.raw": name } });
  const limit = pLimit(options.parallel ?? PARALLEL);
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < services; i++)
    for (let slot = 1; slot <= replicas; slot++)
      jobs.push(
        limit(async () => {
          const c = await client.createContainer({
            name: `${name}_svc${i}.${slot}`,
            Image: IMAGE,
            Cmd: [...(options.cmd ?? ["sleep", "3600"])],
            ...(stopTimeout !== undefined && { StopTimeout: stopTimeout }),
            Labels: { "bench.raw": name },
            HostConfig: { NetworkMode: net },
            NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: [`svc${i}`] } } },
          });
          await c.start();
        }),
      );
  await Promise.all(jobs);
  return performance.now() - t0;
}
