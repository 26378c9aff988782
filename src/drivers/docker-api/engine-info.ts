import type Dockerode from "dockerode";
import type { EngineInfo, EngineKind } from "../../core/driver.js";
import { toEngineError } from "./classify-error.js";

/** The fields of `GET /version` this layer reads. */
export interface VersionReply {
  readonly Version?: string;
  readonly ApiVersion?: string;
  readonly Components?: readonly { readonly Name?: string; readonly Version?: string }[] | null;
}

/** Which engine serves the Docker Engine API, from its version reply. */
export interface EngineIdentity {
  readonly kind: EngineKind;
  /** The engine's own version, e.g. `20.10.24+dfsg1` or `4.3.1`. */
  readonly version: string;
  /** The Docker Engine API version it speaks, e.g. `1.41`. */
  readonly apiVersion: string;
  /** For messages: `Docker 20.10.24+dfsg1`, `Podman 4.3.1`. */
  readonly product: string;
}

/**
 * The engine behind a `GET /version` reply. Podman's Docker-compatible service names its first
 * component "Podman Engine" (checked on podman 4.3.1: `Components[0].Name`, with `Version`
 * 4.3.1 and `ApiVersion` 1.41); dockerd names it "Engine". Anything that is not Podman is
 * treated as Docker: that is the API both speak.
 */
export function engineIdentity(reply: VersionReply): EngineIdentity {
  const components = reply.Components ?? [];
  const podman = components.find((c) => c.Name === "Podman Engine");
  const version = reply.Version ?? podman?.Version ?? "";
  const apiVersion = reply.ApiVersion ?? "";
  return podman !== undefined
    ? { kind: "podman", version, apiVersion, product: `Podman ${version}`.trim() }
    : { kind: "docker", version, apiVersion, product: `Docker ${version}`.trim() };
}

/**
 * Reads the identity of the engine behind `docker` (one `GET /version`); throws a classified
 * `EngineError`. On Podman 4.3 this call takes 1-4 s (it runs dpkg and `runc --version` each
 * time), so callers keep the result for the life of their client.
 */
export async function readEngineIdentity(
  docker: Dockerode,
  address: string,
): Promise<EngineIdentity> {
  try {
    return engineIdentity((await docker.version()) as VersionReply);
  } catch (err) {
    throw toEngineError(err, "read engine version", address);
  }
}

/**
 * Reads version, kind and swarm role of the engine behind `docker`; both drivers ping this
 * way. `identity` is the caller's cached version reply, when it has one. Podman has no swarm
 * mode, so its `GET /info` (as slow as /version there) is not asked: it is never a manager.
 */
export async function readEngineInfo(
  docker: Dockerode,
  address: string,
  identity: Promise<EngineIdentity> = readEngineIdentity(docker, address),
): Promise<EngineInfo> {
  const id = await identity;
  let swarmManager = false;
  if (id.kind === "docker") {
    try {
      const info = (await docker.info()) as { Swarm?: { ControlAvailable?: boolean } };
      swarmManager = info.Swarm?.ControlAvailable === true;
    } catch (err) {
      throw toEngineError(err, "read engine info", address);
    }
  }
  return {
    address,
    serverVersion: id.version,
    apiVersion: id.apiVersion,
    swarmManager,
    kind: id.kind,
    product: id.product,
  };
}
