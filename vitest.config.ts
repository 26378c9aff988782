import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vitest/config";

// The schema validator `npm run build` generates with ajv's standalone code, which dist/ and
// the bundled CLI use in place of src/stackfile/compile-stack-schema.ts. The
// "precompiled-validator" project runs the validator's tests again against it; it needs a
// build, so it is left out when there is none (never with CI=true: then a missing build fails).
const PRECOMPILED = fileURLToPath(
  new URL("./dist/stackfile/compile-stack-schema.js", import.meta.url),
);
const withPrecompiled = existsSync(PRECOMPILED) || process.env["CI"] === "true";

const precompiledValidator: Plugin = {
  name: "precompiled-stack-schema",
  enforce: "pre",
  resolveId: (source) => (source.endsWith("/compile-stack-schema.js") ? PRECOMPILED : null),
};

// Engine and e2e tests share one Docker engine; files run in parallel but each test uses a
// unique stack name, so they never see each other's containers.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: "stack", include: ["test/**/*.test.ts", "test/**/*.test.tsx"] },
      },
      {
        // The examples' own suites, written against the package's name as their users write
        // them (`import { up } from "stack-converge"`), run on this checkout's sources. The
        // variables pick the images scripts/build-example-images.sh makes: no registry here.
        extends: true,
        resolve: {
          alias: { "stack-converge": fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
        },
        test: {
          name: "examples",
          include: ["examples/**/*.test.ts"],
          env: {
            MICROBLOG_IMAGE: "stack-example/microblog:tests",
            MICROBLOG_BASE_IMAGE: "stack-example/debian-base:bookworm",
            MYSQL_IMAGE: "stack-example/mariadb:bookworm",
            ES_IMAGE: "stack-test/es-standin:latest",
          },
        },
      },
      ...(withPrecompiled
        ? [
            {
              extends: true as const,
              plugins: [precompiledValidator],
              test: {
                name: "precompiled-validator",
                include: [
                  "test/unit/stackfile/compile-stack-schema.test.ts",
                  "test/unit/stackfile/validate.test.ts",
                  "test/unit/stackfile/schema.test.ts",
                  "test/unit/stackfile/load-stack.test.ts",
                  "test/unit/stackfile/fuzz.test.ts",
                ],
                env: { STACK_TEST_VALIDATOR: "precompiled" },
              },
            },
          ]
        : []),
    ],
  },
});
