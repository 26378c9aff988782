/**
 * docs/api/ is generated from the TSDoc of the package's main entry (`npm run docs:api`,
 * typedoc with its markdown plugin) and committed: this fails when it is out of date.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";

const out = mkdtempSync(join(tmpdir(), "stack-api-docs-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it("docs/api matches the TSDoc of src/index.ts (run npm run docs:api)", () => {
  const typedoc = resolve("node_modules/typedoc/bin/typedoc");
  const r = spawnSync(process.execPath, [typedoc, "--out", out, "--logLevel", "Error"], {
    encoding: "utf8",
    timeout: 180_000,
  });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  const committed = resolve("docs/api");
  const names = readdirSync(out).sort();
  expect(readdirSync(committed).sort()).toEqual(names);
  for (const name of names)
    expect(readFileSync(join(committed, name), "utf8"), name).toBe(
      readFileSync(join(out, name), "utf8"),
    );
});
