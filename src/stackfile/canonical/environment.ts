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
      out.push({ path: item["path"], required: bool(item["required"]) ?? true, at: [...path, i] });
    else ctx.error([...path, i], "expected an env file path or {path, required}");
  });
  return out;
}

function readEnvFile(ref: EnvFileRef, ctx: NormaliseContext): Record<string, string> {
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
        ? `env file ${file} not found`
        : `cannot read env file ${file}: ${(err as Error).message}`,
    );
    return {};
  }
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
  for (const [k, v] of listOrDict(service["environment"], [...path, "environment"], ctx, "null")) {
    merged.set(k, v ?? ctx.lookupEnv(k) ?? null);
  }
  return sortedRecord(merged);
}
