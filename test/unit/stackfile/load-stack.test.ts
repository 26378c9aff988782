import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../../src/stackfile/errors.js";
import { loadStack, stackNameFromDirectory } from "../../../src/stackfile/load-stack.js";

function project(name: string, files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "stack-load-")), name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

async function specError(promise: Promise<unknown>): Promise<SpecError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SpecError)) throw new Error(`expected a SpecError, got ${String(err)}`);
  return err;
}

const SIMPLE = "services:\n  web:\n    image: ${IMAGE:-nginx}\n    ports: ['${PORT:-8080}:80']\n";

describe("loadStack", () => {
  it("defaults as the command line does: the default file in cwd, variables from process.env", async () => {
    const dir = project("defaults", { "compose.yaml": SIMPLE });
    process.env["STACK_TEST_DEFAULT_PORT"] = "9090";
    try {
      const { spec } = await loadStack({ cwd: dir, stack: "d" });
      expect(spec.services["web"]?.image).toBe("nginx");
      const withEnv = project("defaults-env", {
        "compose.yaml":
          "services:\n  web:\n    image: x\n    ports: ['${STACK_TEST_DEFAULT_PORT}:80']\n",
      });
      const loaded = await loadStack({ cwd: withEnv });
      expect(loaded.spec.services["web"]?.ports[0]?.published).toBe(9090);
    } finally {
      delete process.env["STACK_TEST_DEFAULT_PORT"];
    }
  });

  it("loads, interpolates, validates and normalises a file", async () => {
    const dir = project("Shop", { "stack.yml": SIMPLE });
    const { spec, warnings } = await loadStack({
      files: ["stack.yml"],
      envFiles: [],
      cwd: dir,
      env: { PORT: "9000" },
    });
    expect(spec.name).toBe("shop");
    expect(spec.workingDir).toBe(dir);
    expect(spec.services["web"]).toMatchObject({
      image: "nginx",
      ports: [{ target: 80, published: 9000, protocol: "tcp", mode: "ingress" }],
      networks: { default: { aliases: [] } },
    });
    expect(spec.networks["default"]?.name).toBe("shop_default");
    expect(warnings).toEqual([]);
    expect(Object.isFrozen(spec.services["web"])).toBe(true);
  });

  it("takes the stack name from the command line, else the file's name:, else the directory", async () => {
    const dir = project("My.App_2", { "stack.yml": `name: fromfile\n${SIMPLE}` });
    const base = { files: ["stack.yml"], envFiles: [], cwd: dir, env: {} };
    expect((await loadStack({ ...base, stack: "cli" })).spec.name).toBe("cli");
    expect((await loadStack(base)).spec.name).toBe("fromfile");
    const plain = project("My.App_2", { "stack.yml": SIMPLE });
    expect((await loadStack({ ...base, cwd: plain })).spec.name).toBe("myapp_2");
  });

  it("derives stack names from directories like compose", () => {
    expect(stackNameFromDirectory("/x/My App!")).toBe("myapp");
    expect(stackNameFromDirectory("/x/_-hidden")).toBe("hidden");
    expect(stackNameFromDirectory("/x/ünï")).toBe("n");
  });

  it("normalises the file's name: as compose does, and falls back to the directory when it is empty", async () => {
    const dir = project("ok", { "stack.yml": `name: Bad Name!\n${SIMPLE}` });
    const load = (env: Record<string, string> = {}, stack?: string) =>
      loadStack({
        files: ["stack.yml"],
        envFiles: [],
        cwd: dir,
        env,
        ...(stack !== undefined && { stack }),
      });
    expect((await load()).spec.name).toBe("badname");
    const empty = project("fallback-dir", { "stack.yml": `name: \${UNSET:-}\n${SIMPLE}` });
    const { spec } = await loadStack({ files: ["stack.yml"], envFiles: [], cwd: empty, env: {} });
    expect(spec.name).toBe(stackNameFromDirectory(empty));
    // COMPOSE_PROJECT_NAME beats name:, the command line beats both.
    expect((await load({ COMPOSE_PROJECT_NAME: "fromenv" })).spec.name).toBe("fromenv");
    expect((await load({ COMPOSE_PROJECT_NAME: "fromenv" }, "cli")).spec.name).toBe("cli");
  });

  it("rejects an invalid COMPOSE_PROJECT_NAME, as compose does", async () => {
    const dir = project("ok", { "stack.yml": SIMPLE });
    const err = await specError(
      loadStack({
        files: ["stack.yml"],
        envFiles: [],
        cwd: dir,
        env: { COMPOSE_PROJECT_NAME: "Bad" },
      }),
    );
    expect(err.issues).toEqual([
      expect.objectContaining({
        path: "name",
        message: expect.stringContaining('"Bad" from COMPOSE_PROJECT_NAME'),
      }),
    ]);
  });

  it("sets COMPOSE_PROJECT_NAME for interpolation", async () => {
    const dir = project("proj", {
      "stack.yml":
        "name: Demo\nservices:\n  web:\n    image: x\n    labels:\n      - p=${COMPOSE_PROJECT_NAME}\n",
    });
    const { spec } = await loadStack({ files: ["stack.yml"], envFiles: [], cwd: dir, env: {} });
    expect(spec.services["web"]?.labels).toEqual({ p: "demo" });
  });

  it("throws schema issues before normalising", async () => {
    const dir = project("bad", {
      "stack.yml": "services:\n  web:\n    image: x\n    replicas: 3\n",
    });
    const err = await specError(
      loadStack({ files: ["stack.yml"], envFiles: [], cwd: dir, env: {} }),
    );
    expect(err.issues.length).toBeGreaterThan(0);
    expect(err.issues[0]?.pos).toMatchObject({ line: 4 });
  });

  it("reports normalisation and semantic issues together, located in the file", async () => {
    const dir = project("both", {
      "stack.yml": [
        "services:",
        "  web:",
        "    image: x",
        "    ports: ['8080-8081:80-82']",
        "    depends_on: [ghost]",
        "    volumes: ['undeclared:/data']",
        "",
      ].join("\n"),
    });
    const err = await specError(
      loadStack({ files: ["stack.yml"], envFiles: [], cwd: dir, env: {} }),
    );
    expect(err.issues.map((i) => `${i.pos?.file}:${i.pos?.line} ${i.path}`)).toEqual([
      "stack.yml:4 services.web.ports[0]",
      "stack.yml:5 services.web.depends_on[0]",
      "stack.yml:6 services.web.volumes[0]",
    ]);
  });

  it("returns warnings from every stage without printing them", async () => {
    const dir = project("warn", {
      "stack.yml":
        "services:\n  web:\n    image: ${UNSET_IMAGE}x\n    platform: linux/amd64\n  dbg:\n    image: x\n    profiles: [debug]\n",
    });
    const { warnings, spec } = await loadStack({
      files: ["stack.yml"],
      envFiles: [],
      cwd: dir,
      env: {},
    });
    expect(Object.keys(spec.services)).toEqual(["web"]);
    const text = warnings.map((w) => w.message).join("\n");
    expect(text).toContain("UNSET_IMAGE");
    expect(text).toContain("profiles [debug]");
    expect(spec.services["web"]?.ignoredKeys).toEqual(["platform"]);
  });

  it("reads env_file relative to the stack file's directory", async () => {
    const dir = project("envs", {
      "stack.yml":
        "services:\n  web:\n    image: x\n    env_file: web.env\n    environment: [B=override]\n",
      "web.env": "A=1\nB=2\n",
    });
    const { spec } = await loadStack({
      files: [join(dir, "stack.yml")],
      envFiles: [],
      cwd: tmpdir(),
      env: {},
    });
    expect(spec.services["web"]?.environment).toEqual({ A: "1", B: "override" });
  });

  it("casts interpolated strings to the types the fields need", async () => {
    const dir = project("casts", {
      "stack.yml": [
        "services:",
        "  web:",
        "    image: x",
        "    read_only: ${RO:-true}",
        "    init: ${INIT:-false}",
        "    deploy:",
        "      replicas: ${REPLICAS:-3}",
        "    healthcheck:",
        '      test: ["CMD", "true"]',
        "      retries: ${RETRIES:-4}",
        "    ports:",
        "      - target: ${TARGET:-80}",
        "        published: ${PUBLISHED:-8080}",
        "",
      ].join("\n"),
    });
    const { spec } = await loadStack({
      files: ["stack.yml"],
      envFiles: [],
      cwd: dir,
      env: { REPLICAS: "5" },
    });
    const web = spec.services["web"];
    expect(web).toMatchObject({ readOnly: true, init: false, healthcheck: { retries: 4 } });
    expect(web?.deploy.replicas).toBe(5);
    expect(web?.ports).toEqual([{ target: 80, published: 8080, protocol: "tcp", mode: "ingress" }]);
  });
});
