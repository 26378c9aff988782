/**
 * Registry credentials the way the docker CLI finds them, and the `X-Registry-Auth` header
 * value the engine expects on image pull, image push, distribution inspect, service create and
 * service update.
 *
 * Sources, in the CLI's order (docker/cli `cli/config`, `configfile`, `credentials`):
 * 1. `DOCKER_AUTH_CONFIG` (a config.json document in the environment), exact key match only;
 *    when it has no entry for the registry the lookup falls through to 2.
 * 2. The registry's `credHelpers` entry, else `credsStore`: run `docker-credential-NAME get`
 *    with the server address on stdin. A helper answering "credentials not found in native
 *    keychain" means no credentials, not an error.
 * 3. Otherwise `auths` in `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`):
 *    `auth` is base64 `user:password`; `identitytoken` is passed on as is. An exact key match
 *    wins, then any key whose host part equals the registry (`https://host/v1/` keys).
 * When config.json names no credentials at all, the platform's default helper is used if its
 * program is on PATH (Linux: `pass` when the `pass` program exists, else `secretservice`).
 *
 * This module has no engine dependency: it reads files and runs helpers. Secrets never appear
 * in messages or warnings it produces.
 */
import { spawn } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { homedir as osHomedir } from "node:os";
import { delimiter, join } from "node:path";

/** Credentials for one registry, with the engine's JSON field names (types.AuthConfig). */
export interface RegistryCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly email?: string;
  readonly serveraddress?: string;
  readonly identitytoken?: string;
  readonly registrytoken?: string;
}

/** Where credentials for a registry came from; `none` when no source had any. */
export type RegistryAuthSource =
  "DOCKER_AUTH_CONFIG" | "credHelpers" | "credsStore" | "auths" | "none";

/** The outcome of a credential lookup for one image reference. */
export interface ResolvedRegistryAuth {
  /** The registry host of the image: `docker.io` or e.g. `127.0.0.1:15411`. */
  readonly registry: string;
  /** The key credentials are stored under: `https://index.docker.io/v1/` for Docker Hub. */
  readonly configKey: string;
  readonly source: RegistryAuthSource;
  /** The helper that was asked (credHelpers/credsStore), also when it had nothing. */
  readonly helper?: string;
  /** Undefined when no credentials were found: pull anonymously. */
  readonly credentials?: RegistryCredentials;
}

/** A parsed docker config.json: only the parts that concern registry credentials. */
export interface DockerConfig {
  /** The file read (it may not exist). */
  readonly path: string;
  /** `auths` entries with `auth` decoded into username/password; keyed as in the file. */
  readonly auths: Readonly<Record<string, RegistryCredentials>>;
  readonly credsStore?: string;
  readonly credHelpers: Readonly<Record<string, string>>;
  /** Problems that made (part of) the file unusable; the CLI prints these as warnings. */
  readonly warnings: readonly string[];
}

/** Where to look; defaults are the process's environment and home directory. */
export interface DockerConfigOptions {
  /** Read for DOCKER_CONFIG, DOCKER_AUTH_CONFIG and PATH; also the helpers' environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Home directory for the default `~/.docker`; defaults to os.homedir(). */
  readonly homedir?: string;
  /** How long a credential helper may run before it is killed; default 60 s. */
  readonly helperTimeoutMs?: number;
}

/** A credential lookup that cannot complete: a helper missing, failing or answering garbage. */
export class RegistryAuthError extends Error {
  readonly registry: string;

  constructor(registry: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RegistryAuthError";
    this.registry = registry;
  }
}

const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
/** The key Docker Hub credentials are stored under (registry.IndexServer). */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";
/** The message every credential helper prints when it has nothing for a server. */
const HELPER_NOT_FOUND = "credentials not found in native keychain";
const HELPER_TOKEN_USERNAME = "<token>";

/**
 * Returns the registry host an image reference is pulled from, by the rule of
 * distribution/reference's `splitDockerDomain`: the part before the first `/` is a registry
 * when it contains `.` or `:`, is `localhost`, or has an upper-case letter; otherwise (and for
 * `index.docker.io`) the registry is `docker.io`.
 */
