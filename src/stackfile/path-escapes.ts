/**
 * Host paths a stack file names (bind mounts, `env_file`, build contexts, secret and config
 * files) that leave the stack file's directory in a way a reader of the file would not
 * expect: a relative path climbing out with `..`, or a path inside the directory that a
 * symbolic link takes outside it. Absolute paths are taken as meant and not warned about
 * (unless a symlink inside the directory redirects them).
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import type { DocPath, LoadedDocument } from "./document.js";
import { formatPath } from "./document.js";
import type { SpecWarning } from "../model/types.js";

type Json = Readonly<Record<string, unknown>>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The host source of a short-syntax volume (`./data:/data:ro`), when it is a path. */
function shortVolumeSource(entry: string): string | undefined {
  const source = entry.split(":")[0] ?? "";
  return source.startsWith(".") || source.startsWith("/") || source.startsWith("~")
    ? source
    : undefined;
}

/** Every (document path, what, written path) the file names as a host path. */
function hostPaths(root: Json): { at: DocPath; what: string; written: string }[] {
  const out: { at: DocPath; what: string; written: string }[] = [];
  const services = isObject(root["services"]) ? root["services"] : {};
  for (const [name, raw] of Object.entries(services).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!isObject(raw)) continue;
    const at = ["services", name];
    const volumes = raw["volumes"];
    if (Array.isArray(volumes))
      volumes.forEach((v: unknown, i) => {
        const written =
          typeof v === "string"
            ? shortVolumeSource(v)
            : isObject(v) && v["type"] === "bind" && typeof v["source"] === "string"
              ? v["source"]
              : undefined;
        if (written !== undefined)
          out.push({
            at: typeof v === "string" ? [...at, "volumes", i] : [...at, "volumes", i, "source"],
            what: "bind mount",
            written,
          });
      });
    const envFile = raw["env_file"];
    const envFiles =
      typeof envFile === "string" ? [envFile] : Array.isArray(envFile) ? envFile : [];
    envFiles.forEach((f: unknown, i) => {
      const written = typeof f === "string" ? f : isObject(f) ? f["path"] : undefined;
      if (typeof written !== "string") return;
      const where = typeof envFile === "string" ? [...at, "env_file"] : [...at, "env_file", i];
      out.push({ at: isObject(f) ? [...where, "path"] : where, what: "env_file", written });
    });
    const build = raw["build"];
    const context =
      typeof build === "string" ? build : isObject(build) ? build["context"] : undefined;
    if (
      typeof context === "string" &&
      !/^[a-z]+:\/\//i.test(context) &&
      !context.startsWith("git@")
    )
      out.push({
        at: typeof build === "string" ? [...at, "build"] : [...at, "build", "context"],
        what: "build context",
        written: context,
      });
  }
  for (const kind of ["secrets", "configs"] as const) {
    const objects = isObject(root[kind]) ? root[kind] : {};
    for (const [key, raw] of Object.entries(objects).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (isObject(raw) && typeof raw["file"] === "string")
        out.push({
          at: [kind, key, "file"],
          what: kind === "secrets" ? "secret" : "config",
          written: raw["file"],
        });
    }
  }
  return out;
}

/**
 * Located warnings for host paths that escape the stack file's directory (`doc.workingDir`,
 * where relative paths resolve): a relative path whose `..` climbs out, or a path inside the
 * directory that resolves through a symbolic link outside it. Reads the file system only to
 * resolve symlinks; never throws.
 */
export function pathEscapeWarnings(doc: LoadedDocument): SpecWarning[] {
  if (!isObject(doc.value)) return [];
  const dir = doc.workingDir;
  const realDir = realPath(dir);
  const warnings: SpecWarning[] = [];
  for (const { at, what, written } of hostPaths(doc.value)) {
    if (written.startsWith("~")) continue; // the user's home: meant to be outside
    const resolved = path.resolve(dir, written);
    let message: string | undefined;
    if (!path.isAbsolute(written) && !inside(dir, resolved)) {
      message = `${what} ${written} climbs out of the stack file's directory with "..", to ${resolved}`;
    } else if (inside(dir, resolved) || inside(realDir, resolved)) {
      const real = realPath(resolved);
      if (!inside(realDir, real))
        message = `${what} ${written} is inside the stack file's directory but a symbolic link takes it to ${real}, outside it`;
    }
    if (message === undefined) continue;
    const pos = doc.positionOf(at);
    warnings.push({ ...(pos !== undefined && { pos }), path: formatPath(at), message });
  }
  return warnings;
}
