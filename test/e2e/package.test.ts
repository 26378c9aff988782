/**
 * The package as a user gets it: `npm pack` (of the build already made; the `prepack`
 * script builds when packing for real), the tarball installed into an empty project from
 * npm's cache only (`npm ci --offline`: CI's own `npm ci` filled the cache), then
 * scripts that use only the public entry: `import` and `require()` both deploy a stack with
 * `up()`, exec in it and remove it on a real engine; the `stack` command answers
 * `--version`; TypeScript resolves the types from ESM and CommonJS files; the JSON schema is
 * exported; no source map is shipped and the LICENSE is.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireEngine, TEST_IMAGE } from "../integration/docker/helpers.js";

const ROOT = resolve(".");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  license: string;
};
for (const built of ["dist/index.js", "dist/cjs/index.cjs", "dist/cli/bin.js"])
  if (!existsSync(join(ROOT, built)))
    throw new Error(`${built} is missing: run npm run build first`);
const engine = await requireEngine();
const dir = mkdtempSync(join(tmpdir(), "stack-package-"));
const project = join(dir, "consumer");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: 240_000,
    // What a user's shell has: no variables of this repository's test run.
    env: { ...process.env, npm_config_loglevel: "error", npm_config_update_notifier: "false" },
  });
}

function ok(r: SpawnSyncReturns<string>): string {
  expect(r.status, `${r.stderr}\n${r.stdout}`).toBe(0);
  return r.stdout;
}

let files: string[] = [];

beforeAll(() => {
  // --ignore-scripts: the build is there already, and rebuilding dist/ under other e2e
  // files running at the same time would break them.
  const packed = JSON.parse(
    ok(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT)),
  ) as { filename: string; files: { path: string }[] }[];
  const tarball = join(dir, packed[0]!.filename);
  files = packed[0]!.files.map((f) => f.path);
  mkdirSync(project);
  // npm's cache holds the dependencies' tarballs (by integrity) but not the registry's
  // metadata, so `npm install --offline TARBALL` cannot resolve versions. The consumer gets
  // the lockfile npm would write: this repository's entries of the runtime dependencies
  // (and @types/node for the type check), plus the tarball; `npm ci --offline` installs it.
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, Record<string, unknown>>;
  };
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const typesNode = lock.packages["node_modules/@types/node"]!["version"] as string;
  const dependencies = { [pkg.name]: `file:${tarball}`, "@types/node": typesNode };
  const packages: Record<string, Record<string, unknown>> = {
    "": { name: "consumer", version: "1.0.0", dependencies },
  };
  const wanted = new Set(["node_modules/@types/node", "node_modules/undici-types"]);
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || (entry["dev"] === true && !wanted.has(path))) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    packages[path] = rest;
  }
  packages[`node_modules/${pkg.name}`] = {
    version: pkg.version,
    resolved: `file:${tarball}`,
    integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
    license: pkg.license,
    dependencies: manifest["dependencies"],
    bin: manifest["bin"],
    engines: manifest["engines"],
  };
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", private: true, dependencies }),
  );
  writeFileSync(
    join(project, "package-lock.json"),
    JSON.stringify({
      name: "consumer",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages,
    }),
  );
  ok(run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], project));
}, 300_000);

describe("the packed package", () => {
  it("ships the build, the schema and the LICENSE, and no source maps", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "LICENSE",
        "README.md",
        "package.json",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/cjs/index.cjs",
        "dist/cjs/index.d.cts",
        "dist/cli/bin.js",
        "schemas/stack.schema.json",
      ]),
    );
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License/);
    expect(pkg.license).toBe("MIT");
  });

  it("installs the stack command: npx stack --version", () => {
    expect(ok(run("npx", ["--no-install", "stack", "--version"], project)).trim()).toBe(
      pkg.version,
    );
  });

  it("the JSON schema is exported", () => {
    const require = createRequire(join(project, "index.js"));
    const schema = require(`${pkg.name}/schema.json`) as { $schema?: string };
    expect(schema.$schema).toContain("json-schema.org");
  });

  it("types resolve from an ES module and a CommonJS file", () => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2023"],
          strict: true,
          noEmit: true,
          types: ["node"],
        },
        include: ["*.mts", "*.cts"],
      }),
    );
    writeFileSync(
      join(project, "check.mts"),
      `import { up, UpError, type StackHandle, type ExecResult } from ${JSON.stringify(pkg.name)};
const env: StackHandle = await up({ yaml: "services: {}", timeoutMs: 1000 });
const r: ExecResult = await env.exec("web", ["true"]);
const p: { host: string; port: number } = await env.port("web", 80, { index: 1 });
const e: UpError | undefined = undefined;
// @ts-expect-error: no such option
await up({ fil: "x" });
console.log(r.exitCode, p.port, e);
await env.down({ volumes: false });
`,
    );
    writeFileSync(
      join(project, "check.cts"),
      `import stack = require(${JSON.stringify(pkg.name)});
async function main(): Promise<void> {
  const env: stack.StackHandle = await stack.up({ file: "stack.yml" });
  const out: string = (await env.exec("web", "echo hi")).stdout;
  await env.down();
  console.log(out);
}
void main();
`,
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    ok(run(process.execPath, [tsc, "-p", "tsconfig.json"], project));
  });
});

describe.skipIf(engine === undefined)("the installed package on a real engine", () => {
  const yaml = `services:\n  box:\n    image: ${TEST_IMAGE}\n    init: true\n    command: ["sleep", "3600"]\n`;

  it("import: up(), exec and down() through the public entry", () => {
    writeFileSync(
      join(project, "esm.mjs"),
      `import { up } from ${JSON.stringify(pkg.name)};
const env = await up({ yaml: ${JSON.stringify(yaml)} });
const r = await env.exec("box", "echo from-esm");
await env.down();
console.log(JSON.stringify({ name: env.name, ...r }));
`,
    );
    const out = JSON.parse(ok(run(process.execPath, ["esm.mjs"], project))) as {
      name: string;
      stdout: string;
      exitCode: number;
    };
    expect(out.name).toMatch(/^consumer-up-[0-9a-f]{8}$/);
    expect([out.exitCode, out.stdout]).toEqual([0, "from-esm\n"]);
  });

  it("require(): up(), exec and down() through the public entry", () => {
    writeFileSync(
      join(project, "cjs.cjs"),
      `const { up, UpError } = require(${JSON.stringify(pkg.name)});
(async () => {
  const env = await up({ yaml: ${JSON.stringify(yaml)} });
  const r = await env.exec("box", ["sh", "-c", "echo from-cjs; exit 4"]);
  await env.down();
  console.log(JSON.stringify({ ...r, upError: typeof UpError }));
})().catch((e) => { console.error(e); process.exit(1); });
`,
    );
    const r = run(process.execPath, ["cjs.cjs"], project);
    expect(r.stderr).not.toMatch(/ExperimentalWarning|ERR_REQUIRE/);
    expect(JSON.parse(ok(r))).toEqual({
      exitCode: 4,
      stdout: "from-cjs\n",
      stderr: "",
      upError: "function",
    });
  });
});
