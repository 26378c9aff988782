import { defineConfig } from "vitest/config";

// Engine and e2e tests share one Docker engine; files run in parallel but each test uses a
// unique stack name, so they never see each other's containers.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
