/**
 * The content of a stack's secrets and configs for the docker driver, read once per deploy.
 *
 * The content never becomes a property of the spec: it is held in a WeakMap keyed by the
 * (immutable) `FileObjectSpec` object, so `JSON.stringify(spec)`, `stack config`, printed
 * plans and error messages cannot carry it. What the spec does carry is a digest on each
 * service's reference (`FileReferenceSpec.contentDigest`), so the service's config hash
 * changes when the content changes and the service rolls.
 */
import { scrypt } from "node:crypto";
import { readFile } from "node:fs/promises";
import { SpecError } from "./errors.js";
import type {
  FileObjectSpec,
  FileReferenceSpec,
  ServiceSpec,
  SpecIssue,
  StackSpec,
} from "../model/types.js";

const contents = new WeakMap<FileObjectSpec, Buffer>();

/**
 * The content loaded by `withSecretContents` for `object`; inline `content:` of a config is
 * returned as is; undefined for an external object or one that was never loaded.
 */
export function fileObjectContent(object: FileObjectSpec): Buffer | undefined {
  const loaded = contents.get(object);
  if (loaded !== undefined) return loaded;
  return object.content !== undefined ? Buffer.from(object.content) : undefined;
}

/**
 * A keyed, deliberately slow digest of one secret's content, safe to put in a config hash
 * that `docker inspect` shows as a label. A plain SHA-256 of a short password could be
 * brute-forced from the label; scrypt (N=2^14) salted with the stack, kind and key makes each
 * guess cost milliseconds and a precomputed table useless, while staying deterministic across
 * machines, so redeploying unchanged content from another host recreates nothing.
 */
export function secretDigest(
  stack: string,
  kind: "secret" | "config",
  key: string,
  content: Uint8Array,
): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(
      content,
      `stack-secret-digest:v1:${stack}:${kind}:${key}`,
      32,
      { N: 16384, r: 8, p: 1 },
      (err, derived) => (err ? reject(err) : resolve(`scrypt:${derived.toString("hex")}`)),
    );
  });
}

async function load(
  kind: "secret" | "config",
  object: FileObjectSpec,
  env: Readonly<Record<string, string | undefined>>,
  issues: SpecIssue[],
): Promise<Buffer | undefined> {
  const at = `${kind}s.${object.key}`;
  if (object.file !== undefined) {
    try {
      return await readFile(object.file);
    } catch (err) {
      // The fs message names the path and the reason (ENOENT, EACCES), never the content.
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      issues.push({ path: `${at}.file`, message: `cannot read ${object.file} (${code})` });
      return undefined;
    }
  }
  if (object.environment !== undefined) {
    const value = env[object.environment];
    if (value === undefined) {
      issues.push({
        path: `${at}.environment`,
        message: `environment variable ${object.environment} is not set`,
      });
      return undefined;
    }
    return Buffer.from(value);
  }
  if (object.content !== undefined) return Buffer.from(object.content);
  return undefined;
}

/**
 * Reads every non-external secret and config a service of `spec` uses (files, and `env` for
 * `environment:` sources), keeps the content for `fileObjectContent`, and returns a copy of
 * `spec` whose service references carry `contentDigest`. An unreadable file or an unset
 * variable is a SpecError naming the path or variable (never content), raised before any
 * engine call. Objects no service uses are not read.
 */
export async function withSecretContents(
  spec: StackSpec,
  env: Readonly<Record<string, string | undefined>>,
): Promise<StackSpec> {
  const issues: SpecIssue[] = [];
  const digests = new Map<string, string>();
  const used = (kind: "secret" | "config"): Set<string> =>
    new Set(
      Object.values(spec.services).flatMap((s) =>
        (kind === "secret" ? s.secrets : s.configs).map((r) => r.source),
      ),
    );
  for (const kind of ["secret", "config"] as const) {
    const objects = kind === "secret" ? spec.secrets : spec.configs;
    for (const key of [...used(kind)].sort()) {
      const object = objects[key];
      if (object === undefined || object.external) continue;
      const data = await load(kind, object, env, issues);
      if (data === undefined) continue;
      contents.set(object, data);
      digests.set(`${kind}:${key}`, await secretDigest(spec.name, kind, key, data));
    }
  }
  if (issues.length > 0) throw new SpecError(issues);
  const withDigest = (kind: "secret" | "config", refs: readonly FileReferenceSpec[]) =>
    refs.map((r) => {
      const contentDigest = digests.get(`${kind}:${r.source}`);
      return contentDigest === undefined ? r : { ...r, contentDigest };
    });
  const services: Record<string, ServiceSpec> = {};
  for (const [name, s] of Object.entries(spec.services)) {
    services[name] =
      s.secrets.length === 0 && s.configs.length === 0
        ? s
        : {
            ...s,
            secrets: withDigest("secret", s.secrets),
            configs: withDigest("config", s.configs),
          };
  }
  return { ...spec, services };
}

/**
 * Replaces every occurrence of a secret's content in `text` with `********`: `stack config`
 * output passes through it, so a value that also reached the model through interpolation
 * (say `${DB_PASSWORD}` in a label) is not printed. Contents shorter than 4 characters are
 * left alone: masking them would mangle unrelated text and hide nothing worth hiding.
 */
export function maskSecretValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of [...values].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length))
    out = out.split(v).join("********");
  return out;
}

/**
 * The values of the `environment:`-sourced and file-sourced secrets of `spec` as text, for
 * `maskSecretValues`; unreadable files and unset variables are skipped.
 */
export async function secretValues(
  spec: StackSpec,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string[]> {
  const out: string[] = [];
  for (const object of Object.values(spec.secrets)) {
    if (object.external) continue;
    if (object.environment !== undefined) {
      const v = env[object.environment];
      if (v !== undefined) out.push(v, v.trim());
    } else if (object.file !== undefined) {
      const v = await readFile(object.file, "utf8").catch(() => undefined);
      if (v !== undefined) out.push(v, v.trim());
    }
  }
  return out;
}
