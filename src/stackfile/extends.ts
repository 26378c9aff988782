/**
 * `extends`: a service takes another service's settings (from the same file or another one,
 * chained to any depth) and overrides them with its own, by the same per-key rules as merging
 * files (mergeStackTrees). Relative paths of a service taken from a file in another directory
 * stay relative to that file. A cycle, a missing service or a missing file is a located error.
 *
 * As in compose-go (and unlike what the compose docs say of older versions) every key is
 * inherited, `depends_on` and `volumes_from` included.
 */
import { dirname, resolve } from "node:path";
import { formatPath, type DocPath } from "./document.js";
import { applyMergeTags, mergeStackTrees } from "./merge.js";
import { rebaseServicePaths } from "./rebase-paths.js";
import type { TreeLoader } from "./tree-loader.js";
import type { VariableLookup } from "./interpolate.js";
import type { SourcePos } from "../model/types.js";
import {
  mapAt,
  mapNode,
  withEntry,
  withoutEntry,
  type MapEntry,
  type MapNode,
  type SourceNode,
} from "./yaml-source.js";

/** The file a tree was read from: its absolute path (or a name for stdin) and directory. */
export interface TreeFile {
  readonly file: string;
  /** Directory its relative paths (and `extends.file`) resolve against. */
  readonly dir: string;
  readonly tree: MapNode;
}

/** One service inside a file, as `extends` chains name them. */
interface Link {
  readonly file: TreeFile;
  readonly service: string;
}

function wrapService(service: MapNode): MapNode {
  const inner = mapNode(
    new Map<string, MapEntry>([["s", { keyPos: service.pos, value: service }]]),
    service.pos,
  );
  return mapNode(
    new Map<string, MapEntry>([["services", { keyPos: service.pos, value: inner }]]),
    service.pos,
  );
}

/** `own` over `base`, by the rules of a later file over an earlier one. */
export function extendService(base: MapNode, own: MapNode): MapNode {
  const merged = mergeStackTrees(applyMergeTags(wrapService(base)), wrapService(own));
  return mapAt(mapAt(merged, "services")!, "s")!;
}

function asMap(node: SourceNode): MapNode {
  return node.kind === "map" ? node : mapNode(new Map(), node.pos);
}

/**
 * Resolves every `extends` among the services of `main` and returns the tree with each such
 * service replaced by its merged form (and its `extends` key removed). Other files are read
 * through `loader` with the same variables (`lookup`); problems go to `loader.issues`.
 */
export async function applyExtends(
  main: TreeFile,
  loader: TreeLoader,
  lookup: VariableLookup,
): Promise<MapNode> {
  const services = mapAt(main.tree, "services");
  if (services === undefined) return main.tree;
  const done = new Map<string, SourceNode>();
  const idOf = (link: Link): string => `${link.file.file}\0${link.service}`;
  const label = (link: Link): string =>
    link.file.file === main.file
      ? link.service
      : `${link.service} (${loader.name(link.file.file)})`;
  const issue = (pos: SourcePos | undefined, path: DocPath, message: string): void => {
    loader.issues.push({ ...(pos !== undefined && { pos }), path: formatPath(path), message });
  };

  const resolveLink = async (
    link: Link,
    chain: readonly Link[],
  ): Promise<SourceNode | undefined> => {
    const id = idOf(link);
    const known = done.get(id);
    if (known !== undefined) return known;
    const service = mapAt(link.file.tree, "services")?.entries.get(link.service)?.value;
    if (service === undefined) return undefined;
    const entry = service.kind === "map" ? service.entries.get("extends") : undefined;
    if (service.kind !== "map" || entry === undefined) {
      done.set(id, service);
      return service;
    }
    const own = withoutEntry(service, "extends");
    const at: DocPath = ["services", link.service, "extends"];
    const ext = entry.value;
    let baseName: string | undefined;
    let baseFile: string | undefined;
    let namePos = ext.pos;
    if (ext.kind === "scalar" && typeof ext.value === "string") baseName = ext.value;
    else if (ext.kind === "map") {
      const s = ext.entries.get("service");
      const f = ext.entries.get("file");
      if (s?.value.kind === "scalar" && typeof s.value.value === "string") {
        baseName = s.value.value;
        namePos = s.value.pos;
      }
      if (f?.value.kind === "scalar" && typeof f.value.value === "string") baseFile = f.value.value;
      else if (f !== undefined) {
        issue(f.value.pos, [...at, "file"], "extends.file must be a path");
        return own;
      }
    }
    if (baseName === undefined || baseName === "") {
      issue(
        ext.pos,
        at,
        "extends needs a service name: `extends: NAME` or `extends: {service: NAME, file: PATH}`",
      );
      done.set(id, own);
      return own;
    }
    let baseTree: TreeFile = link.file;
    if (baseFile !== undefined) {
      const file = resolve(link.file.dir, baseFile);
      const filePos = ext.kind === "map" ? ext.entries.get("file")?.value.pos : undefined;
      const tree = await loader.load(file, lookup, {
        ...(filePos && { pos: filePos }),
        path: [...at, "file"],
      });
      if (tree === undefined) {
        done.set(id, own);
        return own;
      }
      baseTree = { file, dir: dirname(file), tree };
    }
    const base: Link = { file: baseTree, service: baseName };
    const path = [...chain, link];
    if (path.some((l) => idOf(l) === idOf(base))) {
      issue(namePos, at, `extends cycle: ${[...path, base].map(label).join(" -> ")}`);
      done.set(id, own);
      return own;
    }
    let resolved = await resolveLink(base, path);
    if (resolved === undefined) {
      const where = baseFile === undefined ? "" : ` in ${loader.name(baseTree.file)}`;
      issue(
        namePos,
        [...at, ...(ext.kind === "map" ? ["service"] : [])],
        `cannot extend service "${baseName}": no such service${where}`,
      );
      done.set(id, own);
      return own;
    }
    if (baseTree.dir !== link.file.dir) resolved = rebaseServicePaths(resolved, baseTree.dir);
    const merged = extendService(asMap(resolved), own);
    done.set(id, merged);
    return merged;
  };

  let out = services;
  for (const [name, entry] of services.entries) {
    if (entry.value.kind !== "map" || !entry.value.entries.has("extends")) continue;
    const merged = await resolveLink({ file: main, service: name }, []);
    if (merged !== undefined) out = withEntry(out, name, merged, entry.keyPos);
  }
  return out === services ? main.tree : withEntry(main.tree, "services", out);
}
