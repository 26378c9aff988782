/**
 * The CLI as `npm run build` bundles it (scripts/build.ts): it reports the package's
 * version, and each command loads only the parts of the bundle it uses, so that `--version`
 * and `--help` start without the stack-file loader, the engine client or the terminal UI, and
 * `ls` without the loader and the UI. Which files a run loads is recorded by a module hook
 * in the child process; each part is recognised by what its chunk contains. Start-up time
 * itself is measured by bench/startup.ts, not here.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const CLI = resolve("dist/cli/main.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const dir = mkdtempSync(join(tmpdir(), "stack-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Runs in Node's module-hooks thread of the child: appends every file URL it loads.
const HOOKS = `
import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  if (url.startsWith("file:")) appendFileSync(process.env.STACK_TEST_LOADED, url + "\\n");
  return next(url, context);
}`;
const hooks = join(dir, "hooks.mjs");
writeFileSync(hooks, HOOKS);
const register = join(dir, "register.mjs");
writeFileSync(
  register,
  `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
);

/** What each part's chunk contains (module keys esbuild keeps, or the schema's own id). */
const PARTS = {
  "engine client": "node_modules/docker-modem/",
  "YAML loader": "node_modules/yaml/",
  "schema validator": "urn:stack:schema:stack-file",
  "terminal UI": "node_modules/react/",
} as const;
type Part = keyof typeof PARTS;

let runs = 0;
/** Runs the CLI with `args`; returns its exit code and the parts it loaded. */
function partsLoaded(args: string[], input?: string): { status: number | null; parts: Part[] } {
  const loaded = join(dir, `loaded-${++runs}.txt`);
  writeFileSync(loaded, "");
  const run = spawnSync(process.execPath, ["--import", register, CLI, ...args], {
    encoding: "utf8",
    ...(input !== undefined && { input }),
    // Port 1 on loopback: engine calls fail fast (exit 3) without touching a real engine.
    env: { ...process.env, STACK_TEST_LOADED: loaded, DOCKER_HOST: "tcp://127.0.0.1:1" },
    timeout: 60_000,
  });
  const files = readFileSync(loaded, "utf8").trim().split("\n").filter(Boolean);
  for (const f of files)
    expect(fileURLToPath(f), "a file outside the bundle").toMatch(/dist\/cli\//);
  const text = files.map((f) => readFileSync(fileURLToPath(f), "utf8")).join("\n");
  const parts = (Object.keys(PARTS) as Part[]).filter((p) => text.includes(PARTS[p]));
  return { status: run.status, parts };
}

describe("the bundled CLI", () => {
  it("reports the version in package.json", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    const run = spawnSync(process.execPath, [CLI, "--version"], { encoding: "utf8" });
    expect(run.stdout.trim()).toBe(pkg.version);
  });

  it("loads no loader, engine client or UI for --version and --help", () => {
    expect(partsLoaded(["--version"])).toEqual({ status: 0, parts: [] });
    expect(partsLoaded(["--help"])).toEqual({ status: 0, parts: [] });
  });

  it("loads the engine client, not the loader or the UI, for ls", () => {
    // Exit 3: the engine at port 1 is unavailable, after the client was loaded.
    expect(partsLoaded(["ls"])).toEqual({ status: 3, parts: ["engine client"] });
  });

  it("draws the terminal progress UI (Ink and React from the bundle)", () => {
    // --progress tty forces the UI on a pipe; the unreachable engine ends the run (exit 3)
    // after the UI has shown which driver and engine it used.
    const run = spawnSync(
      process.execPath,
      [CLI, "deploy", "-c", "-", "inkcheck", "--progress", "tty"],
      {
        encoding: "utf8",
        input: "services:\n  web:\n    image: x\n",
        env: { ...process.env, DOCKER_HOST: "tcp://127.0.0.1:1", TERM: "xterm" },
        timeout: 60_000,
      },
    );
    expect(run.status).toBe(3);
    expect(run.stderr).not.toContain("progress display unavailable");
    expect(run.stderr).toContain("using the docker driver");
  });

  it("loads the loader and the precompiled validator, not the engine client, for config", () => {
    expect(partsLoaded(["config", "-c", "-"], "services:\n  web:\n    image: x\n")).toEqual({
      status: 0,
      parts: ["YAML loader", "schema validator"],
    });
  });
});
