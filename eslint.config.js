// Lint config: typescript-eslint recommended rules on src/, test/ and bench/, plus the
// architecture's import rules on src/ (docs/architecture.md): no file-level import cycles,
// dockerode only inside the drivers, and each layer importing only what it may.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

/** Folders of src/ a layer must not import from, with the reason the message gives. */
const layers = [
  {
    target: "./src/model",
    from: [
      "./src/stackfile",
      "./src/core",
      "./src/drivers",
      "./src/api",
      "./src/cli",
      "./src/ui",
      "./src/progress",
    ],
    message: "model/ is the stack model: it imports nothing of ours.",
  },
  {
    target: "./src/stackfile",
    from: ["./src/core", "./src/drivers", "./src/api", "./src/cli", "./src/ui", "./src/progress"],
    message: "stackfile/ (the loader) builds the model and imports only model/.",
  },
  {
    target: "./src/core",
    from: ["./src/drivers", "./src/api", "./src/cli", "./src/ui", "./src/stackfile"],
    message: "core/ is driver-neutral: it never imports a driver, the API, the CLI or the UI.",
  },
  {
    target: "./src/drivers",
    from: ["./src/api", "./src/cli", "./src/ui"],
    message: "drivers/ implement the Driver contract; they do not reach up into api/, cli/ or ui/.",
  },
  {
    target: "./src/drivers/docker",
    from: ["./src/drivers/swarm"],
    message: "a driver is a folder of its own; share code through core/ or drivers/docker-api/.",
  },
  {
    target: "./src/drivers/swarm",
    from: ["./src/drivers/docker"],
    message: "a driver is a folder of its own; share code through core/ or drivers/docker-api/.",
  },
  {
    target: "./src/api",
    from: ["./src/drivers", "./src/cli", "./src/ui"],
    message:
      "api/ is driver-agnostic: it talks to a Driver through the contract in core/driver.ts.",
  },
  {
    target: "./src/ui",
    from: ["./src/drivers", "./src/api", "./src/cli"],
    message: "ui/ draws what it is given: it never touches an engine.",
  },
];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", ".cache/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["src/**/*.ts", "src/**/*.tsx"],
    plugins: { "import-x": importX },
    settings: {
      // The plugin's TypeScript preset (extensions, parsers), with the TypeScript resolver so
      // `./x.js` specifiers resolve to their `.ts` sources.
      ...importX.flatConfigs.typescript.settings,
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-restricted-paths": ["error", { zones: layers }],
    },
  },
  {
    // Only the drivers speak the Docker Engine API.
    files: ["src/**/*.ts", "src/**/*.tsx"],
    ignores: ["src/drivers/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "dockerode", message: "only src/drivers/ may import dockerode" }],
          patterns: [
            {
              group: ["docker-modem", "docker-modem/*"],
              message: "only src/drivers/ may talk to the engine",
            },
          ],
        },
      ],
    },
  },
);
