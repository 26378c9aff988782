import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { DocPath } from "../document.js";
import { parseEnvFile } from "../env-file.js";
import { SpecError } from "../errors.js";
import type { NormaliseContext } from "./normalise-context.js";
import { bool, isObject, listOrDict, sortedRecord } from "./values.js";

interface EnvFileRef {
  readonly path: string;
  readonly required: boolean;
  /** `raw`: every line is KEY=VALUE taken literally (no quotes, escapes or variables). */
  readonly format?: string;
  readonly at: DocPath;
}

function envFileRefs(value: unknown, path: DocPath, ctx: NormaliseContext): EnvFileRef[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [{ path: value, required: true, at: path }];
  if (!Array.isArray(value)) return [];
  const out: EnvFileRef[] = [];
  value.forEach((item, i) => {
    if (typeof item === "string") out.push({ path: item, required: true, at: [...path, i] });
    else if (isObject(item) && typeof item["path"] === "string")
      out.push({
        path: item["path"],
        required: bool(item["required"]) ?? true,
        ...(typeof item["format"] === "string" && { format: item["format"] }),
        at: [...path, i],
      });
    else ctx.error([...path, i], "expected an env file path or {path, required}");
  });
  return out;
}

/** compose's `raw` env file format: `KEY=VALUE` lines kept as written; `#` lines are comments. */
export function parseRawEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

function readEnvFile(
  ref: EnvFileRef,
  ctx: NormaliseContext,
  what = "env file",
): Record<string, string> {
  const file = resolve(ctx.doc.workingDir, ref.path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !ref.required) return {};
    ctx.error(
      ref.at,
      code === "ENOENT"
        ? `${what} ${file} not found`
        : `cannot read ${what} ${file}: ${(err as Error).message}`,
    );
    return {};
  }
  if (ref.format === "raw") return parseRawEnvFile(text);
  if (ref.format !== undefined && ref.format !== "")
    ctx.warn(
      [...ref.at, "format"],
      `env file format "${ref.format}" is not known; read as a .env file`,
    );
  try {
    return parseEnvFile(text, file, (name: string) => ctx.lookupEnv(name));
  } catch (err) {
    if (err instanceof SpecError) {
      ctx.issues.push(...err.issues);
      return {};
    }
    throw err;
  }
}

/**
 * Merges a service's `env_file:` (a path, a list, or `{path, required}` entries, read
 * relative to the first file's directory, later files winning) and `environment:` (list
 * `K=V` / bare `K`, or a map with numbers and booleans stringified as compose does), with
 * `environment` winning. A bare `K` or `K: null` takes the value from the deploying
 * environment and is null when that is unset too. Keys are returned sorted.
 */
export function normaliseEnvironment(
  service: Readonly<Record<string, unknown>>,
  path: DocPath,
  ctx: NormaliseContext,
): Record<string, string | null> {
  const merged = new Map<string, string | null>();
  for (const ref of envFileRefs(service["env_file"], [...path, "env_file"], ctx)) {
    for (const [k, v] of Object.entries(readEnvFile(ref, ctx))) merged.set(k, v);
  }
  const envPath = [...path, "environment"];
  for (const [k, v] of listOrDict(service["environment"], envPath, ctx, "null")) {
    if (k !== k.trim()) {
      // compose refuses `DEBUG = true`: the name would end in a space.
      ctx.error(
        Array.isArray(service["environment"]) ? envPath : [...envPath, k],
        `invalid environment variable name "${k}": names cannot start or end with spaces`,
      );
      continue;
    }
    merged.set(k, v ?? ctx.lookupEnv(k) ?? null);
  }
  return sortedRecord(merged);
}

/**
 * A service's labels: `label_file:` entries (KEY=VALUE files like env files, read relative to
 * the first file's directory, later files winning) under `labels:`, which wins.
 */
export function normaliseLabels(
  service: Readonly<Record<string, unknown>>,
  path: DocPath,
  ctx: NormaliseContext,
): Record<string, string> {
  const merged = new Map<string, string>();
  for (const ref of envFileRefs(service["label_file"], [...path, "label_file"], ctx)) {
    for (const [k, v] of Object.entries(readEnvFile(ref, ctx, "label file"))) merged.set(k, v);
  }
  for (const [k, v] of listOrDict(service["labels"], [...path, "labels"], ctx, "empty"))
    merged.set(k, v ?? "");
  return sortedRecord(merged);
}
