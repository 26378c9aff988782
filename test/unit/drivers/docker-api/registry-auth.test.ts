import { mkdtemp, readFile, rm, writeFile, mkdir, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DOCKER_HUB_AUTH_KEY,
  RegistryAuthError,
  authConfigKey,
  dockerConfigDir,
  encodeRegistryAuth,
  loadDockerConfig,
  registryOfImage,
  resolveRegistryAuth,
} from "../../../../src/drivers/docker-api/registry-auth.js";

// Every test works in a temp dir: its own DOCKER_CONFIG, home and PATH (the fake helpers
// only), never the user's ~/.docker nor a real credential helper.
let dir: string;
let bin: string;
let home: string;
let configDir: string;
let helperLog: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stack-registry-auth-"));
  bin = join(dir, "bin");
  home = join(dir, "home");
  configDir = join(dir, "docker-config");
  helperLog = join(dir, "helper-stdin");
  await Promise.all([mkdir(bin), mkdir(home), mkdir(configDir)]);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: bin, DOCKER_CONFIG: configDir, FAKE_HELPER_LOG: helperLog, ...extra };
}

async function writeConfig(doc: unknown, where = configDir): Promise<void> {
  await writeFile(join(where, "config.json"), JSON.stringify(doc));
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

/**
 * A credential helper speaking the docker-credential-helpers protocol, shell builtins only
 * (PATH holds nothing else): `get` reads the server URL from stdin (no trailing newline),
 * logs it, and answers per server.
 */
async function fakeHelper(name: string, user = "alice"): Promise<void> {
  const script = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported: $1"; exit 2; }
IFS= read -r url || true
printf '%s' "$url" > "$FAKE_HELPER_LOG"
case "$url" in
  127.0.0.1:15411|${DOCKER_HUB_AUTH_KEY}) printf '{"ServerURL":"%s","Username":"${user}","Secret":"s3cret-${name}"}\\n' "$url" ;;
  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"tok-123"}\\n' "$url" ;;
  broken.example) echo "keychain locked"; echo "helper diagnostics" >&2; exit 3 ;;
  garbage.example) echo "not json" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
  const path = join(bin, `docker-credential-${name}`);
  await writeFile(path, script);
  await chmod(path, 0o755);
}

function decodeHeader(header: string): unknown {
  return JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
}

describe("registryOfImage", () => {
  it.each([
    ["busybox", "docker.io"],
    ["busybox:1.36", "docker.io"],
    ["library/busybox", "docker.io"],
    ["stack-test/busybox:latest", "docker.io"],
    ["docker.io/library/redis:7", "docker.io"],
    ["index.docker.io/library/redis", "docker.io"],
    ["registry-1.docker.io/library/redis", "registry-1.docker.io"],
    ["127.0.0.1:15411/stack-test/busybox:latest", "127.0.0.1:15411"],
    ["localhost/app", "localhost"],
    ["localhost:5000/app@sha256:" + "a".repeat(64), "localhost:5000"],
    ["ghcr.io/org/team/app:v1", "ghcr.io"],
    ["Registry/app", "Registry"],
    ["[::1]:5000/app", "[::1]:5000"],
  ])("%s -> %s", (image, registry) => {
    expect(registryOfImage(image)).toBe(registry);
  });
});

describe("authConfigKey", () => {
  it("stores Docker Hub credentials under the v1 index URL and others under the host", () => {
    expect(authConfigKey("docker.io")).toBe("https://index.docker.io/v1/");
    expect(authConfigKey("index.docker.io")).toBe("https://index.docker.io/v1/");
    expect(authConfigKey("127.0.0.1:15411")).toBe("127.0.0.1:15411");
  });
});

describe("encodeRegistryAuth", () => {
  it("encodes {} as e30= like the docker CLI", () => {
    expect(encodeRegistryAuth({})).toBe("e30=");
  });

  it("is URL-safe base64 with padding, in the engine's field order, without empty fields", () => {
    // "??>" and "~~~" encode to "/" and "+" in standard base64.
    const creds = { password: "??>~~~", username: "u", serveraddress: "r:1", email: "" };
    const header = encodeRegistryAuth(creds);
    expect(header).toMatch(/^[A-Za-z0-9_-]+=*$/);
    expect(header.length % 4).toBe(0);
    expect(header).not.toMatch(/[+/]/);
    const json = Buffer.from(header, "base64url").toString("utf8");
    expect(json).toBe('{"username":"u","password":"??>~~~","serveraddress":"r:1"}');
  });
});

