/**
 * Helpers of the image tests (test/images/): the images scripts/build-example-images.sh makes,
 * run directly on the engine with dockerode. Every container and network a test creates
 * carries the label {@link RUN_LABEL} with the test's unique name, so one call removes them.
 */
import type Dockerode from "dockerode";
import { FrameDemuxer } from "../../src/drivers/docker-api/logs.js";
import { rawDocker, requireEngine } from "../integration/docker/helpers.js";

/** Label on everything an image test creates; its value is the test's unique name. */
export const RUN_LABEL = "stack-test.images";

/**
 * The raw engine client when the engine answers and every one of `images` is present. When not:
 * throws under CI=true (CI never passes by skipping), elsewhere prints why and returns
 * undefined, for `describe.skipIf`.
 */
export async function requireImages(images: readonly string[]): Promise<Dockerode | undefined> {
  if ((await requireEngine()) === undefined) return undefined;
  const docker = rawDocker();
  const missing: string[] = [];
  for (const image of images) {
    const present = await docker
      .getImage(image)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (!present) missing.push(image);
  }
  if (missing.length === 0) return docker;
  const problem = `${missing.join(", ")} missing: run scripts/build-example-images.sh`;
  if (process.env["CI"] === "true") throw new Error(`image tests need images: ${problem}`);
  console.warn(`skipping image tests: ${problem}`);
  return undefined;
}

/** What a container printed, stdout and stderr apart. */
export interface Output {
  readonly stdout: string;
  readonly stderr: string;
}

/** Everything `container` has printed so far (it has no TTY, so the log is multiplexed). */
export async function containerOutput(container: Dockerode.Container): Promise<Output> {
  const data = await container.logs({ stdout: true, stderr: true, follow: false });
  const parts = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  for (const chunk of new FrameDemuxer().push(data)) parts[chunk.stream].push(chunk.data);
  return {
    stdout: Buffer.concat(parts.stdout).toString(),
    stderr: Buffer.concat(parts.stderr).toString(),
  };
}

/** A finished one-shot container: its exit code and output. */
export interface Run extends Output {
  readonly exitCode: number;
}

/**
 * Creates and starts a container from `options`, waits up to `timeoutMs` for it to exit, and
 * returns its exit code and output; the container (and its anonymous volumes) is removed
 * whatever happens.
 */
export async function runToCompletion(
  docker: Dockerode,
  options: Dockerode.ContainerCreateOptions,
  timeoutMs = 60_000,
): Promise<Run> {
  const container = await docker.createContainer(options);
  try {
    await container.start();
    const exited = container.wait() as Promise<{ StatusCode: number }>;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(
        () =>
          fail(new Error(`${options.name ?? options.Image} still running after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const { StatusCode } = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    return { exitCode: StatusCode, ...(await containerOutput(container)) };
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}

/** Runs `cmd` in the running `container` (no TTY) and returns its exit code and output. */
export async function execIn(container: Dockerode.Container, cmd: readonly string[]): Promise<Run> {
  const exec = await container.exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const demux = new FrameDemuxer();
  const parts = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  stream.on("data", (chunk: Buffer) => {
    for (const piece of demux.push(chunk)) parts[piece.stream].push(piece.data);
  });
  await new Promise<void>((done, fail) => {
    stream.on("end", done);
    stream.on("error", fail);
  });
  const { ExitCode } = await exec.inspect();
  return {
    exitCode: ExitCode ?? -1,
    stdout: Buffer.concat(parts.stdout).toString(),
    stderr: Buffer.concat(parts.stderr).toString(),
  };
}

/** The host port the engine published for `containerPort` (e.g. "9200/tcp") of `container`. */
export async function publishedPort(
  container: Dockerode.Container,
  containerPort: string,
): Promise<number> {
  const info = await container.inspect();
  const binding = info.NetworkSettings.Ports[containerPort]?.[0];
  if (binding === undefined) throw new Error(`${containerPort} of ${info.Name} is not published`);
  return Number(binding.HostPort);
}

/** Removes every container (with its anonymous volumes) and network labelled with `name`. */
export async function cleanupRun(docker: Dockerode, name: string): Promise<void> {
  const filters = { label: [`${RUN_LABEL}=${name}`] };
  // One at a time: parallel removals on one network can deadlock dockerd 20.10 (see
  // test/engine/helpers.ts).
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
      });
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker.getNetwork(n.Id).remove();
  }
}
