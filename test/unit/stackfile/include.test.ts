/**
 * `include:`, with cases from compose-go's include tests and testdata (compose-include.yaml,
 * compose-include-cycle.yaml, include env files and project directories) and the compose
 * specification's include section.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadIn, loadIssues, projectDir } from "./helpers/project-dir.js";

describe("include", () => {
  it("adds the included file's resources, with its paths relative to its own directory", async () => {
    const dir = projectDir("inc", {
      "stack.yml": `include:
  - sub/db.yml
services:
  web:
    image: web
    depends_on: [db]
`,
      "sub/db.yml": `name: ignored
services:
  db:
    image: postgres:\${PG_VERSION:-16}
    env_file: db.env
    volumes: ["./data:/var/lib/postgresql/data", "dbdata:/x"]
volumes:
  dbdata: {}
secrets:
  pw: {file: ./pw.txt}
`,
      "sub/db.env": "POSTGRES_DB=app\n",
    });
    const { spec } = await loadIn(dir);
    expect(spec.name).toBe("inc");
    expect(Object.keys(spec.services).sort()).toEqual(["db", "web"]);
    const db = spec.services["db"]!;
    expect(db.image).toBe("postgres:16");
    expect(db.environment).toEqual({ POSTGRES_DB: "app" });
    expect(db.mounts[0]).toMatchObject({ type: "bind", source: join(dir, "sub/data") });
    expect(spec.volumes["dbdata"]?.name).toBe("inc_dbdata");
    expect(spec.secrets["pw"]?.file).toBe(join(dir, "sub/pw.txt"));
  });

  it("reads the included project's env_file for variables the including file leaves unset", async () => {
    const dir = projectDir("envs", {
      "stack.yml": `include:
  - path: [inc/a.yml, inc/b.yml]
    env_file: inc/vars.env
    project_directory: inc
`,
      "inc/a.yml": "services:\n  a:\n    image: ${IMG}:${TAG}\n    build: ./ctx\n",
      "inc/b.yml": "services:\n  a:\n    user: ${WHO}\n",
      "inc/vars.env": "IMG=fromfile\nTAG=1\nWHO=nobody\n",
    });
    const { spec } = await loadIn(dir, { env: { TAG: "fromenv" } });
    expect(spec.services["a"]).toMatchObject({
      image: "fromfile:fromenv",
      user: "nobody",
      build: { context: join(dir, "inc/ctx") },
    });
  });

  it("uses .env of the included project by default", async () => {
    const dir = projectDir("dotenv", {
      "stack.yml": "include: [other/compose.yml]\n",
      "other/compose.yml": "services:\n  x:\n    image: ${IMAGE}\n",
      "other/.env": "IMAGE=from-dotenv\n",
    });
    expect((await loadIn(dir)).spec.services["x"]?.image).toBe("from-dotenv");
  });

  it("applies includes and extends inside included files", async () => {
    const dir = projectDir("nested", {
      "stack.yml": "include: [a/one.yml]\nservices:\n  web:\n    extends: two\n    user: me\n",
      "a/one.yml":
        "include: [../b/two.yml]\nservices:\n  one:\n    extends: base\n  base: {image: base}\n",
      "b/two.yml": "services:\n  two: {image: two, labels: [from=two]}\n",
    });
    const { spec } = await loadIn(dir);
    expect(spec.services["web"]).toMatchObject({
      image: "two",
      user: "me",
      labels: { from: "two" },
    });
    expect(spec.services["one"]?.image).toBe("base");
  });

  it("accepts an identical resource defined twice, rejects a conflicting one", async () => {
    const dir = projectDir("conflict", {
      "stack.yml": `include: [inc.yml]
services:
  same: {image: x}
  web: {image: mine}
`,
      "inc.yml": "services:\n  same: {image: x}\n  web: {image: theirs}\n",
    });
    expect(await loadIssues(dir)).toEqual([
      "stack.yml:4:3 services.web services.web is defined here and, differently, in the file included at stack.yml:1:11 (inc.yml); compose refuses such a conflict",
    ]);
  });

  it("rejects include cycles and missing files, located at the include", async () => {
    const dir = projectDir("cycle", {
      "stack.yml": "include: [a.yml, missing.yml]\nservices: {}\n",
      "a.yml": "include: [b.yml]\nservices: {}\n",
      "b.yml": "include: [a.yml]\nservices: {}\n",
    });
    expect(await loadIssues(dir)).toEqual([
      "b.yml:1:11 include[0] include cycle: a.yml -> b.yml -> a.yml",
      "stack.yml:1:18 include[1] cannot read missing.yml: no such file",
    ]);
  });
});
