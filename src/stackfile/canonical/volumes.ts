import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import type { DocPath } from "../document.js";
import type { MountSpec } from "../../model/types.js";
import { parseByteSize } from "../units.js";
import type { NormaliseContext } from "./normalise-context.js";
import { bool, fileMode, isObject, listOf, str } from "./values.js";

const SHORT_MODES = new Set([
  "ro",
  "rw",
  "z",
  "Z",
  "nocopy",
  "cached",
  "delegated",
  "consistent",
  "rprivate",
  "private",
  "rshared",
  "shared",
  "rslave",
  "slave",
]);

/** Whether a short-syntax source is a host path (compose: starts with `.`, `/` or `~`), not a volume name. */
export function isHostPath(source: string): boolean {
  return (
    source.startsWith(".") ||
    source.startsWith("/") ||
    source.startsWith("~") ||
    /^[a-zA-Z]:[\\/]/.test(source)
  );
}

/**
 * Resolves a bind source to an absolute path: `~` and `~/x` against the deploying user's
 * home (`HOME` from the environment, else the OS), relative paths against the first file's
 * directory.
 */
export function resolveHostPath(source: string, ctx: NormaliseContext): string {
  if (source === "~" || source.startsWith("~/")) {
    const home = ctx.lookupEnv("HOME") ?? homedir();
    return resolve(home, source.slice(2));
  }
  return isAbsolute(source) ? resolve(source) : resolve(ctx.doc.workingDir, source);
}

function shortMount(ctx: NormaliseContext, path: DocPath, text: string): MountSpec | undefined {
  // Windows drive letters (`C:\data:/data`) would break a plain split on ':'; protect them.
  const parts: string[] = [];
  let rest = text;
  const drive = /^[a-zA-Z]:[\\/]/.exec(rest);
  let prefix = "";
  if (drive) {
    prefix = rest.slice(0, 2);
    rest = rest.slice(2);
  }
  parts.push(...rest.split(":"));
  parts[0] = prefix + (parts[0] ?? "");
  if (parts.length > 3 || parts.some((p, i) => p === "" && i < 2 && parts.length > 1)) {
    ctx.error(path, `invalid volume "${text}": expected [source:]target[:mode]`);
    return undefined;
  }
  if (parts.length === 1) {
    const target = parts[0] ?? "";
    if (!target.startsWith("/")) {
      ctx.error(
        path,
        `invalid volume "${text}": an anonymous volume needs an absolute container path`,
      );
      return undefined;
    }
    return ctx.at<MountSpec>({ type: "volume", target, readOnly: false }, path);
  }
  const [source = "", target = "", modeText = ""] = parts;
  if (!target.startsWith("/")) {
    ctx.error(path, `invalid volume "${text}": the container path "${target}" must be absolute`);
    return undefined;
  }
  const modes = modeText === "" ? [] : modeText.split(",");
  const unknown = modes.filter((m) => !SHORT_MODES.has(m));
  if (unknown.length > 0) {
    ctx.error(path, `invalid volume mode "${unknown.join(",")}": expected ro, rw, z, Z or nocopy`);
    return undefined;
  }
  const readOnly = modes.includes("ro");
  if (isHostPath(source)) {
    // Short-syntax binds create a missing host directory (legacy docker-compose behaviour).
    return ctx.at<MountSpec>(
      {
        type: "bind",
        source: resolveHostPath(source, ctx),
        target,
        readOnly,
        createHostPath: true,
      },
      path,
    );
  }
  return ctx.at<MountSpec>(
    {
      type: "volume",
      source,
      target,
      readOnly,
      ...(modes.includes("nocopy") ? { noCopy: true } : {}),
    },
    path,
  );
}

