/**
 * Reads the content of a stack's secrets and configs and names them by it. The only I/O of
 * the swarm mapping: `service-spec.ts` stays pure and takes the names computed here.
 */
import { readFile } from "node:fs/promises";
import { EngineError } from "../../core/errors.js";
import type { FileObjectSpec, StackSpec } from "../../model/types.js";
import { fileObjectName } from "./service-spec.js";

/** One secret or config as the swarm will hold it. */
export interface LoadedFileObject {
  readonly key: string;
  /** Engine name: content-hashed, or the external object's name. */
  readonly name: string;
  readonly external: boolean;
  /** The content (absent for external objects). */
  readonly data?: Buffer;
  readonly labels: Readonly<Record<string, string>>;
}

/** Secrets and configs of a stack, by key. */
export interface LoadedFileObjects {
  readonly secrets: Readonly<Record<string, LoadedFileObject>>;
  readonly configs: Readonly<Record<string, LoadedFileObject>>;
}

async function load(
  stack: string,
  kind: "secret" | "config",
  object: FileObjectSpec,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedFileObject> {
  const base = { key: object.key, labels: object.labels };
  if (object.external) return { ...base, name: object.name, external: true };
  let data: Buffer;
  if (object.file !== undefined) {
    try {
      data = await readFile(object.file);
    } catch (err) {
      throw new EngineError(
        "invalid",
        `${kind} ${object.key}: cannot read ${object.file} (${(err as Error).message})`,
      );
    }
  } else if (object.environment !== undefined) {
    const value = env[object.environment];
    if (value === undefined)
      throw new EngineError(
        "invalid",
        `${kind} ${object.key}: environment variable ${object.environment} is not set`,
      );
    data = Buffer.from(value);
  } else if (object.content !== undefined) {
    data = Buffer.from(object.content);
  } else {
    throw new EngineError("invalid", `${kind} ${object.key}: has no file, environment or content`);
  }
  return { ...base, name: fileObjectName(stack, object.key, data), external: false, data };
}

/** Loads every secret and config of `spec`; `env` supplies `environment:` sources. */
export async function loadFileObjects(
  spec: StackSpec,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedFileObjects> {
  const all = async (kind: "secret" | "config", objects: StackSpec["secrets"]) =>
    Object.fromEntries(
      await Promise.all(
        Object.values(objects).map(
          async (o) => [o.key, await load(spec.name, kind, o, env)] as const,
        ),
      ),
    );
  return { secrets: await all("secret", spec.secrets), configs: await all("config", spec.configs) };
}
