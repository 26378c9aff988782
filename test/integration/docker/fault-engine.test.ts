/**
 * Fault injection on a DEDICATED engine (scripts/fault-engine.sh), never the shared default
 * one: dockerd stopped in the middle of a deploy and started again, then the next deploy
 * converges with no duplicate or leftover containers and the named volume's data intact;
 * `supervise` (deploy --watch) survives an engine restart: it reconnects, re-observes and
 * brings the replicas back; and dockerd SIGKILLed mid-deploy (containerd keeps its tasks) is
 * converged by the next `stack deploy`. Under CI=true a missing fault engine is a failure.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { converge } from "../../../src/core/converge.js";
import { dockerDeployment } from "../../../src/drivers/docker/docker-driver.js";
import { supervise } from "../../../src/drivers/docker/supervise.js";
import { DockerEngine } from "../../../src/drivers/docker/docker-engine.js";
import { stackFilter } from "../../../src/drivers/docker-api/labels.js";
import type { ProgressEvent, ProgressSink } from "../../../src/progress/events.js";
import { requireCli, runStackAsync } from "../../e2e/example-helpers.js";
import {
  buildService,
  buildStack,
  buildVolume,
  TEST_IMAGE,
  uniqueStackName,
  waitFor,
} from "./helpers.js";

const SCRIPT = "scripts/fault-engine.sh";

function script(command: string): string {
  return execFileSync("bash", [SCRIPT, command], { encoding: "utf8" }).trim();
}

async function faultEngine(): Promise<DockerEngine | undefined> {
  const host = script("socket");
  const engine = DockerEngine.fromEnv({ DOCKER_HOST: host }, { stackVersion: "0.0.0-test" });
  try {
    await engine.ping();
    const seen = await engine.observe("none", { images: [TEST_IMAGE] });
    if (seen.presentImages.length === 1) return engine;
  } catch {
    // fall through
  }
  const why = `the fault engine at ${host} does not answer: run bash ${SCRIPT} up`;
  if (process.env["CI"] === "true") throw new Error(why);
  console.warn(`skipping fault tests: ${why}`);
  return undefined;
}

const engine = await faultEngine();
const host = script("socket");
const dk = (...args: string[]) =>
  execFileSync("docker", ["-H", host, ...args], { encoding: "utf8" }).trim();

const sink = (events: ProgressEvent[] = []): ProgressSink => ({
  emit: (e) => events.push(e),
  close: () => Promise.resolve(),
});

afterAll(() => {
  if (!engine) return;
  // Make sure the engine is up for cleanup, then remove our containers one at a time.
  script("start");
  for (const s of stacks) {
    const ids = dk("ps", "-aq", "--filter", `label=${stackFilter(s)}`)
      .split("\n")
      .filter(Boolean);
    for (const id of ids) dk("rm", "-f", "-v", id);
    for (const kind of ["network", "volume"]) {
      const names = dk(kind, "ls", "-q", "--filter", `label=${stackFilter(s)}`)
        .split("\n")
        .filter(Boolean);
      for (const n of names) dk(kind, "rm", n);
    }
  }
});

const stacks: string[] = [];

function replicasOf(stack: string): { name: string; running: boolean }[] {
  const out = dk(
    "ps",
    "-a",
    "--filter",
    `label=${stackFilter(stack)}`,
    "--format",
    "{{.Names}} {{.State}}",
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [name, state] = l.split(" ");
      return { name: name!, running: state === "running" };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

describe.skipIf(!engine)("faults on a dedicated engine", () => {
  it("dockerd stopped mid-deploy: the next deploy converges, no duplicates, volume data intact", async () => {
    const e = engine!;
    const stack = uniqueStackName("fault-mid");
    stacks.push(stack);
    const base = buildService("db", {
      command: ["sh", "-c", "[ -f /data/f ] || echo precious > /data/f; exec sleep 3600"],
      init: true,
      stopGracePeriodMs: 1000,
      mounts: [{ type: "volume", source: "data", target: "/data", readOnly: false }],
    });
    const small = buildStack(stack, [base], { volumes: [buildVolume(stack, "data")] });
    expect(
      (await converge(dockerDeployment(e, small), { sink: sink(), parallel: 4, prune: false })).ok,
    ).toBe(true);

    // A bigger deploy, interrupted by dockerd stopping after its first finished operation.
    const web = buildService("web", {
      command: ["sleep", "3600"],
      init: true,
      stopGracePeriodMs: 1000,
      deploy: { ...base.deploy, replicas: 6 },
    });
    const big = buildStack(stack, [base, web], { volumes: [buildVolume(stack, "data")] });
    let stopped = false;
    const events: ProgressEvent[] = [];
    const interrupted = await converge(dockerDeployment(e, big), {
      sink: {
        emit: (ev) => {
          events.push(ev);
          if (ev.type === "op-done" && !stopped) {
            stopped = true;
            script("stop");
          }
        },
        close: () => Promise.resolve(),
      },
      parallel: 2,
      prune: false,
      retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 },
    }).catch((error: unknown) => error);
    expect(stopped).toBe(true);
    expect(interrupted instanceof Error || (interrupted as { ok: boolean }).ok === false).toBe(
      true,
    );

    script("start");
    const again = await converge(dockerDeployment(e, big), {
      sink: sink(),
      parallel: 4,
      prune: false,
    });
    expect(again.ok).toBe(true);
    const names = replicasOf(stack);
    expect(names.map((n) => n.name)).toEqual(
      [`${stack}_db.1`, ...[1, 2, 3, 4, 5, 6].map((i) => `${stack}_web.${i}`)].sort(),
    );
    expect(names.every((n) => n.running)).toBe(true);
    // A second deploy does nothing.
    const third = await converge(dockerDeployment(e, big), {
      sink: sink(),
      parallel: 4,
      prune: false,
    });
    expect(third.changed).toBe(false);
    expect(dk("exec", `${stack}_db.1`, "cat", "/data/f")).toBe("precious");
  });

  it("the watch loop survives an engine restart and brings the replicas back", async () => {
    const e = engine!;
    const stack = uniqueStackName("fault-watch");
    stacks.push(stack);
    const web = buildService("web", {
      command: ["sleep", "3600"],
      init: true,
      stopGracePeriodMs: 1000,
      deploy: {
        ...buildService("web").deploy,
        replicas: 2,
        restartPolicy: { condition: "any", delayMs: 200 },
      },
    });
    const spec = buildStack(stack, [web]);
    expect(
      (await converge(dockerDeployment(e, spec), { sink: sink(), parallel: 4, prune: false })).ok,
    ).toBe(true);
    const events: ProgressEvent[] = [];
    const controller = new AbortController();
    const watching = supervise(dockerDeployment(e, spec), {
      engine: e,
      sink: sink(events),
      signal: controller.signal,
      parallel: 4,
      prune: false,
      resyncMs: 1_000,
      debounceMs: 100,
    });
    try {
      // Policy `no` while watched: after the restart only the supervisor brings them back.
      await waitFor(
        () => dk("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", `${stack}_web.1`) === "no",
        { what: "policy no" },
      );
      script("stop");
      await waitFor(() => events.some((ev) => ev.type === "warning"), {
        what: "engine lost warning",
      });
      script("start");
      await waitFor(
        () => {
          const r = replicasOf(stack);
          return r.length === 2 && r.every((c) => c.running);
        },
        { what: "replicas running after the engine restart", timeoutMs: 60_000, intervalMs: 300 },
      );
    } finally {
      controller.abort();
      await watching;
    }
    expect(replicasOf(stack)).toHaveLength(2);
    expect(dk("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", `${stack}_web.1`)).toBe(
      "always",
    );
  });

  it("dockerd SIGKILLed mid-deploy (the built CLI): the next deploy converges, every replica running, none twice", async () => {
    requireCli();
    const stack = uniqueStackName("crash");
    stacks.push(stack);
    const file = join(mkdtempSync(join(tmpdir(), "stack-crash-")), "stack.yml");
    writeFileSync(
      file,
      `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]\n    deploy:\n      replicas: 8\n`,
    );
    const env = { DOCKER_HOST: host };
    const first = runStackAsync(["deploy", "-c", file, stack, "--progress", "plain"], env);
    // Killed once the deploy has created some replicas, before it is done.
    await waitFor(() => replicasOf(stack).length >= 2, {
      what: "the first replicas",
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    script("kill");
    script("start");
    // Whatever became of it (its calls failed, or retries reached the restarted engine), it
    // has ended; the lock it held is broken by the next deploy (its process is gone).
    await first;
    const again = await runStackAsync(
      ["deploy", "-c", file, stack, "--progress", "plain", "--wait", "--timeout", "2m"],
      env,
    );
    expect(again.status, again.output).toBe(0);
    expect(replicasOf(stack)).toEqual(
      Array.from({ length: 8 }, (_, i) => ({ name: `${stack}_web.${i + 1}`, running: true })).sort(
        (a, b) => (a.name < b.name ? -1 : 1),
      ),
    );
    // And it stays converged: the next deploy has nothing to do.
    const unchanged = await runStackAsync(["deploy", "-c", file, stack, "--dry-run"], env);
    expect(unchanged.status, unchanged.output).toBe(0);
    expect(unchanged.output).toContain("is up to date");
  });
});
