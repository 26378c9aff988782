import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "tar-fs";
import { describe, expect, it } from "vitest";
import { buildConfigHash } from "../../../src/model/config-hash.js";
import type { BuildSpec } from "../../../src/model/types.js";
import { buildContextArchive, inlineDockerfileName } from "../../../src/stackfile/build-context.js";

/** A build context directory holding `files`. */
function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-context-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Every file of a tar stream (extracted into a fresh directory): name -> content. */
async function entries(tar: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "stack-context-out-"));
  await new Promise<void>((resolve, reject) => {
    const out = extract(dir);
    out.on("finish", resolve);
    out.on("error", reject);
    tar.pipe(out);
  });
  return Object.fromEntries(
    readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), "utf8")]),
  );
}

const build = (dir: string, more: Partial<BuildSpec> = {}): BuildSpec => ({
  context: dir,
  dockerfile: "Dockerfile",
  args: {},
  labels: {},
  ...more,
});

describe("inlineDockerfileName", () => {
  it("is named after the content and never one of the context's files", () => {
    const name = inlineDockerfileName([], "FROM x\n");
    expect(name).toMatch(/^\.stack-dockerfile-inline-[0-9a-f]{12}$/);
    expect(inlineDockerfileName([], "FROM y\n")).not.toBe(name);
    expect(inlineDockerfileName([name], "FROM x\n")).toBe(`${name}-1`);
    expect(inlineDockerfileName([name, `${name}-1`], "FROM x\n")).toBe(`${name}-2`);
  });
});

describe("buildContextArchive", () => {
  it("sends the files .dockerignore keeps, and the Dockerfile the build names", async () => {
    const dir = context({
      Dockerfile: "FROM base\n",
      "app.txt": "app",
      "secret.key": "no",
      ".dockerignore": "*.key\n",
    });
    const archive = await buildContextArchive(build(dir));
    expect(archive.dockerfile).toBe("Dockerfile");
    expect(Object.keys(await entries(archive.tar)).sort()).toEqual([
      ".dockerignore",
      "Dockerfile",
      "app.txt",
    ]);
  });

  it("adds dockerfile_inline as a file of its own that .dockerignore cannot drop", async () => {
    const inline = "FROM base\nCOPY app.txt /\n";
    const dir = context({
      Dockerfile: "FROM other\n",
      "app.txt": "app",
      ".dockerignore": ".*\n!.dockerignore\n",
    });
    const archive = await buildContextArchive(build(dir, { dockerfileInline: inline }));
    expect(archive.dockerfile).toBe(inlineDockerfileName([], inline));
    const files = await entries(archive.tar);
    expect(files[archive.dockerfile]).toBe(inline);
    // The context's own Dockerfile is still sent, unchanged.
    expect(files["Dockerfile"]).toBe("FROM other\n");
    expect(files["app.txt"]).toBe("app");
  });
});

describe("buildConfigHash with dockerfile_inline", () => {
  it("changes with the inline content and is the old hash without it", () => {
    const plain = build("/ctx");
    expect(buildConfigHash({ ...plain, dockerfileInline: "FROM a\n" })).not.toBe(
      buildConfigHash({ ...plain, dockerfileInline: "FROM b\n" }),
    );
    expect(buildConfigHash({ ...plain, dockerfileInline: "FROM a\n" })).not.toBe(
      buildConfigHash(plain),
    );
  });
});
