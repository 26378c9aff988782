/**
 * The files of a build context as the engine receives them (after `.dockerignore`), the tar
 * archive sent to the engine, and a hash of their names, modes and contents: a deploy
 * rebuilds an image only when this hash or the build settings changed (an inline Dockerfile
 * is a build setting, `BuildSpec.dockerfileInline`, so it is in the build hash).
 */
import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import dockerignore from "@balena/dockerignore";
import { pack } from "tar-fs";
import type { BuildSpec, ServiceSpec, StackSpec } from "../model/types.js";

// The package is CommonJS (`module.exports = factory`) while its types declare a default
// export: under NodeNext the default import is the factory itself at run time.
const ignore = dockerignore as unknown as typeof dockerignore.default;

/**
 * Relative paths (POSIX separators, sorted) of every file and symlink under `context` that
 * `.dockerignore` does not exclude; the Dockerfile and `.dockerignore` are always kept, as
 * the Docker CLI does. The same rules (`@balena/dockerignore`, which dockerode packs with)
 * decide what is sent, so the hash covers exactly what the engine builds from.
 */
export async function contextFiles(context: string, dockerfile = "Dockerfile"): Promise<string[]> {
  let rules = "";
  try {
    rules = await readFile(join(context, ".dockerignore"), "utf8");
  } catch {
    // No .dockerignore: everything is sent.
  }
  const matcher = ignore({ ignorecase: false }).add(rules);
  const keep = new Set([posix.normalize(dockerfile.split("\\").join("/")), ".dockerignore"]);
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(join(context, dir), { withFileTypes: true });
    for (const entry of entries) {
      const rel = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(rel);
      } else if (keep.has(rel) || !matcher.ignores(rel)) {
        out.push(rel);
      }
    }
  };
  await walk("");
  return out.sort();
}

/** SHA-256 over the context's kept files: path, mode and content (a symlink's target). */
export async function contextHash(context: string, dockerfile?: string): Promise<string> {
  const hash = createHash("sha256");
  for (const rel of await contextFiles(context, dockerfile)) {
    const path = join(context, rel);
    const stat = await lstat(path);
    hash.update(`${rel}\0${(stat.mode & 0o777).toString(8)}\0`);
    hash.update(stat.isSymbolicLink() ? await readlink(path) : await readFile(path));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * Returns `spec` with `build.contextHash` set on every service that builds; an unreadable
 * context is left without a hash (the build itself then reports the problem).
 */
export async function withContextHashes(spec: StackSpec): Promise<StackSpec> {
  const services: Record<string, ServiceSpec> = {};
  for (const [name, service] of Object.entries(spec.services)) {
    const build = service.build;
    if (build === undefined) {
      services[name] = service;
      continue;
    }
    let hashed: BuildSpec = build;
    try {
      hashed = { ...build, contextHash: await contextHash(build.context, build.dockerfile) };
    } catch {
      // Reported by the build step, with the engine's wording.
    }
    services[name] = { ...service, build: hashed };
  }
  return { ...spec, services };
}

/** The build context as the engine's build API takes it, and the Dockerfile to name. */
export interface BuildContextArchive {
  /** An uncompressed tar stream of the context (the engine detects the format). */
  readonly tar: NodeJS.ReadableStream;
  /** Path of the Dockerfile inside the archive: the query's `dockerfile`. */
  readonly dockerfile: string;
}

/**
 * The name an inline Dockerfile (`dockerfile_inline`) travels under in the context archive:
 * `.stack-dockerfile-inline-<12 hex of its content>`, with `-1`, `-2`, ... appended while a
 * file of the context (`files`, what is sent) has that name, so it never replaces one.
 */
export function inlineDockerfileName(files: readonly string[], content: string): string {
  const base = `.stack-dockerfile-inline-${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
  const taken = new Set(files);
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

/**
 * The context archive of `build`: the files `contextFiles` keeps (so the engine builds from
 * exactly what `contextHash` hashed) and, with `dockerfile_inline`, its content as one more
 * file (see {@link inlineDockerfileName}) added after `.dockerignore` was applied, so no
 * ignore rule can drop it; the returned `dockerfile` then names that file. The engine reads
 * the named Dockerfile before it applies `.dockerignore` itself (checked on dockerd 20.10
 * with a `.*` rule, which matches the generated name).
 */
export async function buildContextArchive(build: BuildSpec): Promise<BuildContextArchive> {
  const files = await contextFiles(build.context, build.dockerfile);
  const inline = build.dockerfileInline;
  if (inline === undefined)
    return { tar: pack(build.context, { entries: files }), dockerfile: build.dockerfile };
  const dockerfile = inlineDockerfileName(files, inline);
  const tar = pack(build.context, {
    entries: files,
    finalize: false,
    finish: (archive) => {
      archive.entry({ name: dockerfile, mode: 0o644 }, inline);
      archive.finalize();
    },
  });
  return { tar, dockerfile };
}
