/**
 * `supervise` (stack deploy --watch) against the real engine: a crashed replica (SIGKILL to
 * its process from the host, a real crash) is restarted no more than max_attempts times and
 * then left stopped with an error; a replica and a network removed by hand come back. On
 * Docker the watch applies the policy itself: the engine policy is `no` while watched (and
 * the file's again afterwards) and restart_policy.delay is kept. On Podman, which cannot
 * change a container's restart policy, the watch warns and the engine's own on-failure
 * policy restarts at once. Also: the driver refuses to stop or remove a container of
 * another stack.
 */
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { dockerDeployment } from "../../../src/drivers/docker/docker-driver.js";
import { supervise, type SupervisePass } from "../../../src/drivers/docker/supervise.js";
import { converge } from "../../../src/core/converge.js";
import { EngineError } from "../../../src/core/errors.js";
import type { ProgressEvent } from "../../../src/progress/events.js";
import {
  buildService,
  buildStack,
  cleanupStack,
  engineKind,
  rawDocker,
  requireEngine,
  uniqueStackName,
  waitFor,
} from "./helpers.js";

const engine = await requireEngine();
const docker = rawDocker();
const stacks: string[] = [];

afterAll(async () => {
  for (const s of stacks) await cleanupStack(s);
});

async function inspectByName(name: string) {
  return docker
    .getContainer(name)
    .inspect()
    .catch(() => undefined);
}

/**
 * A real crash: SIGKILL to the container's main process from the host; resolves once that
 * process is gone (the container exited, or was already restarted with another process, as
 * Podman does at once). Returns the pid that was killed.
 */
async function crash(name: string): Promise<number> {
  const info = await docker.getContainer(name).inspect();
  const pid = info.State.Pid;
  execFileSync("kill", ["-9", String(pid)]);
  await waitFor(
    async () => {
      const state = (await inspectByName(name))?.State;
      return state !== undefined && (state.Running === false || state.Pid !== pid);
    },
    { what: `${name} to exit` },
  );
  return pid;
}

/** Resolves once `name` runs again with a process other than `pid`. */
async function restarted(name: string, pid: number, what: string): Promise<void> {
  await waitFor(
    async () => {
      const state = (await inspectByName(name))?.State;
      return state?.Running === true && state.Pid !== pid;
    },
    { what, timeoutMs: 15_000 },
  );
}

