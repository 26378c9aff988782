/**
 * `include:`: other compose files whose services, networks, volumes, secrets, configs and
 * models join the including file's. Each included file is loaded as a project of its own:
 * its relative paths resolve against its project directory (`project_directory`, default the
 * directory of its first file), its variables are the including file's plus its `env_file`s
 * (default: `.env` in the project directory) for names the including file leaves unset, and
 * its own `include`s and `extends` are applied first. Several `path`s of one item are merged
 * like `-c a.yml -c b.yml`. A resource defined both by the including file and an included
 * one (differently) is an error, as in compose; so are include cycles and missing files.
 */
import { dirname, join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { formatPath, type DocPath } from "./document.js";
import { parseEnvFile } from "./env-file.js";
import { SpecError } from "./errors.js";
import { applyExtends, type TreeFile } from "./extends.js";
import type { VariableLookup } from "./interpolate.js";
import { mergeStackTrees } from "./merge.js";
import { rebasePaths } from "./rebase-paths.js";
import { readTextFile, type TreeLoader } from "./tree-loader.js";
import type { SourcePos } from "../model/types.js";
import {
  mapAt,
  mapNode,
  toPlainValue,
  withEntry,
  type MapNode,
  type SourceNode,
} from "./yaml-source.js";

/** Top-level sections an included file contributes. */
const SECTIONS = ["services", "networks", "volumes", "secrets", "configs", "models"] as const;

interface IncludeItem {
  readonly paths: readonly { readonly path: string; readonly pos: SourcePos }[];
  readonly envFiles: readonly { readonly path: string; readonly pos: SourcePos }[] | undefined;
  readonly projectDirectory: string | undefined;
  readonly pos: SourcePos;
  readonly at: DocPath;
}

function strings(node: SourceNode | undefined): { path: string; pos: SourcePos }[] | undefined {
  if (node === undefined) return undefined;
  const items = node.kind === "seq" ? node.items : [node];
  const out: { path: string; pos: SourcePos }[] = [];
  for (const item of items) {
    if (item.kind !== "scalar" || typeof item.value !== "string") return undefined;
    out.push({ path: item.value, pos: item.pos });
  }
  return out;
}

/** The items of `include:`; malformed ones are left to schema validation. */
function includeItems(tree: MapNode): IncludeItem[] {
  const node = tree.entries.get("include")?.value;
  if (node?.kind !== "seq") return [];
  const out: IncludeItem[] = [];
  node.items.forEach((item, i) => {
    const at: DocPath = ["include", i];
    if (item.kind === "scalar" && typeof item.value === "string") {
      out.push({
        paths: [{ path: item.value, pos: item.pos }],
        envFiles: undefined,
        projectDirectory: undefined,
        pos: item.pos,
        at,
      });
      return;
    }
    if (item.kind !== "map") return;
    const paths = strings(item.entries.get("path")?.value);
    const envNode = item.entries.get("env_file")?.value;
    const envFiles = strings(envNode);
    const dirNode = item.entries.get("project_directory")?.value;
    if (paths === undefined || paths.length === 0 || (envNode !== undefined && !envFiles)) return;
    out.push({
      paths,
      envFiles,
      projectDirectory:
        dirNode?.kind === "scalar" && typeof dirNode.value === "string" ? dirNode.value : undefined,
      pos: item.pos,
      at,
    });
  });
  return out;
}

/** What applyIncludes needs to know about the including file. */
export interface IncludeContext {
  readonly loader: TreeLoader;
  /** Variables of the including file. */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute paths of the files including this one, outermost first (cycle detection). */
  readonly chain: readonly string[];
}

function lookupOf(env: Readonly<Record<string, string>>): VariableLookup {
  return (name) => (Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined);
}

async function includedEnvironment(
  item: IncludeItem,
  projectDir: string,
  base: TreeFile,
  ctx: IncludeContext,
): Promise<Record<string, string>> {
  const { loader } = ctx;
  const files = item.envFiles?.map((f) => ({
    file: resolve(base.dir, f.path),
    pos: f.pos,
    required: true,
  })) ?? [{ file: join(projectDir, ".env"), pos: item.pos, required: false }];
  const fromFiles: Record<string, string> = {};
  const lookup: VariableLookup = (name) =>
    Object.prototype.hasOwnProperty.call(ctx.env, name) ? ctx.env[name] : fromFiles[name];
  for (const { file, pos, required } of files) {
    const name = loader.name(file);
    const text = await readTextFile(file, name);
    if (typeof text !== "string") {
      if (required || text.missing !== true)
        loader.issues.push({
          pos,
          path: formatPath(item.at),
          message: text.problem.replace("cannot read", "cannot read env file"),
        });
      continue;
    }
    try {
      Object.assign(fromFiles, parseEnvFile(text, name, lookup));
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      loader.issues.push(...err.issues);
    }
  }
  // The including file's variables win, as in compose.
  return { ...fromFiles, ...ctx.env };
}

/**
 * Loads everything `file.tree` includes (recursively) and returns its tree with the included
 * resources added. The `include` key itself is kept, for validation of its shape.
 */
export async function applyIncludes(file: TreeFile, ctx: IncludeContext): Promise<MapNode> {
  const { loader } = ctx;
  let tree = file.tree;
  for (const item of includeItems(file.tree)) {
    const paths = item.paths.map((p) => ({ ...p, file: resolve(file.dir, p.path) }));
    const first = paths[0]!;
    const projectDir =
      item.projectDirectory !== undefined
        ? resolve(file.dir, item.projectDirectory)
        : dirname(first.file);
    const env = await includedEnvironment(item, projectDir, file, ctx);
    const lookup = lookupOf(env);
    let included: MapNode | undefined;
    for (const p of paths) {
      const at = item.at;
      const cycle = [...ctx.chain, file.file].indexOf(p.file);
      if (cycle >= 0) {
        const names = [...ctx.chain, file.file].slice(cycle).map((f) => loader.name(f));
        loader.issues.push({
          pos: p.pos,
          path: formatPath(at),
          message: `include cycle: ${[...names, loader.name(p.file)].join(" -> ")}`,
        });
        continue;
      }
      const loaded = await loader.load(p.file, lookup, { pos: p.pos, path: at });
      if (loaded === undefined) continue;
      const self: TreeFile = { file: p.file, dir: projectDir, tree: loaded };
      const withIncludes = await applyIncludes(self, {
        loader,
        env,
        chain: [...ctx.chain, file.file],
      });
      const extended = await applyExtends({ ...self, tree: withIncludes }, loader, lookup);
      included = included === undefined ? extended : mergeStackTrees(included, extended);
    }
    if (included === undefined) continue;
    tree = importResources(tree, rebasePaths(included, projectDir), item, loader);
  }
  return tree;
}

function importResources(
  tree: MapNode,
  included: MapNode,
  item: IncludeItem,
  loader: TreeLoader,
): MapNode {
  let out = tree;
  for (const section of SECTIONS) {
    const theirs = mapAt(included, section);
    if (theirs === undefined) continue;
    let ours = mapAt(out, section) ?? mapNode(new Map(), theirs.pos);
    for (const [key, entry] of theirs.entries) {
      const existing = ours.entries.get(key);
      if (existing !== undefined) {
        if (!isDeepStrictEqual(toPlainValue(existing.value), toPlainValue(entry.value)))
          loader.issues.push({
            pos: existing.keyPos,
            path: `${section}.${key}`,
            message: `${section}.${key} is defined here and, differently, in the file included at ${item.pos.file}:${item.pos.line}:${item.pos.col} (${entry.keyPos.file}); compose refuses such a conflict`,
          });
        continue;
      }
      ours = withEntry(ours, key, entry.value, entry.keyPos);
    }
    out = withEntry(out, section, ours);
  }
  return out;
}
