/**
 * ssh:// bench (not run in CI): a deploy of 20 services x 1 replica converged from empty over
 * `ssh://` (the test sshd of scripts/sshd.sh in front of the local engine) beside the same
 * deploy over the unix socket, alternating, in the same run; then `ps` and removal. Two
 * parts: in one process through the library (wall times, their ratio, the logins counted in
 * sshd's log and the ssh sessions the transport opened), then the built CLI, one process per
 * command, as a user runs it (each `stack` process logs in once).
 *
 * Run: npm run build && bash scripts/sshd.sh up && npx tsx bench/ssh-deploy.ts [rounds]
 * With SSH_MULTIPLEX=0, every engine connection logs in on its own (the Docker CLI's way).
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { deployStack } from "../src/api/deploy.js";
import { removeStack } from "../src/api/remove.js";
import { DockerDriver } from "../src/drivers/docker/docker-driver.js";
import { DockerEngine } from "../src/drivers/docker/docker-engine.js";
import { loadEngineOptions, resolveEngine } from "../src/drivers/docker-api/engine-address.js";
import { SshTransport } from "../src/drivers/docker-api/ssh-transport.js";
import { nullSink } from "../src/progress/events.js";
import { CLI, PARALLEL, stackFile } from "./scale-helpers.js";

const SERVICES = 20;

function sshdEnv(): Record<string, string> {
  const out = execFileSync("bash", ["scripts/sshd.sh", "env"], { encoding: "utf8" });
  return Object.fromEntries(
    [...out.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const env = { ...process.env, ...sshdEnv() };
  const logins = () =>
    (readFileSync(env["STACK_SSHD_LOG"]!, "utf8").match(/Accepted publickey/g) ?? []).length;
  const file = stackFile(SERVICES, 1);
  const local = DockerEngine.fromEnv({ DOCKER_HOST: "unix:///var/run/docker.sock" });
  const run = async (engine: DockerEngine, name: string) => {
    const deploy = await timed(async () => {
      const r = await deployStack({
        files: [file],
        envFiles: [],
        cwd: process.cwd(),
        env: {},
        stack: name,
        driver: () => new DockerDriver(engine),
        sink: nullSink,
        parallel: PARALLEL,
      });
      if (!r.ok) throw new Error(`deploy of ${name} failed`);
    });
    const observe = await timed(() => engine.observe(name));
    const remove = await timed(() =>
      removeStack({ driver: new DockerDriver(engine), stack: name, volumes: true, sink: nullSink }),
    );
    return { deploy, observe, remove };
  };
  console.log(
    `${SERVICES} services x 1 replica, ${PARALLEL} engine calls at once, ${rounds} rounds; load average ${loadAverage()}`,
  );
  console.log("library, in one process:");
  for (let round = 1; round <= rounds; round++) {
    const unix = await run(local, `benchunix${round}`);
    // A new transport per round, as a new `stack` process would have.
    const resolved = resolveEngine({ ...env, DOCKER_HOST: env["STACK_SSHD_HOST"] });
    const transport = new SshTransport(resolved.ssh!, {
      env,
      multiplex: process.env["SSH_MULTIPLEX"] !== "0",
    });
    const remote = new DockerEngine({
      address: resolved.address,
      dockerOptions: loadEngineOptions(resolved, transport),
    });
    const before = logins();
    const ssh = await run(remote, `benchssh${round}`);
    await transport.close();
    console.log(
      `round ${round}: deploy unix ${fmt(unix.deploy)}  ssh ${fmt(ssh.deploy)}  ratio ${(ssh.deploy / unix.deploy).toFixed(2)}x | observe unix ${fmt(unix.observe)} ssh ${fmt(ssh.observe)} | rm unix ${fmt(unix.remove)} ssh ${fmt(ssh.remove)} | ssh logins ${logins() - before} (transport ${transport.loginsStarted}), sessions ${transport.sessionsStarted}`,
    );
  }

  console.log(`built CLI, one process per command (load average ${loadAverage()}):`);
  for (let round = 1; round <= rounds; round++) {
    const times = (host: string, name: string) =>
      cliRound(file, name, { ...env, DOCKER_HOST: host });
    const unix = await times("unix:///var/run/docker.sock", `benchcliunix${round}`);
    const before = logins();
    const ssh = await times(env["STACK_SSHD_HOST"]!, `benchclissh${round}`);
    console.log(
      `round ${round}: deploy unix ${fmt(unix.deploy)}  ssh ${fmt(ssh.deploy)}  ratio ${(ssh.deploy / unix.deploy).toFixed(2)}x | ps unix ${fmt(unix.ps)} ssh ${fmt(ssh.ps)} | rm unix ${fmt(unix.remove)} ssh ${fmt(ssh.remove)} | ssh logins ${logins() - before} for 3 commands`,
    );
  }
  console.log(`load average at the end ${loadAverage()}`);
}

function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

/** Runs the built CLI with `env`; resolves with its wall time, failing on a non-zero exit. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(performance.now() - t0)
        : reject(new Error(`stack ${args.join(" ")} exited ${code}: ${stderr}`)),
    );
  });
}

async function cliRound(file: string, name: string, env: NodeJS.ProcessEnv) {
  const deploy = await cli(
    ["deploy", "-c", file, name, "--progress", "quiet", "--parallel", String(PARALLEL)],
    env,
  );
  const ps = await cli(["ps", name, "--format", "json"], env);
  const remove = await cli(["rm", name, "--volumes", "--progress", "quiet"], env);
  return { deploy, ps, remove };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