describe.skipIf(!engine)("supervise", () => {
  it("restarts per restart_policy delay and max_attempts, replaces removed replicas and networks", async () => {
    const e = engine!;
    const podman = (await engineKind(e)) === "podman";
    const stack = uniqueStackName("supervise");
    stacks.push(stack);
    const spec = buildStack(stack, [
      buildService("web", {
        command: ["sleep", "3600"],
        init: true,
        stopGracePeriodMs: 1000,
        deploy: {
          ...buildService("web").deploy,
          replicas: 2,
          restartPolicy: {
            condition: "on-failure",
            delayMs: 1500,
            maxAttempts: 2,
            windowMs: 120_000,
          },
        },
      }),
    ]);
    const first = await converge(dockerDeployment(e, spec), {
      sink: { emit() {}, close: async () => {} },
      parallel: 4,
      prune: false,
    });
    expect(first.ok).toBe(true);

    const events: ProgressEvent[] = [];
    const passes: SupervisePass[] = [];
    const controller = new AbortController();
    const watching = supervise(dockerDeployment(e, spec), {
      engine: e,
      sink: { emit: (ev) => events.push(ev), close: async () => {} },
      signal: controller.signal,
      parallel: 4,
      prune: false,
      resyncMs: 2_000,
      debounceMs: 100,
      onPass: (p) => passes.push(p),
    });
    const web1 = `${stack}_web.1`;
    try {
      if (podman) {
        // Podman cannot change the policy: the watch says so, naming what is not applied,
        // and the replicas keep the file's policy (on-failure, 2 attempts).
        await waitFor(
          () =>
            events.some(
              (ev) =>
                ev.type === "warning" &&
                ev.message.startsWith("services.web: ") &&
                ev.message.includes("cannot change the restart policy") &&
                ev.message.includes("restart_policy delay, window not applied"),
            ),
          { what: "warning that the engine keeps its own restart policy" },
        );
        const policy = (await inspectByName(web1))?.HostConfig.RestartPolicy;
        expect(policy).toMatchObject({ Name: "on-failure", MaximumRetryCount: 2 });
      } else {
        // While watched, the engine must not restart replicas itself (it would ignore delay).
        await waitFor(
          async () => (await inspectByName(web1))?.HostConfig.RestartPolicy?.Name === "no",
          { what: "restart policy no while watched" },
        );
      }

      // Crash 1: restarted; on Docker not before the 1.5 s delay (Podman restarts at once).
      const first = await crash(web1);
      const crashedAt = Date.now();
      await restarted(web1, first, "web.1 restarted");
      if (!podman) expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(1_200);

      // Crash 2: restarted (attempt 2 of 2). Crash 3: left stopped, with an error.
      await restarted(web1, await crash(web1), "web.1 restarted again");
      await crash(web1);
      await waitFor(
        () =>
          events.some(
            (ev) =>
              ev.type === "error" &&
              ev.message.startsWith(`${web1} exited with code 137`) &&
              ev.message.includes("left stopped"),
          ),
        { what: "give-up error", timeoutMs: 15_000 },
      );
      expect((await inspectByName(web1))?.State.Running).toBe(false);
      if (podman) {
        expect((await inspectByName(web1))?.RestartCount).toBe(2);
      } else {
        const restartedMessages = events.filter(
          (ev) => ev.type === "info" && ev.message.startsWith(`restarted ${web1}`),
        );
        expect(restartedMessages).toHaveLength(2);
      }

      // Replica 2 removed by hand: created again. Then the network: created again.
      const web2 = `${stack}_web.2`;
      const before = (await inspectByName(web2))!.Id;
      await docker.getContainer(web2).remove({ force: true });
      const after = await waitFor(
        async () => {
          const c = await inspectByName(web2);
          return c !== undefined && c.Id !== before && c.State.Running ? c.Id : undefined;
        },
        { what: "web.2 replaced", timeoutMs: 30_000 },
      );
      expect(after).not.toBe(before);

      // Everything removed by hand, network included (containers one at a time: parallel
      // leaves deadlock dockerd 20.10): the network and both replicas come back.
      // The watcher may recreate a replica between the removals, which keeps the network in
      // use: retry until the network itself is gone.
      await waitFor(
        async () => {
          for (const name of [web1, web2])
            await docker
              .getContainer(name)
              .remove({ force: true })
              .catch(() => undefined);
          return docker
            .getNetwork(`${stack}_default`)
            .remove()
            .then(() => true)
            .catch(() => undefined);
        },
        { what: "network removed by hand", timeoutMs: 30_000, intervalMs: 20 },
      );
      await waitFor(
        async () => {
          const net = await docker
            .getNetwork(`${stack}_default`)
            .inspect()
            .catch(() => undefined);
          const a = await inspectByName(web1);
          const b = await inspectByName(web2);
          return net !== undefined && a?.State.Running === true && b?.State.Running === true;
        },
        { what: "network and replicas recreated", timeoutMs: 30_000 },
      );
    } finally {
      controller.abort();
      await watching;
    }
    // The watch ended: the stack runs on, with the file's restart policy (back).
    const web2 = await inspectByName(`${stack}_web.2`);
    expect(web2?.State.Running).toBe(true);
    expect(web2?.HostConfig.RestartPolicy).toMatchObject({
      Name: "on-failure",
      MaximumRetryCount: 2,
    });
    expect(passes.length).toBeGreaterThan(0);
  });

  it("refuses to stop or remove a container another stack owns", async () => {
    const e = engine!;
    const mine = uniqueStackName("owner-a");
    const theirs = uniqueStackName("owner-b");
    stacks.push(mine, theirs);
    const spec = buildStack(theirs, [
      buildService("db", { command: ["sleep", "3600"], init: true }),
    ]);
    expect(
      (
        await converge(dockerDeployment(e, spec), {
          sink: { emit() {}, close: async () => {} },
          parallel: 2,
          prune: false,
        })
      ).ok,
    ).toBe(true);
    const id = (await inspectByName(`${theirs}_db.1`))!.Id;
    await expect(e.stopContainer(id, 1000, mine)).rejects.toThrow(
      new RegExp(`refusing to stop container ${theirs}_db.1: it belongs to stack ${theirs}`),
    );
    await expect(e.removeContainer(id, mine)).rejects.toBeInstanceOf(EngineError);
    expect((await inspectByName(id))?.State.Running).toBe(true);
    // Its own stack may; and a missing container is still a success.
    await e.removeContainer(id, theirs);
    expect(await inspectByName(id)).toBeUndefined();
    await e.removeContainer(id, theirs);
  });
});
