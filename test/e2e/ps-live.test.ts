/**
 * `stack ps` live in a real pseudo-terminal (tmux) against a real engine: the built CLI
 * stays on screen while a deploy happens, shows 5/5 web replicas, follows one replica being
 * killed and restarted by its restart policy, and quits on `q`.
 *
 * The replica is killed with SIGKILL sent to its process from the host, not `docker kill`:
 * checked on dockerd 20.10, `docker kill` marks the container as stopped by the user, so the
 * restart policy leaves it exited; a process killed from outside exits 137 and on-failure
 * restarts it. That needs root, as the engine tests here run.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LABELS } from "../../src/drivers/docker-api/labels.js";
import {
  cleanupStack,
  rawDocker,
  requireEngine,
  uniqueStackName,
  waitFor,
} from "../integration/docker/helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
const tmuxVersion = spawnSync("tmux", ["-V"], { encoding: "utf8" });
if (tmuxVersion.status !== 0)
  throw new Error("tmux is missing: the live ps test needs it (apt-get install tmux)");

const engine = await requireEngine();
const docker = rawDocker();
const stack = uniqueStackName("pslive");
/** A tmux server of our own, so the test never touches the user's sessions. */
const SOCKET = `stack-test-${stack}`;

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** The visible screen, lines without trailing blanks. */
function screen(): string {
  return tmux("capture-pane", "-p", "-t", stack)
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
}

async function screenShows(pattern: RegExp, what: string, timeoutMs = 30_000): Promise<string> {
  let last = "";
  try {
    return await waitFor(
      () => {
        last = screen();
        return pattern.test(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 50, what },
    );
  } catch (err) {
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}; the screen was:\n${last}`,
    );
  }
}

function quote(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

afterAll(async () => {
  spawnSync("tmux", ["-L", SOCKET, "kill-server"]);
  if (engine) await cleanupStack(stack);
});

describe.skipIf(!engine)("stack ps, live in a terminal", () => {
  it("shows the deploy arrive, a killed replica exit and come back, and quits on q", async () => {
    if (process.getuid?.() !== 0)
      throw new Error("this test kills a replica's process from the host: run it as root");
    // Ink draws only the last frame when it thinks it runs in CI; this terminal is real.
    const command = `env -u CI -u CONTINUOUS_INTEGRATION ${quote(process.execPath)} ${quote(CLI)} ps ${stack}; echo "stack-ps-exited=$?"; sleep 600`;
    tmux("new-session", "-d", "-s", stack, "-x", "110", "-y", "40", command);

    // Live before anything exists.
    await screenShows(/no replicas of stack .* waiting for a deploy/, "the empty live view");

    const deploy = spawnSync(
      process.execPath,
      [
        CLI,
        "deploy",
        "-c",
        "examples/getstartedlab/stack.yml",
        "-c",
        "test/fixtures/deploy/getstartedlab-offline.yml",
        "--progress",
        "plain",
        stack,
      ],
      {
        encoding: "utf8",
        env: {
          ...process.env,
          WEB_IMAGE: "stack-test/busybox:latest",
          REDIS_IMAGE: "stack-test/busybox:latest",
        },
        timeout: 120_000,
      },
    );
    expect(deploy.status, deploy.stderr).toBe(0);

    const deployed = await screenShows(/^web\s+5\/5\s/m, "web 5/5");
    expect(deployed).toMatch(/^stack \S+\s+live/m);
    await screenShows(/(^\s+web\.\d\s+running\s.*\n){5}/m, "five running web replicas");

    const [victim] = await docker.listContainers({
      filters: { label: [`${LABELS.stack}=${stack}`, `${LABELS.service}=web`, `${LABELS.slot}=3`] },
    });
    if (victim === undefined) throw new Error("replica web.3 not found");
    // The engine's first restart comes ~100 ms after the exit and the delay doubles with each
    // quick repeat; kill again until the screen catches the replica down (at most 4 times).
    let kills = 0;
    let sawDown = false;
    while (!sawDown && kills < 4) {
      const pid = (await docker.getContainer(victim.Id).inspect()).State.Pid;
      await waitFor(() => pid > 0, { what: "a running process" });
      process.kill(pid, "SIGKILL");
      kills += 1;
      try {
        await screenShows(
          /^\s+web\.3\s+(exited \(137\)|restarting)\s/m,
          "web.3 down",
          2000 * kills,
        );
        sawDown = true;
      } catch {
        await screenShows(/^\s+web\.3\s+running\s/m, "web.3 back");
      }
    }
    expect(sawDown).toBe(true);

    // Back up through the restart policy, with the restarts counted, in the same ps process.
    const back = await screenShows(
      new RegExp(`^\\s+web\\.3\\s+running\\s+\\S+\\s+${kills}\\s*$`, "m"),
      `web.3 running with ${kills} restarts`,
    );
    expect(back).toMatch(/^web\s+5\/5\s/m);

    tmux("send-keys", "-t", stack, "q");
    await screenShows(/stack-ps-exited=0/, "ps to exit with 0 after q", 10_000);
  });
});
