/**
 * Generative bad-input tests: thousands of malformed stack files (broken YAML, wrong types,
 * unknown keys, bad interpolation, huge and deeply nested documents, alias bombs) go through
 * the same path the CLI uses (loadStack, then handleError) and must each end in a located
 * `file:line:col` message with the invalid-input exit code: never a crash, a stack trace or
 * an internal error. A handful go through the built CLI with an unreachable engine, proving
 * that no engine call is made (an engine call would end in exit code 3, not 2).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { handleError } from "../../../src/cli/handle-error.js";
import { EXIT } from "../../../src/cli/exit-codes.js";
import { SpecError } from "../../../src/stackfile/errors.js";
import { loadStack } from "../../../src/stackfile/load-stack.js";

/** A valid stack the mutations start from. */
const BASE = {
  services: {
    web: {
      image: "nginx:1.27",
      ports: ["8080:80"],
      environment: { MODE: "prod" },
      depends_on: { db: { condition: "service_healthy" } },
      deploy: { replicas: 2, restart_policy: { condition: "on-failure", max_attempts: 3 } },
      networks: ["front"],
    },
    db: {
      image: "postgres:16",
      volumes: ["data:/var/lib/postgresql/data"],
      healthcheck: { test: ["CMD", "true"], interval: "5s" },
      networks: ["front"],
    },
  },
  networks: { front: {} },
  volumes: { data: {} },
};

/** Paths (into BASE) with values of the wrong type for each; every one is invalid. */
const WRONG_TYPES: readonly { path: readonly string[]; values: readonly unknown[] }[] = [
  { path: ["services", "web", "image"], values: [123, ["a"], { a: 1 }, true] },
  { path: ["services", "web", "ports"], values: ["8080:80", 7, { a: 1 }, [{ target: "x" }]] },
  { path: ["services", "web", "environment"], values: [5, "A=B", true] },
  { path: ["services", "web", "deploy", "replicas"], values: ["two", -1, 1.5, [], {}] },
  { path: ["services", "web", "deploy", "restart_policy", "condition"], values: ["sometimes", 3] },
  { path: ["services", "web", "deploy", "restart_policy", "max_attempts"], values: ["x", -2, {}] },
  { path: ["services", "web", "depends_on"], values: [3, "db", { db: { condition: "later" } }] },
  { path: ["services", "db", "healthcheck", "interval"], values: ["soon", [], { a: 1 }] },
  { path: ["services", "db", "volumes"], values: ["data", 1, [{ type: "weird", target: "/x" }]] },
  { path: ["services", "db", "networks"], values: ["front", 2, [["front"]]] },
  { path: ["services"], values: ["web", 3, [1, 2]] },
  { path: ["networks", "front"], values: [3, "x", [1]] },
  { path: ["volumes", "data"], values: [7, ["x"]] },
];

type Json = Record<string, unknown>;

function clone<T>(value: T): T {
  return structuredClone(value);
}

function setPath(doc: Json, path: readonly string[], value: unknown): Json {
  const out = clone(doc);
  let node: Json = out;
  for (const key of path.slice(0, -1)) node = node[key] as Json;
  node[path[path.length - 1]!] = value;
  return out;
}

/** Object paths in BASE where an unknown key can be added. */
const OBJECT_PATHS: readonly (readonly string[])[] = [
  [],
  ["services", "web"],
  ["services", "db"],
  ["services", "web", "deploy"],
  ["services", "web", "deploy", "restart_policy"],
  ["services", "db", "healthcheck"],
];

/** Fragments that break YAML wherever they are inserted as a line of their own. */
const BROKEN_YAML = [
  "  bad: [1, 2",
  'image: "unterminated',
  "\tservices: {}",
  "- : - : {",
  "services:\nservices:",
  "x: &a [*a]",
  "}{",
  "key: 'oops",
  "---\n%YAML 1.2",
];

/** Interpolation mistakes, placed in a value. */
const BAD_INTERPOLATION = [
  "${",
  "${UNSET_FUZZ_VAR:?must be set}",
  "${UNSET_FUZZ_VAR?}",
  "${1BAD}",
  "${A:-${B}",
  "${ }",
  "${A-}x${",
];

/** Loads `text` as stdin through the CLI's own path; returns the exit code and output. */
async function runLoad(text: string): Promise<{ code: number; out: string; error: unknown }> {
  let out = "";
  try {
    await loadStack({
      files: ["-"],
      envFiles: [],
      cwd: "/tmp",
      env: {},
      readStdin: () => Promise.resolve(text),
      stack: "fuzz",
    });
  } catch (error) {
    const code = handleError(error, (s) => (out += s), {});
    return { code, out, error };
  }
  return { code: EXIT.ok, out, error: undefined };
}

/** A position, or for a file refused as a whole (too large) the file's name first. */
const LOCATED = /<stdin>:\d+:\d+/;

async function expectLocatedInvalid(text: string): Promise<void> {
  const { code, out, error } = await runLoad(text);
  if (!(error instanceof SpecError) || code !== EXIT.invalidInput || !LOCATED.test(out)) {
    throw new Error(
      `expected a located invalid-input error, got exit ${code}: ${out.slice(0, 400)}\n--- input (first 300 chars) ---\n${text.slice(0, 300)}`,
    );
  }
  expect(out).not.toMatch(/internal error|\n\s+at /);
}

const yamlOf = (doc: unknown) => stringify(doc);

const wrongType = fc
  .constantFrom(...WRONG_TYPES)
  .chain((w) => fc.constantFrom(...w.values).map((v) => yamlOf(setPath(BASE, w.path, v))));