describe("loadDockerConfig", () => {
  it("reads $DOCKER_CONFIG/config.json before ~/.docker", async () => {
    await mkdir(join(home, ".docker"));
    await writeConfig({ auths: { "home.example": { auth: b64("h:p") } } }, join(home, ".docker"));
    await writeConfig({ auths: { "env.example": { auth: b64("e:p") } } });
    const fromEnv = await loadDockerConfig({ env: env(), homedir: home });
    expect(Object.keys(fromEnv.auths)).toEqual(["env.example"]);
    const fromHome = await loadDockerConfig({ env: { PATH: bin }, homedir: home });
    expect(Object.keys(fromHome.auths)).toEqual(["home.example"]);
    expect(dockerConfigDir({ env: { PATH: bin }, homedir: home })).toBe(join(home, ".docker"));
  });

  it("treats a missing file as an empty config without warnings", async () => {
    const config = await loadDockerConfig({ env: env() });
    expect(config).toMatchObject({ auths: {}, credHelpers: {}, warnings: [] });
  });

  it("turns malformed JSON into an empty config with a warning naming the file", async () => {
    await writeFile(join(configDir, "config.json"), '{"auths": {');
    const config = await loadDockerConfig({ env: env() });
    expect(config.auths).toEqual({});
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain(join(configDir, "config.json"));
  });

  it("rejects an auth entry that is not base64 of user:password without echoing it", async () => {
    for (const bad of ["not base64!", b64("no-colon-secret"), b64(":password-only")]) {
      await writeConfig({ auths: { "r.example": { auth: bad } } });
      const config = await loadDockerConfig({ env: env() });
      expect(config.auths).toEqual({});
      expect(config.warnings[0]).toContain('auths["r.example"]');
      expect(config.warnings[0]).not.toContain(bad);
      expect(config.warnings[0]).not.toContain("secret");
    }
  });
});

describe("resolveRegistryAuth from auths", () => {
  it("decodes auth into username/password with the config key as server address", async () => {
    await writeConfig({ auths: { "127.0.0.1:15411": { auth: b64("stack-test:pa:ss") } } });
    const auth = await resolveRegistryAuth("127.0.0.1:15411/stack-test/busybox:latest", {
      env: env(),
    });
    expect(auth).toEqual({
      registry: "127.0.0.1:15411",
      configKey: "127.0.0.1:15411",
      source: "auths",
      credentials: { username: "stack-test", password: "pa:ss", serveraddress: "127.0.0.1:15411" },
    });
    expect(decodeHeader(encodeRegistryAuth(auth.credentials ?? {}))).toEqual({
      username: "stack-test",
      password: "pa:ss",
      serveraddress: "127.0.0.1:15411",
    });
  });

  it("finds Docker Hub credentials under https://index.docker.io/v1/", async () => {
    await writeConfig({ auths: { [DOCKER_HUB_AUTH_KEY]: { auth: b64("hubuser:hubpass") } } });
    for (const image of [
      "redis",
      "library/redis:7",
      "docker.io/me/app",
      "index.docker.io/me/app",
    ]) {
      const auth = await resolveRegistryAuth(image, { env: env() });
      expect(auth.source).toBe("auths");
      expect(auth.credentials?.username).toBe("hubuser");
      expect(auth.credentials?.serveraddress).toBe(DOCKER_HUB_AUTH_KEY);
    }
  });

  it("matches a key written as a URL by its host part", async () => {
    await writeConfig({ auths: { "http://reg.example:5000/v2/": { auth: b64("u:p") } } });
    const auth = await resolveRegistryAuth("reg.example:5000/app", { env: env() });
    expect(auth.credentials).toEqual({
      username: "u",
      password: "p",
      serveraddress: "http://reg.example:5000/v2/",
    });
  });

  it("passes an identity token on and keeps plain username/password fields", async () => {
    await writeConfig({
      auths: {
        "tok.example": { identitytoken: "idtok" },
        "plain.example": { username: "pu", password: "pp" },
      },
    });
    const tok = await resolveRegistryAuth("tok.example/app", { env: env() });
    expect(tok.credentials).toEqual({ identitytoken: "idtok", serveraddress: "tok.example" });
    const plain = await resolveRegistryAuth("plain.example/app", { env: env() });
    expect(plain.credentials).toEqual({
      username: "pu",
      password: "pp",
      serveraddress: "plain.example",
    });
  });

  it("returns source none for a registry with no entry", async () => {
    await writeConfig({ auths: { "other.example": { auth: b64("u:p") } } });
    const auth = await resolveRegistryAuth("127.0.0.1:15410/app", { env: env() });
    expect(auth).toEqual({
      registry: "127.0.0.1:15410",
      configKey: "127.0.0.1:15410",
      source: "none",
    });
  });

  it("lets DOCKER_AUTH_CONFIG win and falls back to the file for other registries", async () => {
    await writeConfig({
      auths: { "a.example": { auth: b64("file:f") }, "b.example": { auth: b64("file:f") } },
    });
    const envAuth = JSON.stringify({ auths: { "a.example": { auth: b64("envuser:e") } } });
    const a = await resolveRegistryAuth("a.example/app", {
      env: env({ DOCKER_AUTH_CONFIG: envAuth }),
    });
    expect(a.source).toBe("DOCKER_AUTH_CONFIG");
    expect(a.credentials?.username).toBe("envuser");
    const b = await resolveRegistryAuth("b.example/app", {
      env: env({ DOCKER_AUTH_CONFIG: envAuth }),
    });
    expect(b.source).toBe("auths");
    expect(b.credentials?.username).toBe("file");
  });
});

