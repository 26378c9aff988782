/**
 * The `stack ps` console in a real pseudo-terminal (tmux) against a real engine, through the
 * built CLI: moving to a replica and opening its logs (a line it printed appears), restarting
 * it (its StartedAt changes on the engine), stopping it after `y` and starting it again,
 * scaling its service up by one (a new replica in the list and on the engine), opening a
 * shell where `echo` output appears and exiting back to the list, the inspect summary (env
 * names without their values), and quitting with exit 0.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LABELS } from "../../src/drivers/docker-api/labels.js";
import {
  cleanupStack,
  rawDocker,
  requireEngine,
  TEST_IMAGE,
  uniqueStackName,
  waitFor,
} from "../integration/docker/helpers.js";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
const tmuxVersion = spawnSync("tmux", ["-V"], { encoding: "utf8" });
if (tmuxVersion.status !== 0)
  throw new Error("tmux is missing: the ps console test needs it (apt-get install tmux)");

const engine = await requireEngine();
const docker = rawDocker();
const stack = uniqueStackName("pscons");
/** A tmux server of our own, so the test never touches the user's sessions. */
const SOCKET = `stack-test-${stack}`;
const dir = mkdtempSync(join(tmpdir(), "stack-ps-console-"));
/** Must never be on screen: `d` shows the names of variables only. */
const SECRET_VALUE = "value-that-must-not-show";

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

async function screenShows(pattern: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
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

function keys(...k: string[]): void {
  tmux("send-keys", "-t", stack, ...k);
}

function quote(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The containers of web on the engine, by slot. */
async function webContainers() {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.stack}=${stack}`, `${LABELS.service}=web`] },
  });
  return list.sort((a, b) => Number(a.Labels[LABELS.slot]) - Number(b.Labels[LABELS.slot]));
}

async function web1() {
  const c = (await webContainers()).find((c) => c.Labels[LABELS.slot] === "1");
  if (c === undefined) throw new Error("replica web.1 not found");
  return docker.getContainer(c.Id).inspect();
}

afterAll(async () => {
  spawnSync("tmux", ["-L", SOCKET, "kill-server"]);
  if (engine) await cleanupStack(stack);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!engine)("stack ps as a console in a terminal", () => {
  it("logs, restart, stop/start, scale, shell and inspect from the keyboard, then q exits 0", async () => {
    const file = join(dir, "stack.yml");
    writeFileSync(
      file,
      [
        "services:",
        "  web:",
        `    image: ${TEST_IMAGE}`,
        // busybox as PID 1 ignores SIGTERM: a short grace period keeps stops quick.
        "    stop_grace_period: 1s",
        '    command: ["sh", "-c", "echo console-hello-$$(hostname); while true; do sleep 1; done"]',
        "    environment:",
        `      SECRET_TOKEN: ${SECRET_VALUE}`,
        "    deploy:",
        "      replicas: 2",
        "",
      ].join("\n"),
    );
    const deploy = spawnSync(
      process.execPath,
      [CLI, "deploy", "-c", file, "--progress", "plain", stack],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(deploy.status, deploy.stderr).toBe(0);

    // Ink draws only the last frame when it thinks it runs in CI; this terminal is real.
    const command = `env -u CI -u CONTINUOUS_INTEGRATION ${quote(process.execPath)} ${quote(CLI)} ps -c ${quote(file)} ${stack}; echo "stack-ps-exited=$?"; sleep 600`;
    tmux("new-session", "-d", "-s", stack, "-x", "120", "-y", "30", command);
    await screenShows(/^web\s+2\/2\s/m, "web 2/2");
    await screenShows(/^\s+web\.2\s+running\s/m, "web.2 running");
    expect(screen()).toMatch(/\? help\s+q quit/);

    // The cursor starts on the service row: one down is web.1. Enter follows its logs.
    keys("j");
    keys("Enter");
    await screenShows(new RegExp(`^logs of ${stack}_web\\.1\\s+following`, "m"), "the logs pane");
    await screenShows(/console-hello-/, "the line web.1 printed");
    keys("Escape");
    await screenShows(/^web\s+2\/2\s/m, "back to the list");

    // r restarts web.1: the engine's StartedAt changes.
    const before = (await web1()).State.StartedAt;
    keys("r");
    await screenShows(new RegExp(`${stack}_web\\.1 restarted`), "restarted on the status line");
    const after = (await web1()).State.StartedAt;
    expect(after).not.toBe(before);
    expect((await web1()).State.Running).toBe(true);

    // s asks first; y stops web.1 (kept, exited); s again starts it without asking.
    keys("s");
    await screenShows(new RegExp(`stop ${stack}_web\\.1\\? \\(y/n\\)`), "the confirmation");
    expect((await web1()).State.Running).toBe(true);
    keys("y");
    await screenShows(new RegExp(`${stack}_web\\.1 stopped`), "stopped on the status line");
    expect((await web1()).State.Running).toBe(false);
    await screenShows(/^\s+web\.1\s+exited/m, "web.1 exited in the list");
    keys("s");
    await screenShows(new RegExp(`${stack}_web\\.1 started`), "started on the status line");
    await waitFor(async () => ((await web1()).State.Running ? true : undefined), {
      what: "web.1 running again",
    });
    await screenShows(/^\s+web\.1\s+running\s/m, "web.1 running in the list");

    // + scales web to 3: a new replica on the engine and in the list.
    keys("+");
    await screenShows(/web scaled to 3/, "scaled on the status line", 120_000);
    expect((await webContainers()).map((c) => c.Labels[LABELS.slot])).toEqual(["1", "2", "3"]);
    await screenShows(/^\s+web\.3\s+running\s/m, "web.3 in the list");
    await screenShows(/^web\s+3\/3\s/m, "web 3/3");

    // x opens a shell in web.1 (the cursor stayed on it); exit returns to the list.
    keys("x");
    await screenShows(/^\/ #$/m, "the shell's prompt");
    keys("echo shell-$((6*7))", "Enter");
    await screenShows(/^shell-42$/m, "the shell's echo");
    keys("exit", "Enter");
    await screenShows(new RegExp(`shell in ${stack}_web\\.1 ended`), "back in the console");
    await screenShows(/^web\s+3\/3\s/m, "the list again");

    // d: the inspect summary names the variables and never shows their values.
    keys("d");
    const inspect = await screenShows(/^env\s+.*SECRET_TOKEN/m, "the inspect summary");
    expect(inspect).toMatch(new RegExp(`^image\\s+${TEST_IMAGE}`, "m"));
    expect(inspect).not.toContain(SECRET_VALUE);
    keys("Escape");
    await screenShows(/^web\s+3\/3\s/m, "the list after inspect");

    keys("q");
    await screenShows(/stack-ps-exited=0/, "ps to exit with 0 after q", 10_000);
  });
});