const unknownKey = fc
  .tuple(
    fc.constantFrom(...OBJECT_PATHS),
    fc.stringMatching(/^[a-w][a-z0-9]{2,10}$/),
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map(([path, key, value]) => {
    const doc = clone(BASE) as Json;
    let node: Json = doc;
    for (const k of path) node = node[k] as Json;
    // Prefix guarantees the key is in no specification (compose keys never start with zq).
    node[`zq${key}`] = value;
    return yamlOf(doc);
  });

const brokenYaml = fc.tuple(fc.constantFrom(...BROKEN_YAML), fc.nat()).map(([fragment, at]) => {
  // At column 0: an indented line after a plain scalar would be valid YAML (a continuation).
  const lines = yamlOf(BASE).split("\n");
  const i = at % (lines.length + 1);
  lines.splice(i, 0, fragment);
  return lines.join("\n");
});

const badInterpolation = fc
  .tuple(
    fc.constantFrom(...BAD_INTERPOLATION),
    fc.constantFrom(
      ["services", "web", "image"],
      ["services", "web", "environment", "MODE"],
      ["services", "db", "healthcheck", "interval"],
    ),
    fc.string({ maxLength: 5 }).filter((s) => !s.includes("$")),
  )
  .map(([bad, path, prefix]) => yamlOf(setPath(BASE, path, `${prefix}${bad}`)));

/** Random text, bytes and JSON values: some happen to be valid (`{}` is an empty stack). */
const noise = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => yamlOf(v)),
);

/** Either loads, or fails with a located invalid-input error; never anything else. */
async function expectLoadedOrLocatedInvalid(text: string): Promise<void> {
  const { code } = await runLoad(text);
  if (code !== EXIT.ok) await expectLocatedInvalid(text);
}

describe("malformed stack files end in a located invalid-input error", () => {
  it("wrong types", async () => {
    await fc.assert(fc.asyncProperty(wrongType, expectLocatedInvalid), { numRuns: 600 });
  });

  it("unknown keys", async () => {
    await fc.assert(fc.asyncProperty(unknownKey, expectLocatedInvalid), { numRuns: 600 });
  });

  it("broken YAML", async () => {
    await fc.assert(fc.asyncProperty(brokenYaml, expectLocatedInvalid), { numRuns: 600 });
  });

  it("bad interpolation", async () => {
    await fc.assert(fc.asyncProperty(badInterpolation, expectLocatedInvalid), { numRuns: 400 });
  });

  it("noise", async () => {
    await fc.assert(fc.asyncProperty(noise, expectLoadedOrLocatedInvalid), { numRuns: 800 });
  });

  it("deeply nested documents", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2_000, max: 20_000 }),
        fc.constantFrom("flow-seq", "flow-map", "block"),
        async (depth, style) => {
          const text =
            style === "flow-seq"
              ? `services: ${"[".repeat(depth)}${"]".repeat(depth)}\n`
              : style === "flow-map"
                ? `services: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}\n`
                : `services:\n${Array.from({ length: Math.min(depth, 3000) }, (_, i) => `${" ".repeat(i + 1)}k${i}:`).join("\n")} 1\n`;
          await expectLocatedInvalid(text);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("huge documents", async () => {
    // 11 MiB of one scalar (refused by size), and a document of 50k unknown keys (schema
    // lookups are memoised, so validation time grows linearly with the number of issues).
    await expectLocatedInvalid(`services:\n  a:\n    image: "${"x".repeat(11 * 1024 * 1024)}"\n`);
    const keys = Array.from({ length: 50_000 }, (_, i) => `    zq${i}: 1`).join("\n");
    await expectLocatedInvalid(`services:\n  web:\n    image: x\n${keys}\n`);
  });

  it("an oversized file on disk is refused at file:1:1 without being read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fuzz-big-"));
    writeFileSync(join(dir, "stack.yml"), Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    const error = await loadStack({
      files: ["stack.yml"],
      envFiles: [],
      cwd: dir,
      env: {},
      readStdin: () => Promise.resolve(""),
      stack: "fuzz",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).message).toMatch(
      /^stack\.yml:1:1 stack\.yml is 10\.0 MiB; files over 10 MiB are refused$/,
    );
  });

  it("alias bombs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 6, max: 12 }),
        fc.integer({ min: 6, max: 10 }),
        async (levels, width) => {
          const lines = ["x-a0: &a0 [lol]"];
          for (let i = 1; i <= levels; i++)
            lines.push(
              `x-a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(", ")}]`,
            );
          lines.push(`services:\n  web:\n    image: x\n    command: *a${levels}`);
          await expectLocatedInvalid(lines.join("\n"));
        },
      ),
      { numRuns: 10 },
    );
  });
});

const CLI = resolve("dist/cli/main.js");

describe.skipIf(!existsSync(CLI) && process.env["CI"] !== "true")(
  "the built CLI on malformed input makes no engine call",
  () => {
    it("exits 2 with a located message, even with an unreachable engine", () => {
      const samples = fc.sample(fc.oneof(wrongType, unknownKey, brokenYaml, badInterpolation), {
        numRuns: 6,
        seed: 7,
      });
      for (const text of samples) {
        for (const command of [
          ["deploy", "-c", "-", "fuzz"],
          ["config", "-c", "-"],
        ]) {
          const run = spawnSync(process.execPath, [CLI, ...command], {
            input: text,
            encoding: "utf8",
            // Port 1 on loopback: any engine call would fail with exit 3 (engine unavailable).
            env: { ...process.env, DOCKER_HOST: "tcp://127.0.0.1:1", STACK_DEBUG: "" },
            timeout: 30_000,
          });
          expect(run.status, `${command.join(" ")}: ${run.stderr}\n${text}`).toBe(2);
          expect(run.stderr).toMatch(/<stdin>:\d+:\d+/);
          expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
        }
      }
    });
  },
);
