import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatPos, SpecError } from "../../../src/stackfile/errors.js";
import { loadDocument, type LoadOptions } from "../../../src/stackfile/load-document.js";

const FIXTURE = fileURLToPath(new URL("../../fixtures/load/override", import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "stack-load-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

function options(over: Partial<LoadOptions> = {}): LoadOptions {
  return { files: [], envFiles: [], cwd: dir, env: {}, ...over };
}

async function failure(opts: LoadOptions): Promise<string> {
  try {
    await loadDocument(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).message;
  }
  throw new Error("expected a SpecError");
}

describe("loadDocument with the override fixture", () => {
  it("finds stack.yml and stack.override.yml, reads .env, interpolates and merges", async () => {
    const doc = await loadDocument({ files: [], envFiles: [], cwd: FIXTURE, env: {} });
    expect(doc.files).toEqual(["stack.yml", "stack.override.yml"]);
    expect(doc.workingDir).toBe(FIXTURE);
    expect(doc.warnings).toEqual([]);
    expect(doc.environment).toEqual({
      TAG: "1.0",
      LOG_LEVEL: "debug",
      WEB_PORT: "9090",
      // Set by compose (and by stack) once the project name is known.
      COMPOSE_PROJECT_NAME: "counter",
    });
    expect(doc.value).toEqual({
      name: "counter",
      version: "3.8",
      "x-defaults": { restart: "always", environment: { LOG_LEVEL: "debug" } },
      services: {
        web: {
          image: "registry.local/web:1.0",
          depends_on: ["redis"],
          command: "python -m flask run",
          restart: "always",
          environment: { LOG_LEVEL: "debug", DEBUG: "1" },
        },
        redis: { image: "redis:7", volumes: ["./redis:/data"] },
      },
      volumes: { data: {} },
    });
    const where = (p: (string | number)[], key?: boolean): string =>
      formatPos(doc.positionOf(p, key));
    expect(where(["services", "web", "image"])).toBe("stack.yml:11:12");
    expect(where(["services", "web", "command"])).toBe("stack.override.yml:6:14");
    expect(where(["services", "web", "restart"], true)).toBe("stack.yml:5:3");
    expect(where(["services", "web", "environment", "DEBUG"])).toBe("stack.override.yml:5:9");
    expect(where(["services", "redis", "volumes", 0])).toBe("stack.override.yml:9:9");
  });

  it("process env beats --env-file, and --env-file disables .env", async () => {
    const doc = await loadDocument({
      files: ["stack.yml"],
      envFiles: ["other.env"],
      cwd: FIXTURE,
      env: { LOG_LEVEL: "warn", UNRELATED: undefined },
    });
    const web = (doc.value as { services: { web: Record<string, unknown> } }).services.web;
    expect(web["image"]).toBe("registry.local/web:2.0");
    expect(web["environment"]).toEqual({ LOG_LEVEL: "warn" });
    // WEB_PORT lives only in .env, which is not read when --env-file is given.
    expect(web["ports"]).toEqual(["8080:80"]);
    expect(doc.environment).toEqual({
      TAG: "2.0",
      LOG_LEVEL: "warn",
      COMPOSE_PROJECT_NAME: "counter",
    });
  });
});

describe("default file discovery", () => {
  it.each([
    [
      ["compose.yaml", "compose.override.yaml"],
      ["compose.yaml", "compose.override.yaml"],
    ],
    [
      ["docker-compose.yml", "docker-compose.override.yml"],
      ["docker-compose.yml", "docker-compose.override.yml"],
    ],
    [
      ["stack.yaml", "stack.override.yml"],
      ["stack.yaml", "stack.override.yml"],
    ],
    [["compose.yml"], ["compose.yml"]],
  ])("%j -> %j", async (present, expected) => {
    await write(
      Object.fromEntries(present.map((f) => [f, `services:\n  web:\n    image: ${f}\n`])),
    );
    const doc = await loadDocument(options());
    expect(doc.files).toEqual(expected);
    expect(doc.value).toEqual({ services: { web: { image: expected[expected.length - 1] } } });
  });

  it("prefers stack.yml and warns about the other candidates", async () => {
    await write({
      "docker-compose.yml": "services: {}\n",
      "stack.yml": "services: {}\n",
      "compose.yaml": "services: {}\n",
    });
    const doc = await loadDocument(options());
    expect(doc.files).toEqual(["stack.yml"]);
    expect(doc.warnings).toEqual([
      {
        message:
          "found several stack files (stack.yml, compose.yaml, docker-compose.yml); using stack.yml",
      },
    ]);
  });

  it("names the directory and every name tried when nothing is found", async () => {
    await write({ "stack.yml.bak": "services: {}\n" });
    await mkdir(path.join(dir, "compose.yaml"));
    expect(await failure(options())).toBe(
      `no stack file in ${dir} (tried stack.yml, stack.yaml, compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml): name the file to use (-f FILE on the command line)`,
    );
  });
});

describe("loadDocument", () => {
  it("reads stdin for -", async () => {
    await write({ ".env": "IMG=from-dotenv\n" });
    const doc = await loadDocument(
      options({
        files: ["-"],
        readStdin: async () => "services:\n  web:\n    image: ${IMG}\n",
      }),
    );
    expect(doc.files).toEqual(["-"]);
    expect(doc.workingDir).toBe(dir);
    expect(doc.value).toEqual({ services: { web: { image: "from-dotenv" } } });
    expect(formatPos(doc.positionOf(["services", "web", "image"]))).toBe("<stdin>:3:12");
  });

  it("merges stdin with files in the given order", async () => {
    await write({ "base.yml": "services:\n  web:\n    image: a\n    user: root\n" });
    const doc = await loadDocument(
      options({
        files: ["base.yml", "-"],
        readStdin: async () => "services:\n  web:\n    image: b\n",
      }),
    );
    expect(doc.value).toEqual({ services: { web: { image: "b", user: "root" } } });
  });

  it("refuses - without a stdin reader, and - twice", async () => {
    await write({ "a.yml": "services: {}\n" });
    expect(await failure(options({ files: ["-"] }))).toBe(
      'reading the stack from stdin ("-c -") is not available here',
    );
    expect(
      await failure(options({ files: ["-", "-"], readStdin: async () => "services: {}\n" })),
    ).toBe('stdin ("-") can be given only once');
  });

  it("reports a missing required variable with file:line:col and path", async () => {
    await write({
      "stack.yml": [
        "services:",
        "  web:",
        "    build: .",
        "    image: app:${TAG:?set TAG}",
        "",
      ].join("\n"),
    });
    expect(await failure(options())).toBe(
      "stack.yml:4:12 services.web.image required variable TAG is missing a value: set TAG",
    );
  });

  it("warns once per unset variable, at its first use, and uses an empty string", async () => {
    await write({
      "stack.yml": "services:\n  web:\n    image: app${SUFFIX}\n    user: ${SUFFIX}${WHO}\n",
    });
    const doc = await loadDocument(options());
    expect(doc.value).toEqual({ services: { web: { image: "app", user: "" } } });
    expect(doc.warnings).toEqual([
      {
        pos: { file: "stack.yml", line: 3, col: 12 },
        path: "services.web.image",
        message: "variable SUFFIX is not set; using an empty string",
      },
      {
        pos: { file: "stack.yml", line: 4, col: 11 },
        path: "services.web.user",
        message: "variable WHO is not set; using an empty string",
      },
    ]);
  });

  it("reports the problems of every file at once", async () => {
    await write({
      "a.yml": "services:\n  web:\n    image: a\n    image: b\n",
      "b.yml": "services:\n  web:\n    user: ${WHO:?who runs it}\n    command: echo ${\n",
      "c.yml": "services: [x\n",
      ".env": "GOOD=1\nBAD LINE\n",
    });
    expect(await failure(options({ files: ["a.yml", "b.yml", "c.yml"] }))).toBe(
      [
        '.env:2:5 BAD unexpected character "L" in variable name "BAD"',
        'a.yml:4:5 services.web.image duplicate key "image" (first defined at line 3, column 5)',
        "b.yml:3:11 services.web.user required variable WHO is missing a value: who runs it",
        'b.yml:4:14 services.web.command invalid interpolation "${": missing the closing "}"',
        "c.yml:2:1 invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]",
      ].join("\n"),
    );
  });

  it("reports unreadable files and env files by name", async () => {
    await write({ "a.yml": "services: {}\n" });
    await mkdir(path.join(dir, "adir"));
    expect(await failure(options({ files: ["a.yml", "missing.yml", "adir"] }))).toBe(
      ["cannot read missing.yml: no such file", "cannot read adir: it is a directory"].join("\n"),
    );
    expect(await failure(options({ files: ["a.yml"], envFiles: ["nope.env"] }))).toBe(
      "--env-file cannot read env file nope.env: no such file",
    );
  });

  it("shows paths under cwd relative to it, and others as given", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "stack-outside-"));
    try {
      await write({ "sub/s.yml": "services:\n  web:\n    image: ${X:?x}\n" });
      await writeFile(path.join(outside, "o.yml"), "services:\n  db:\n    image: ${Y:?y}\n");
      const message = await failure(
        options({ files: [path.join(dir, "sub/s.yml"), path.join(outside, "o.yml")] }),
      );
      expect(message).toBe(
        [
          "sub/s.yml:3:12 services.web.image required variable X is missing a value: x",
          `${path.join(outside, "o.yml")}:3:12 services.db.image required variable Y is missing a value: y`,
        ].join("\n"),
      );
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("reads .env beside the first file, not in cwd; later --env-file wins", async () => {
    await write({
      ".env": "V=cwd\n",
      "proj/stack.yml": "services:\n  web:\n    image: ${V}\n    user: ${W:-none}\n",
      "proj/.env": "V=proj\n",
      "one.env": "V=one\nW=one\n",
      "two.env": "V=two\n",
    });
    const fromProj = await loadDocument(options({ files: ["proj/stack.yml"] }));
    expect(fromProj.value).toEqual({ services: { web: { image: "proj", user: "none" } } });
    expect(fromProj.workingDir).toBe(path.join(dir, "proj"));
    const fromFlags = await loadDocument(
      options({ files: ["proj/stack.yml"], envFiles: ["one.env", "two.env"] }),
    );
    expect(fromFlags.value).toEqual({ services: { web: { image: "two", user: "one" } } });
  });

  it("lets an env file use the process env and earlier env files", async () => {
    await write({
      "stack.yml": "services:\n  web:\n    image: ${IMAGE}\n",
      "a.env": "REG=reg.local\n",
      "b.env": "IMAGE=${REG}/${NAME}:1\n",
    });
    const doc = await loadDocument(options({ envFiles: ["a.env", "b.env"], env: { NAME: "web" } }));
    expect(doc.value).toEqual({ services: { web: { image: "reg.local/web:1" } } });
  });

  it("keeps name: and version: and does not validate", async () => {
    await write({ "stack.yml": "version: '2'\nname: mine\nservices:\n  web:\n    imagee: typo\n" });
    const doc = await loadDocument(options());
    expect(doc.value).toEqual({
      version: "2",
      name: "mine",
      services: { web: { imagee: "typo" } },
    });
  });

  it("loads a 1,000-service file with interpolation intact", async () => {
    const lines = ["services:"];
    for (let i = 0; i < 1000; i++) {
      lines.push(
        `  svc${i}:`,
        `    image: "registry.local/app${i}:\${TAG:-latest}"`,
        "    ports:",
        `      - "${10000 + i}:80"`,
        "    environment:",
        `      - INDEX=${i}`,
        "    depends_on: [db]",
        "    deploy: {replicas: 2}",
      );
    }
    const text = lines.join("\n") + "\n";
    await write({ "stack.yml": text });
    // Speed is measured by bench/spec-load.ts, not here.
    const doc = await loadDocument(options());
    const services = (doc.value as { services: Record<string, unknown> }).services;
    expect(Object.keys(services)).toHaveLength(1000);
    expect(services["svc999"]).toEqual({
      image: "registry.local/app999:latest",
      ports: ["10999:80"],
      environment: ["INDEX=999"],
      depends_on: ["db"],
      deploy: { replicas: 2 },
    });
  });
});