export function registryOfImage(image: string): string {
  const slash = image.indexOf("/");
  if (slash === -1) return DEFAULT_DOMAIN;
  const first = image.slice(0, slash);
  const isDomain = /[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first;
  if (!isDomain) return DEFAULT_DOMAIN;
  return first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
}

/** Returns the config key for a registry host: Docker Hub's is `https://index.docker.io/v1/`. */
export function authConfigKey(registry: string): string {
  return registry === DEFAULT_DOMAIN || registry === LEGACY_DEFAULT_DOMAIN
    ? DOCKER_HUB_AUTH_KEY
    : registry;
}

/**
 * Encodes credentials as the `X-Registry-Auth` header value: JSON, base64url WITH padding
 * (Go's base64.URLEncoding). Verified on dockerd 20.10: an unpadded value (Node's "base64url")
 * is silently treated as no credentials, on image pull ("no basic auth credentials") and on
 * service create (the worker's task is rejected with "No such image"). `{}` encodes to "e30=",
 * what the CLI sends when it has no credentials; dockerd 20.10 answers a push without the
 * header with 400 "Bad parameters and missing X-Registry-Auth: EOF".
 */
export function encodeRegistryAuth(credentials: RegistryCredentials): string {
  // Field order as the engine's AuthConfig; undefined fields are left out (omitempty).
  const ordered: Record<string, string> = {};
  for (const key of [
    "username",
    "password",
    "email",
    "serveraddress",
    "identitytoken",
    "registrytoken",
  ] as const) {
    const value = credentials[key];
    if (value !== undefined && value !== "") ordered[key] = value;
  }
  return Buffer.from(JSON.stringify(ordered), "utf8")
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

/** Returns the directory holding config.json: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(options: DockerConfigOptions = {}): string {
  const env = options.env ?? process.env;
  const fromEnv = env["DOCKER_CONFIG"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return join(options.homedir ?? osHomedir(), ".docker");
}

/**
 * Reads config.json from {@link dockerConfigDir}. A missing file is an empty config; an
 * unreadable or malformed one is an empty config with a warning (the CLI warns and goes on).
 */
export async function loadDockerConfig(options: DockerConfigOptions = {}): Promise<DockerConfig> {
  const path = join(dockerConfigDir(options), "config.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return emptyConfig(path, []);
    return emptyConfig(path, [`cannot read ${path}: ${errnoText(err)}`]);
  }
  return parseDockerConfig(text, path);
}

/**
 * Parses a config.json document. Entries whose `auth` is not base64 of `user:password` make
 * the whole document unusable, as in the CLI (which then warns and uses an empty config).
 */
export function parseDockerConfig(text: string, path: string): DockerConfig {
  let doc: unknown;
  try {
    doc = text.trim() === "" ? {} : JSON.parse(text);
  } catch (err) {
    return emptyConfig(path, [`${path} is not valid JSON: ${(err as Error).message}`]);
  }
  if (!isRecord(doc)) return emptyConfig(path, [`${path} is not a JSON object`]);
  const auths: Record<string, RegistryCredentials> = {};
  const rawAuths = doc["auths"];
  if (isRecord(rawAuths)) {
    for (const key of Object.keys(rawAuths).sort()) {
      const entry = rawAuths[key];
      if (!isRecord(entry)) continue;
      const decoded = decodeAuthEntry(entry);
      if (typeof decoded === "string") {
        return emptyConfig(path, [`${path}: auths["${key}"]: ${decoded}`]);
      }
      auths[key] = { ...decoded, serveraddress: key };
    }
  }
  const credHelpers: Record<string, string> = {};
  const rawHelpers = doc["credHelpers"];
  if (isRecord(rawHelpers)) {
    for (const [registry, helper] of Object.entries(rawHelpers)) {
      if (typeof helper === "string" && helper !== "") credHelpers[registry] = helper;
    }
  }
  const credsStore = doc["credsStore"];
  return {
    path,
    auths,
    credHelpers,
    ...(typeof credsStore === "string" && credsStore !== "" ? { credsStore } : {}),
    warnings: [],
  };
}

/**
 * Finds the credentials for the registry of `image` (see the module comment for the order).
 * Throws {@link RegistryAuthError} when a configured helper is missing or fails; "no
 * credentials" is a result (`credentials` undefined), not an error.
 */
export async function resolveRegistryAuth(
  image: string,
  options: DockerConfigOptions & { readonly config?: DockerConfig } = {},
): Promise<ResolvedRegistryAuth> {
  const registry = registryOfImage(image);
  const configKey = authConfigKey(registry);
  const env = options.env ?? process.env;
  const base = { registry, configKey };

  const fromEnv = env["DOCKER_AUTH_CONFIG"];
  if (fromEnv !== undefined && fromEnv !== "") {
    // An unparsable DOCKER_AUTH_CONFIG is ignored, as in the CLI.
    const envConfig = parseDockerConfig(fromEnv, "DOCKER_AUTH_CONFIG");
    const hit = envConfig.auths[configKey];
    if (hit !== undefined && hasCredentials(hit)) {
      return { ...base, source: "DOCKER_AUTH_CONFIG", credentials: hit };
    }
  }

  const config = options.config ?? (await loadDockerConfig(options));
  let helper: { name: string; source: "credHelpers" | "credsStore" } | undefined;
  const specific = config.credHelpers[configKey];
  if (specific !== undefined) helper = { name: specific, source: "credHelpers" };
  else if (config.credsStore !== undefined)
    helper = { name: config.credsStore, source: "credsStore" };
  else if (!containsAuth(config)) {
    const detected = await defaultCredentialsStore(env);
    if (detected !== undefined) helper = { name: detected, source: "credsStore" };
  }
  if (helper !== undefined) {
    // With a helper configured, `auths` is not consulted for this registry (as in the CLI).
    const fromHelper = await runCredentialHelper(helper.name, configKey, registry, options);
    return fromHelper === undefined
      ? { ...base, source: "none", helper: helper.name }
      : { ...base, source: helper.source, helper: helper.name, credentials: fromHelper };
  }

  const fromFile = fileStoreGet(config, configKey);
  return fromFile !== undefined && hasCredentials(fromFile)
    ? { ...base, source: "auths", credentials: fromFile }
    : { ...base, source: "none" };
}

/** True when the credentials carry something a registry can use. */
export function hasCredentials(credentials: RegistryCredentials): boolean {
  return Boolean(credentials.username || credentials.identitytoken || credentials.registrytoken);
}

function emptyConfig(path: string, warnings: string[]): DockerConfig {
  return { path, auths: {}, credHelpers: {}, warnings };
}

function containsAuth(config: DockerConfig): boolean {
  return (
    config.credsStore !== undefined ||
    Object.keys(config.credHelpers).length > 0 ||
    Object.keys(config.auths).length > 0
  );
}

/** The CLI's file store: exact key, else a key whose host part is the registry. */
function fileStoreGet(config: DockerConfig, configKey: string): RegistryCredentials | undefined {
  const exact = config.auths[configKey];
  if (exact !== undefined) return exact;
  for (const key of Object.keys(config.auths).sort()) {
    if (convertToHostname(key) === configKey) return config.auths[key];
  }
  return undefined;
}

/** `https://host:port/v1/` -> `host:port`; `host/path` -> `host` (docker/cli ConvertToHostname). */
function convertToHostname(maybeUrl: string): string {
  if (maybeUrl.includes("://")) {
    try {
      const url = new URL(maybeUrl);
      if (url.hostname !== "")
        return url.port === "" ? url.hostname : `${url.hostname}:${url.port}`;
    } catch {
      // not a URL: fall through to the plain split
    }
  }
  return maybeUrl.split("/")[0] ?? maybeUrl;
}

/** Decodes one `auths` entry; a string result is the reason it is invalid (no secrets). */
function decodeAuthEntry(entry: Record<string, unknown>): RegistryCredentials | string {
  const text = (key: string): string | undefined => {
    const value = entry[key];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  let username = text("username");
  let password = text("password");
  const auth = text("auth");
  if (auth !== undefined) {
    // Go's StdEncoding is strict: padding required, no stray characters.
    if (auth.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(auth)) {
      return "`auth` is not valid base64";
    }
    const decoded = Buffer.from(auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) return "`auth` does not decode to user:password";
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1).replace(/^\0+|\0+$/g, "");
  }
  const result: {
    username?: string;
    password?: string;
    email?: string;
    identitytoken?: string;
    registrytoken?: string;
  } = {};
  if (username !== undefined) result.username = username;
  if (password !== undefined) result.password = password;
  const email = text("email");
  if (email !== undefined) result.email = email;
  const identitytoken = text("identitytoken");
  if (identitytoken !== undefined) result.identitytoken = identitytoken;
  const registrytoken = text("registrytoken");
  if (registrytoken !== undefined) result.registrytoken = registrytoken;
  return result;
}

/** docker/cli DetectDefaultStore on this platform: the helper name, if its program exists. */
async function defaultCredentialsStore(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let name: string;
  if (process.platform === "linux") {
    name = (await onPath("pass", env)) ? "pass" : "secretservice";
  } else if (process.platform === "darwin") {
    name = "osxkeychain";
  } else if (process.platform === "win32") {
    name = "wincred";
  } else {
    return undefined;
  }
  return (await onPath(`docker-credential-${name}`, env)) ? name : undefined;
}

async function onPath(program: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      await access(join(dir, program), fsConstants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * Runs `docker-credential-NAME get` with the server address on stdin (no newline), as
 * docker-credential-helpers' client does, and maps its answer; undefined when the helper has
 * no credentials for the server.
 */
async function runCredentialHelper(
  helper: string,
  serverAddress: string,
  registry: string,
  options: DockerConfigOptions,
): Promise<RegistryCredentials | undefined> {
  const program = `docker-credential-${helper}`;
  const env = options.env ?? process.env;
  const timeoutMs = options.helperTimeoutMs ?? 60_000;
  const { code, stdout, stderr, spawnError, timedOut } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    spawnError?: NodeJS.ErrnoException;
    timedOut: boolean;
  }>((resolve) => {
    // spawn looks the program up on env.PATH when env is given.
    const child = spawn(program, ["get"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: out, stderr: err, spawnError: e, timedOut: expired });
    });
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout: out, stderr: err, timedOut: expired });
    });
    // A helper that exits without reading stdin makes this write fail with EPIPE: ignore it,
    // its exit status says what happened.
    child.stdin.on("error", () => undefined);
    child.stdin.end(serverAddress);
  });
  const origin = `credential helper ${program} (for ${registry})`;
  if (spawnError !== undefined) {
    const why =
      spawnError.code === "ENOENT"
        ? "was not found on PATH"
        : `could not run: ${spawnError.message}`;
    throw new RegistryAuthError(registry, `${origin} ${why}`, { cause: spawnError });
  }
  if (timedOut) {
    throw new RegistryAuthError(registry, `${origin} did not answer within ${timeoutMs} ms`);
  }
  const answer = stdout.trim();
  if (code !== 0) {
    if (answer === HELPER_NOT_FOUND) return undefined;
    // Helpers print their error on stdout (the protocol), some on stderr too.
    const detail = [answer, stderr.trim()].filter((s) => s !== "").join("; ");
    throw new RegistryAuthError(
      registry,
      `${origin} failed with exit code ${String(code)}${detail === "" ? "" : `: ${detail}`}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    throw new RegistryAuthError(registry, `${origin} did not answer with JSON`);
  }
  if (!isRecord(parsed))
    throw new RegistryAuthError(registry, `${origin} did not answer with a JSON object`);
  const username = typeof parsed["Username"] === "string" ? parsed["Username"] : "";
  const secret = typeof parsed["Secret"] === "string" ? parsed["Secret"] : "";
  if (username === "" && secret === "") return undefined;
  // Helpers store identity tokens under the username "<token>" (docker/cli nativeStore).
  return username === HELPER_TOKEN_USERNAME
    ? { identitytoken: secret, serveraddress: serverAddress }
    : { username, password: secret, serveraddress: serverAddress };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

function errnoText(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}
