/**
 * Profiles, with cases from the compose specification's profiles section and compose-go's
 * profile tests: `--profile`, `COMPOSE_PROFILES`, `*`, and a service named explicitly
 * enabling its own profiles.
 */
import { describe, expect, it } from "vitest";
import { isServiceEnabled, requestedProfiles } from "../../../src/stackfile/profiles.js";
import { loadIn, loadIssues, projectDir } from "./helpers/project-dir.js";

const FILE = `services:
  web: {image: web}
  frontend: {image: fe, profiles: [frontend]}
  phpmyadmin: {image: pma, profiles: [debug], depends_on: [db]}
  db: {image: db, profiles: [debug, dev]}
  tools: {image: tools, profiles: [tools]}
`;

describe("profiles", () => {
  const dir = projectDir("prof", { "stack.yml": FILE });
  const services = async (extra: Parameters<typeof loadIn>[1] = {}) =>
    Object.keys((await loadIn(dir, extra)).spec.services).sort();

  it("deploys only services without profiles by default, and says which are left out", async () => {
    const { spec, warnings } = await loadIn(dir);
    expect(Object.keys(spec.services)).toEqual(["web"]);
    expect(warnings.map((w) => w.message)).toContainEqual(
      expect.stringContaining('service "tools" is not deployed: none of its profiles [tools]'),
    );
  });

  it("enables profiles from the command line, else from COMPOSE_PROFILES", async () => {
    expect(await services({ profiles: ["debug"] })).toEqual(["db", "phpmyadmin", "web"]);
    expect(await services({ env: { COMPOSE_PROFILES: "frontend, tools" } })).toEqual([
      "frontend",
      "tools",
      "web",
    ]);
    // The command line wins over the variable.
    expect(await services({ profiles: ["tools"], env: { COMPOSE_PROFILES: "frontend" } })).toEqual([
      "tools",
      "web",
    ]);
    expect(await services({ profiles: ["*"] })).toEqual([
      "db",
      "frontend",
      "phpmyadmin",
      "tools",
      "web",
    ]);
  });

  it("enables the profiles of a service named explicitly", async () => {
    // Naming phpmyadmin enables `debug`, which also enables db.
    expect(await services({ services: ["phpmyadmin"] })).toEqual(["db", "phpmyadmin", "web"]);
    expect(await loadIssues(dir, { services: ["nope"] })).toEqual([
      'services.nope no service "nope" in the stack file',
    ]);
  });

  it("rejects a dependency on a service its profiles leave out, naming them", async () => {
    const other = projectDir("dep", {
      "stack.yml": `services:
  web: {image: web, depends_on: [db]}
  cache: {image: c, depends_on: {db: {condition: service_started, required: false}}}
  db: {image: db, profiles: [dev]}
`,
    });
    expect(await loadIssues(other)).toEqual([
      'stack.yml:2:34 services.web.depends_on[0] service "web" depends on service "db" which is not deployed (it has profiles [dev])',
    ]);
    const { spec } = await loadIn(other, { profiles: ["dev"] });
    expect(Object.keys(spec.services).sort()).toEqual(["cache", "db", "web"]);
  });

  it("reads profile lists like compose", () => {
    expect(requestedProfiles(undefined, () => "a,,b , a")).toEqual(["a", "b"]);
    expect(requestedProfiles([], () => undefined)).toEqual([]);
    expect(isServiceEnabled([], [])).toBe(true);
    expect(isServiceEnabled(["x"], ["*"])).toBe(true);
    expect(isServiceEnabled(["x"], ["y"])).toBe(false);
  });
});
