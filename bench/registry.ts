/**
 * Registry bench (not run in CI): `stack pull` and `stack push` (the built CLI, one process
 * per command, plain progress to /dev/null) beside `docker pull` / `docker push` of the same
 * images through the open test registry (scripts/registry.sh), alternating the order each
 * round. The image is FROM stack-test/busybox plus LAYERS layers of MB megabytes of random
 * bytes (incompressible). A pull starts with the image removed from the engine; each push
 * sends fresh layers (a new image per push: layers the registry holds would be mounted or
 * skipped). Prints the median wall time of each.
 *
 * Run: npm run build && bash scripts/registry.sh up && npx tsx bench/registry.ts [rounds] [layers] [mb]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "./scale-helpers.js";

const rounds = Number(process.argv[2] ?? 5);
const layers = Number(process.argv[3] ?? 3);
const mb = Number(process.argv[4] ?? 10);
const registry = (
  JSON.parse(readFileSync("/run/stack-registry/registry.json", "utf8")) as { open: string }
).open;
const suffix = randomBytes(3).toString("hex");
let built = 0;

/** Builds a fresh image tagged `tag` (new random layers) in a project dir; returns the dir. */
function build(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-bench-registry-"));
  const copies: string[] = [];
  for (let i = 0; i < layers; i++) {
    writeFileSync(join(dir, `blob${i}`), randomBytes(mb * 1_000_000));
    copies.push(`COPY blob${i} /blob${i}`);
  }
  writeFileSync(join(dir, "Dockerfile"), `FROM stack-test/busybox:latest\n${copies.join("\n")}\n`);
  writeFileSync(join(dir, "stack.yml"), `services:\n  app:\n    build: .\n    image: ${tag}\n`);
  execFileSync("docker", ["build", "-q", "-t", tag, dir], { stdio: "ignore" });
  built += 1;
  return dir;
}

function timed(cmd: string, args: string[], cwd?: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const times = {
  stackPull: [] as number[],
  dockerPull: [] as number[],
  stackPush: [] as number[],
  dockerPush: [] as number[],
};
const pullTag = `${registry}/stack-bench/pull-${suffix}:1`;
const pullDir = build(pullTag);
// `stack pull` skips services that build their image: the pull project only names it.
writeFileSync(join(pullDir, "stack.yml"), `services:\n  app:\n    image: ${pullTag}\n`);
execFileSync("docker", ["push", "-q", pullTag], { stdio: "ignore" });
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ["stack", "docker"] : ["docker", "stack"];
  for (const tool of order) {
    execFileSync("docker", ["rmi", "-f", pullTag], { stdio: "ignore" });
    if (tool === "stack")
      times.stackPull.push(timed(process.execPath, [CLI, "pull", "--progress", "plain"], pullDir));
    else times.dockerPull.push(timed("docker", ["pull", pullTag]));
  }
  for (const tool of order) {
    const tag = `${registry}/stack-bench/push-${suffix}-${tool}-${round}:1`;
    const dir = build(tag);
    if (tool === "stack")
      times.stackPush.push(timed(process.execPath, [CLI, "push", "--progress", "plain"], dir));
    else times.dockerPush.push(timed("docker", ["push", tag]));
    execFileSync("docker", ["rmi", "-f", tag], { stdio: "ignore" });
  }
}
execFileSync("docker", ["rmi", "-f", pullTag], { stdio: "ignore" });
console.log(`| ${layers} x ${mb} MB layers, median of ${rounds} | stack | docker |`);
console.log("| --- | --- | --- |");
console.log(
  `| pull (image removed first) | ${fmt(median(times.stackPull))} | ${fmt(median(times.dockerPull))} |`,
);
console.log(
  `| push (fresh layers) | ${fmt(median(times.stackPush))} | ${fmt(median(times.dockerPush))} |`,
);
console.log(
  `(${built} images built; runs: ${JSON.stringify(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => Math.round(x))])))})`,
);
