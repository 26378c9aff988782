/**
 * Relative host paths in a file that is not the main one (an included file, or the file an
 * `extends` takes a service from) mean "relative to that file's directory" (for `include`, to
 * its project directory). The normaliser resolves relative paths against the main file's
 * directory, so such trees are rebased first: every relative host path becomes absolute.
 * Which keys hold host paths follows compose-go's path resolution.
 */
import { isAbsolute, resolve } from "node:path";
import {
  mapNode,
  scalarNode,
  seqNode,
  type MapEntry,
  type MapNode,
  type SourceNode,
} from "./yaml-source.js";

/** `./x`, `../x`, `x/y`: relative; `/x`, `~`, `~/x`, `C:\x` and URLs are left alone. */
function isRelativePath(text: string): boolean {
  return (
    text !== "" &&
    !isAbsolute(text) &&
    !text.startsWith("~") &&
    !/^[a-zA-Z]:[\\/]/.test(text) &&
    !/^[a-z][a-z0-9+.-]*:\/\//i.test(text) &&
    !text.startsWith("git@")
  );
}

function rebaseScalar(node: SourceNode, dir: string): SourceNode {
  if (node.kind !== "scalar" || typeof node.value !== "string" || !isRelativePath(node.value))
    return node;
  return scalarNode(resolve(dir, node.value), node.pos, node.tag);
}

/** A short volume `./data:/data:ro`: only a source starting with `.` is a relative host path. */
function rebaseShortVolume(node: SourceNode, dir: string): SourceNode {
  if (node.kind !== "scalar" || typeof node.value !== "string") return node;
  const text = node.value;
  if (!text.startsWith(".")) return node;
  const colon = text.indexOf(":");
  if (colon < 0) return node;
  return scalarNode(
    `${resolve(dir, text.slice(0, colon))}${text.slice(colon)}`,
    node.pos,
    node.tag,
  );
}

function mapEntries(node: MapNode, edit: (key: string, value: SourceNode) => SourceNode): MapNode {
  let changed = false;
  const entries = new Map<string, MapEntry>();
  for (const [key, entry] of node.entries) {
    const value = edit(key, entry.value);
    if (value !== entry.value) changed = true;
    entries.set(key, value === entry.value ? entry : { keyPos: entry.keyPos, value });
  }
  return changed ? mapNode(entries, node.pos, node.tag) : node;
}

function mapItems(node: SourceNode, edit: (item: SourceNode) => SourceNode): SourceNode {
  if (node.kind !== "seq") return edit(node);
  let changed = false;
  const items = node.items.map((item) => {
    const next = edit(item);
    if (next !== item) changed = true;
    return next;
  });
  return changed ? seqNode(items, node.pos, node.tag) : node;
}

/** `env_file` / `label_file`: a path, a list of paths, or `{path, ...}` items. */
function rebaseFileList(node: SourceNode, dir: string): SourceNode {
  return mapItems(node, (item) =>
    item.kind === "map"
      ? mapEntries(item, (k, v) => (k === "path" ? rebaseScalar(v, dir) : v))
      : rebaseScalar(item, dir),
  );
}

/** Rebases the host paths of one service (compose shape) against `dir`. */
export function rebaseServicePaths(service: SourceNode, dir: string): SourceNode {
  if (service.kind !== "map") return service;
  return mapEntries(service, (key, value) => {
    switch (key) {
      case "build":
        if (value.kind === "scalar") return rebaseScalar(value, dir);
        if (value.kind === "map")
          return mapEntries(value, (k, v) => {
            if (k === "context") return rebaseScalar(v, dir);
            if (k === "additional_contexts" && v.kind === "map")
              return mapEntries(v, (_name, ctx) => rebaseScalar(ctx, dir));
            return v;
          });
        return value;
      case "env_file":
      case "label_file":
        return rebaseFileList(value, dir);
      case "volumes":
        return mapItems(value, (item) => {
          if (item.kind === "scalar") return rebaseShortVolume(item, dir);
          if (item.kind !== "map") return item;
          const type = item.entries.get("type")?.value;
          if (type?.kind !== "scalar" || type.value !== "bind") return item;
          return mapEntries(item, (k, v) => (k === "source" ? rebaseScalar(v, dir) : v));
        });
      case "extends":
        if (value.kind !== "map") return value;
        return mapEntries(value, (k, v) => (k === "file" ? rebaseScalar(v, dir) : v));
      default:
        return value;
    }
  });
}

/**
 * Rebases every relative host path of a whole file against `dir`: services (build context
 * and additional contexts, `env_file`, `label_file`, bind mount sources, `extends.file`) and
 * the `file:` of top-level secrets and configs. Unchanged subtrees are shared.
 */
export function rebasePaths(tree: MapNode, dir: string): MapNode {
  return mapEntries(tree, (key, value) => {
    if (value.kind !== "map") return value;
    if (key === "services") return mapEntries(value, (_name, s) => rebaseServicePaths(s, dir));
    if (key === "secrets" || key === "configs")
      return mapEntries(value, (_name, o) =>
        o.kind === "map" ? mapEntries(o, (k, v) => (k === "file" ? rebaseScalar(v, dir) : v)) : o,
      );
    return value;
  });
}
