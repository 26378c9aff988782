/**
 * `npm run build`: the package's two outputs, from a clean dist/.
 *
 * 1. The library (package.json `exports`): `tsc -p tsconfig.build.json` compiles src/,
 *    except the CLI, module by module into dist/ with declarations (dist/index.js and .d.ts).
 * 2. The precompiled schema validator: ajv's standalone code for schemas/stack.schema.json
 *    replaces tsc's dist/stackfile/compile-stack-schema.js, so neither the library nor the
 *    CLI compiles the schema at run time (scripts/standalone-stack-schema.ts).
 * 3. The CLI (package.json `bin`): esbuild bundles src/cli/main.ts and src/cli/bin.ts with
 *    their dependencies into dist/cli/, split into chunks at every dynamic `import()`, so a
 *    command loads only what it uses: `--version` and `--help` no stack-file loader, no
 *    engine client and no terminal UI; the drivers and dockerode load when a command reaches
 *    the engine (src/drivers/select-driver.ts), Ink and React only for the live screens.
 *    `node dist/cli/main.js` and the `stack` bin (dist/cli/bin.js, which keeps its
 *    `#!/usr/bin/env -S node --` line) both run the bundle.
 * 4. The library's CommonJS entry (package.json `exports` `require`): esbuild bundles
 *    src/index.ts into dist/cjs/index.cjs with the dependencies left as `require()`s, except
 *    the ESM-only ones (`ESM_ONLY`), which are bundled so `require()` never loads an ES module.
 *    dist/cjs/ is two levels below the package root like src/stackfile/, so the schema's
 *    path relative to `import.meta.url` holds there too; dist/cjs/index.d.cts gives it types.
 *
 * No source maps are written: the package ships no sources for them to point at.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { writeStandaloneStackSchema } from "./standalone-stack-schema.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");
const STANDALONE = join(DIST, "stackfile", "compile-stack-schema.js");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};

/**
 * Dependencies published as ES modules only: the CommonJS entry bundles them (with their
 * own dependencies) instead of requiring them.
 */
const ESM_ONLY = ["p-limit", "p-retry"];

/** The bundle takes the validator the build generated instead of the run-time compiler. */
const precompiledSchema: Plugin = {
  name: "precompiled-stack-schema",
  setup(b) {
    b.onResolve({ filter: /\/compile-stack-schema\.js$/ }, () => ({ path: STANDALONE }));
  },
};

/**
 * The version is written in: the modules that read it from package.json find that file by
 * a path relative to their own, which a chunk of the bundle does not keep.
 */
const versionConstant: Plugin = {
  name: "version-constant",
  setup(b) {
    b.onLoad(
      { filter: /[\\/]src[\\/](version|drivers[\\/]docker-api[\\/]stack-version)\.ts$/ },
      () => ({
        contents: `export const STACK_VERSION = ${JSON.stringify(pkg.version)};\n`,
        loader: "ts",
      }),
    );
  },
};

/**
 * Two requires at the top of dockerode's modules load what `stack` never uses, on every
 * command that reaches the engine: dockerode's BuildKit session (gRPC and protobufjs, ~85 ms
 * of CPU here) and docker-modem's ssh2 transport (~50 ms; `stack` reaches ssh:// engines
 * through the ssh client instead). Each is turned into a require on first use. The session
 * module stays in node_modules (it finds its .proto files next to itself). A dependency
 * update that changes these lines fails the build here rather than loading them eagerly.
 */
const LAZY_REQUIRES: readonly { file: RegExp; from: string; to: string }[] = [
  {
    file: /[\\/]node_modules[\\/]dockerode[\\/]lib[\\/]docker\.js$/,
    from: "withSession = require('./session'),",
    to: "withSession = function () { return require('dockerode/lib/session.js').apply(this, arguments); },",
  },
  {
    file: /[\\/]node_modules[\\/]docker-modem[\\/]lib[\\/]modem\.js$/,
    from: "ssh = require('./ssh'),",
    to: "ssh = function (opt) { return require('./ssh')(opt); },",
  },
];

const lazyRequires: Plugin = {
  name: "lazy-requires",
  setup(b) {
    for (const { file, from, to } of LAZY_REQUIRES) {
      b.onLoad({ filter: file }, (args) => {
        const text = readFileSync(args.path, "utf8");
        if (!text.includes(from))
          throw new Error(`${args.path} no longer contains "${from}": update LAZY_REQUIRES`);
        return { contents: text.replace(from, to), loader: "js" };
      });
    }
    b.onResolve({ filter: /^dockerode\/lib\/session\.js$/ }, (args) => ({
      path: args.path,
      external: true,
    }));
  },
};

function step(text: string): void {
  process.stdout.write(`build: ${text}\n`);
}

async function main(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });

  step("library (tsc)");
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], {
    stdio: "inherit",
  });

  step("schema validator (ajv standalone)");
  writeStandaloneStackSchema(STANDALONE);
  // tsc's source map described the run-time compiler this file no longer is.
  rmSync(`${STANDALONE}.map`, { force: true });

  step("CLI bundle (esbuild)");
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: "src/cli/main.ts", bin: "src/cli/bin.ts" },
    outdir: join(DIST, "cli"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "chunks/[name]-[hash]",
    sourcemap: false,
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    // React's production build: its development build checks and warns at every render.
    define: { "process.env.NODE_ENV": '"production"' },
    // ssh2 may load a compiled crypto binding by a path relative to its own files; it stays
    // in node_modules (a dependency of dockerode) and loads from there, as it did unbundled.
    // react-devtools-core is an optional peer of Ink, loaded only with DEV=true and not
    // installed: left as the import it is.
    external: ["ssh2", "cpu-features", "*.node", "react-devtools-core"],
    // Bundled CommonJS modules (dockerode and its dependencies) call `require` for Node's
    // own modules and for ssh2; an ES module has none, so each output file gets one.
    banner: {
      js: 'import { createRequire as __stackCreateRequire } from "node:module";\nconst require = __stackCreateRequire(import.meta.url);',
    },
    plugins: [precompiledSchema, versionConstant, lazyRequires],
    metafile: true,
    logLevel: "warning",
  });
  // What went into which chunk, for a look with esbuild's analyzer when a command slows down.
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  writeFileSync(join(ROOT, ".cache", "cli-bundle-meta.json"), JSON.stringify(result.metafile));
  const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
  step(`${outputs.length} files in ${relative(ROOT, join(DIST, "cli"))}/`);

  step("library CommonJS entry (esbuild)");
  await build({
    absWorkingDir: ROOT,
    entryPoints: ["src/index.ts"],
    outfile: join(DIST, "cjs", "index.cjs"),
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    sourcemap: false,
    legalComments: "none",
    external: [
      ...Object.keys(pkg.dependencies).filter((d) => !ESM_ONLY.includes(d)),
      "ssh2",
      "cpu-features",
      "*.node",
    ],
    // A CommonJS module has no import.meta: its URL is made from __filename instead.
    define: { "import.meta.url": "__stackModuleUrl" },
    banner: { js: 'const __stackModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [precompiledSchema, versionConstant],
    logLevel: "warning",
  });
  // The ES module's declarations describe the CommonJS entry too (same exports).
  writeFileSync(join(DIST, "cjs", "index.d.cts"), 'export * from "../index.js";\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