function longMount(
  ctx: NormaliseContext,
  path: DocPath,
  value: Readonly<Record<string, unknown>>,
): MountSpec | undefined {
  const type = str(value["type"]);
  const target = str(value["target"]);
  if (type === "image" || type === "npipe" || type === "cluster") {
    // compose accepts these; the engines stack drives cannot mount them (image mounts need
    // API 1.47, named pipes Windows, cluster volumes swarm CSI plugins).
    ctx.warn(
      [...path, "type"],
      `a ${type} mount is left out: stack mounts only volume, bind and tmpfs`,
    );
    return undefined;
  }
  if (type !== "volume" && type !== "bind" && type !== "tmpfs") {
    ctx.error(
      [...path, "type"],
      `mount type "${type ?? ""}" is not supported: expected volume, bind or tmpfs`,
    );
    return undefined;
  }
  if (target === undefined || !target.startsWith("/")) {
    ctx.error([...path, "target"], "a mount needs an absolute container path as target");
    return undefined;
  }
  const readOnly = bool(value["read_only"]) ?? false;
  const source = str(value["source"]);
  if (type === "bind") {
    if (source === undefined || source === "") {
      ctx.error([...path, "source"], "a bind mount needs a source path");
      return undefined;
    }
    const bind = isObject(value["bind"]) ? value["bind"] : {};
    // Long syntax does not create missing host paths unless asked (compose default false).
    const createHostPath = bool(bind["create_host_path"]) ?? false;
    return ctx.at<MountSpec>(
      { type: "bind", source: resolveHostPath(source, ctx), target, readOnly, createHostPath },
      path,
    );
  }
  if (type === "volume") {
    const volume = isObject(value["volume"]) ? value["volume"] : {};
    const noCopy = bool(volume["nocopy"]);
    return ctx.at<MountSpec>(
      {
        type: "volume",
        ...(source !== undefined && source !== "" ? { source } : {}),
        target,
        readOnly,
        ...(noCopy !== undefined ? { noCopy } : {}),
      },
      path,
    );
  }
  const tmpfs = isObject(value["tmpfs"]) ? value["tmpfs"] : {};
  const sizeValue = tmpfs["size"];
  const size =
    typeof sizeValue === "string" || typeof sizeValue === "number"
      ? ctx.unit(parseByteSize(sizeValue), [...path, "tmpfs", "size"])
      : undefined;
  const mode = tmpfs["mode"] === undefined ? undefined : fileMode(tmpfs["mode"]);
  if (tmpfs["mode"] !== undefined && mode === undefined)
    ctx.error([...path, "tmpfs", "mode"], "tmpfs mode must be an octal number such as 1777");
  return ctx.at<MountSpec>(
    {
      type: "tmpfs",
      target,
      readOnly,
      ...(size !== undefined ? { tmpfsSize: size } : {}),
      ...(mode !== undefined ? { tmpfsMode: mode } : {}),
    },
    path,
  );
}

/**
 * Normalises a service's `volumes:` list to MountSpecs in file order. Short syntax:
 * `name:/path[:ro]` is a named volume, `./rel:/path`, `/abs:/path:rw` and `~/x:/path` are
 * binds (resolved to absolute host paths, created when missing), `/path` alone is an
 * anonymous volume. Long syntax: `type` volume, bind or tmpfs with `source`, `target`,
 * `read_only`, `bind.create_host_path` (default false), `volume.nocopy`, `tmpfs.size`,
 * `tmpfs.mode`. Whether a named source exists in `volumes:` is a semantic check.
 */
export function normaliseServiceVolumes(
  value: unknown,
  path: DocPath,
  ctx: NormaliseContext,
): MountSpec[] {
  if (!Array.isArray(value)) return [];
  const out: MountSpec[] = [];
  value.forEach((item, i) => {
    const itemPath = [...path, i];
    const mount =
      typeof item === "string"
        ? shortMount(ctx, itemPath, item)
        : isObject(item)
          ? longMount(ctx, itemPath, item)
          : undefined;
    if (mount) out.push(mount);
    else if (isObject(item)) return;
    else if (typeof item !== "string" && !isObject(item))
      ctx.error(itemPath, "expected a volume string or mapping");
  });
  return out;
}

/**
 * Normalises a service's `tmpfs:` (a path or a list of paths, each optionally with Docker's
 * `:size=64m,mode=1777,ro` options) to tmpfs MountSpecs.
 */
export function normaliseTmpfs(value: unknown, path: DocPath, ctx: NormaliseContext): MountSpec[] {
  const out: MountSpec[] = [];
  const items = listOf(value);
  items.forEach((item, i) => {
    const itemPath = Array.isArray(value) ? [...path, i] : path;
    if (typeof item !== "string") {
      ctx.error(itemPath, "expected a tmpfs path string");
      return;
    }
    const colon = item.indexOf(":");
    const target = colon < 0 ? item : item.slice(0, colon);
    if (!target.startsWith("/")) {
      ctx.error(itemPath, `tmpfs path "${target}" must be absolute`);
      return;
    }
    let readOnly = false;
    let size: number | undefined;
    let mode: number | undefined;
    for (const option of colon < 0 ? [] : item.slice(colon + 1).split(",")) {
      const [key = "", v] = option.split("=", 2);
      if (key === "ro") readOnly = true;
      else if (key === "size" && v !== undefined) size = ctx.unit(parseByteSize(v), itemPath);
      else if (key === "mode" && v !== undefined) {
        mode = fileMode(v.startsWith("0") ? v : `0${v}`);
        if (mode === undefined) ctx.error(itemPath, `tmpfs mode "${v}" must be octal`);
      } else if (key !== "rw") {
        // noexec, nosuid, ... have no MountSpec field: say so rather than drop them silently.
        ctx.warn(itemPath, `tmpfs option "${option}" is not supported and is ignored`);
      }
    }
    out.push(
      ctx.at<MountSpec>(
        {
          type: "tmpfs",
          target,
          readOnly,
          ...(size !== undefined ? { tmpfsSize: size } : {}),
          ...(mode !== undefined ? { tmpfsMode: mode } : {}),
        },
        itemPath,
      ),
    );
  });
  return out;
}
