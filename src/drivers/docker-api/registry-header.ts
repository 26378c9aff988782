/**
 * The `X-Registry-Auth` value for an image's registry, as dockerode takes it (`authconfig`),
 * from the user's docker config (see registry-auth.ts). Only the encoded header ever leaves
 * this module; it is never logged, and the engine keeps it out of `inspect` output.
 */
import { EngineError } from "../../core/errors.js";
import {
  encodeRegistryAuth,
  RegistryAuthError,
  resolveRegistryAuth,
  type DockerConfigOptions,
} from "./registry-auth.js";

/** dockerode's `authconfig` given as the ready header value (sent as is). */
export interface EncodedAuth {
  readonly base64: string;
}

/** What the docker CLI sends when it has no credentials: base64url of `{}`. */
export const NO_CREDENTIALS: EncodedAuth = { base64: "e30=" };

/**
 * Returns the header for `image`'s registry, or undefined when the user's config has no
 * credentials for it. A credential helper that fails is an `EngineError` ("failed", not
 * retried) naming the registry and the helper's complaint, never a secret.
 */
export async function registryAuthHeader(
  image: string,
  env: NodeJS.ProcessEnv = process.env,
  options: DockerConfigOptions = {},
): Promise<EncodedAuth | undefined> {
  try {
    const resolved = await resolveRegistryAuth(image, { ...options, env });
    if (resolved.credentials === undefined) return undefined;
    return {
      base64: encodeRegistryAuth({
        ...resolved.credentials,
        serveraddress: resolved.credentials.serveraddress ?? resolved.configKey,
      }),
    };
  } catch (err) {
    if (err instanceof RegistryAuthError) {
      throw new EngineError(
        "failed",
        `cannot get credentials for registry ${err.registry} (image ${image}): ${err.message}`,
        { retryable: false },
      );
    }
    throw err;
  }
}
