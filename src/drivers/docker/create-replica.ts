import { EngineError } from "../../core/errors.js";
import { fileObjectContent } from "../../stackfile/secret-content.js";
import type { ContainerEngine, ContainerRequest } from "./container-engine.js";
import {
  containerFiles,
  fileSources,
  isNumericUser,
  resolveUser,
  tarArchive,
} from "./secret-files.js";

/**
 * Creates (does not start) one replica and writes its secrets and configs into it through
 * the archive API (see `secret-files.ts`), so the process never runs without them. A named
 * `user:` is resolved from the image's /etc/passwd and /etc/group, read from the same
 * container. When anything fails the container is removed again: a replica without its
 * secrets must not hold the name. Errors name the secret and path, never the content.
 */
export async function createReplica(
  engine: ContainerEngine,
  request: ContainerRequest,
): Promise<string> {
  const id = await engine.createContainer(request);
  try {
    await writeSecretFiles(engine, id, request);
  } catch (err) {
    await engine.removeContainer(id).catch(() => undefined);
    throw err;
  }
  return id;
}

async function writeSecretFiles(
  engine: ContainerEngine,
  id: string,
  request: ContainerRequest,
): Promise<void> {
  const sources = fileSources(request.spec, request.service);
  if (sources.length === 0) return;
  const user = request.service.user;
  let passwd: string | undefined;
  let group: string | undefined;
  if (!isNumericUser(user)) {
    passwd = (await engine.readFile(id, "/etc/passwd"))?.toString("utf8");
    group = (await engine.readFile(id, "/etc/group"))?.toString("utf8");
  }
  const resolved = resolveUser(user, passwd, group);
  if (resolved === undefined)
    throw new EngineError(
      "invalid",
      `service ${request.service.name}: user "${user ?? ""}" is not in the image's /etc/passwd or /etc/group, so its secrets cannot be given to it; use a numeric uid:gid`,
    );
  const files = containerFiles(sources, resolved, (object, kind) => {
    const data = fileObjectContent(object);
    if (data === undefined)
      throw new EngineError(
        "invalid",
        `service ${request.service.name}: the content of ${kind} "${object.key}" was not loaded (deploy reads it before planning)`,
      );
    return data;
  });
  try {
    await engine.putArchive(id, tarArchive(files));
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    throw new EngineError(
      err.kind,
      `create container ${request.name}: write ${files.length} secret/config file(s): ${err.message}`,
      { cause: err, ...(err.statusCode !== undefined && { statusCode: err.statusCode }) },
    );
  }
}