describe("resolveRegistryAuth through credential helpers", () => {
  it("runs credsStore's helper with the server address on stdin", async () => {
    await fakeHelper("fake");
    await writeConfig({ credsStore: "fake", auths: { "127.0.0.1:15411": {} } });
    const auth = await resolveRegistryAuth("127.0.0.1:15411/stack-test/busybox", { env: env() });
    expect(auth).toEqual({
      registry: "127.0.0.1:15411",
      configKey: "127.0.0.1:15411",
      source: "credsStore",
      helper: "fake",
      credentials: { username: "alice", password: "s3cret-fake", serveraddress: "127.0.0.1:15411" },
    });
    // Exactly the address, without a newline, as docker-credential-helpers' client sends it.
    expect(await readFile(helperLog, "utf8")).toBe("127.0.0.1:15411");
  });

  it("asks the helper for Docker Hub under the v1 index URL", async () => {
    await fakeHelper("fake");
    await writeConfig({ credsStore: "fake" });
    const auth = await resolveRegistryAuth("me/app", { env: env() });
    expect(await readFile(helperLog, "utf8")).toBe(DOCKER_HUB_AUTH_KEY);
    expect(auth.credentials?.serveraddress).toBe(DOCKER_HUB_AUTH_KEY);
  });

  it("prefers the registry's credHelpers entry over credsStore and ignores auths", async () => {
    await fakeHelper("store", "from-store");
    await fakeHelper("special", "from-special");
    await writeConfig({
      credsStore: "store",
      credHelpers: { "127.0.0.1:15411": "special" },
      auths: { "127.0.0.1:15411": { auth: b64("from-file:x") } },
    });
    const special = await resolveRegistryAuth("127.0.0.1:15411/app", { env: env() });
    expect(special).toMatchObject({ source: "credHelpers", helper: "special" });
    expect(special.credentials?.username).toBe("from-special");
    const store = await resolveRegistryAuth("me/app", { env: env() });
    expect(store).toMatchObject({ source: "credsStore", helper: "store" });
    expect(store.credentials?.username).toBe("from-store");
  });

  it("maps the <token> username to an identity token", async () => {
    await fakeHelper("fake");
    await writeConfig({ credHelpers: { "token.example": "fake" } });
    const auth = await resolveRegistryAuth("token.example/app", { env: env() });
    expect(auth.credentials).toEqual({ identitytoken: "tok-123", serveraddress: "token.example" });
  });

  it("treats 'credentials not found' as no credentials, not an error", async () => {
    await fakeHelper("fake");
    await writeConfig({ credsStore: "fake" });
    const auth = await resolveRegistryAuth("unknown.example/app", { env: env() });
    expect(auth).toEqual({
      registry: "unknown.example",
      configKey: "unknown.example",
      source: "none",
      helper: "fake",
    });
  });

  it("fails with a RegistryAuthError naming the helper when it fails or is missing", async () => {
    await fakeHelper("fake");
    await writeConfig({ credsStore: "fake", credHelpers: { "gone.example": "gone" } });
    const broken = resolveRegistryAuth("broken.example/app", { env: env() });
    await expect(broken).rejects.toBeInstanceOf(RegistryAuthError);
    await expect(broken).rejects.toThrow(
      "credential helper docker-credential-fake (for broken.example) failed with exit code 3: keychain locked; helper diagnostics",
    );
    await expect(resolveRegistryAuth("garbage.example/app", { env: env() })).rejects.toThrow(
      "did not answer with JSON",
    );
    await expect(resolveRegistryAuth("gone.example/app", { env: env() })).rejects.toThrow(
      "credential helper docker-credential-gone (for gone.example) was not found on PATH",
    );
  });

  it("kills a helper that hangs", async () => {
    const path = join(bin, "docker-credential-slow");
    await writeFile(path, "#!/bin/sh\nwhile :; do :; done\n");
    await chmod(path, 0o755);
    await writeConfig({ credsStore: "slow" });
    await expect(
      resolveRegistryAuth("x.example/app", { env: env(), helperTimeoutMs: 200 }),
    ).rejects.toThrow("did not answer within 200 ms");
  });

  it.runIf(process.platform === "linux")(
    "uses the platform's default helper only when config.json names no credentials",
    async () => {
      await fakeHelper("secretservice");
      const none = await resolveRegistryAuth("127.0.0.1:15411/app", { env: env() });
      expect(none).toMatchObject({ source: "credsStore", helper: "secretservice" });
      // `pass` on PATH makes docker-credential-pass the default instead; it is missing here.
      const pass = join(bin, "pass");
      await writeFile(pass, "#!/bin/sh\n");
      await chmod(pass, 0o755);
      const withPass = await resolveRegistryAuth("127.0.0.1:15411/app", { env: env() });
      expect(withPass).toMatchObject({ source: "none" });
      expect(withPass.helper).toBeUndefined();
      // Any auths entry turns detection off, even for another registry.
      await writeConfig({ auths: { "other.example": { auth: b64("u:p") } } });
      await rm(pass);
      const withAuths = await resolveRegistryAuth("127.0.0.1:15411/app", { env: env() });
      expect(withAuths).toMatchObject({ source: "none" });
    },
  );
});
