import { describe, expect, it } from "vitest";
import { normaliseLinks } from "../../../../src/stackfile/canonical/links.js";
import { NormaliseContext } from "../../../../src/stackfile/canonical/normalise-context.js";
import { docFromYaml, normaliseYaml } from "../normalise-fixture.js";

describe("links", () => {
  it("parses svc and svc:alias, locating malformed entries", () => {
    const doc = docFromYaml("links: [db, 'es:search', 'a:b:c', ':x']\n");
    const ctx = new NormaliseContext(doc);
    const links = normaliseLinks((doc.value as { links: unknown }).links, ["links"], ctx);
    expect(links.map(({ service, alias }) => ({ service, alias }))).toEqual([
      { service: "db", alias: "db" },
      { service: "es", alias: "search" },
    ]);
    expect(ctx.issues.map((i) => i.path)).toEqual(["links[2]", "links[3]"]);
  });

  it("puts the alias on the target's shared networks and makes the target a dependency", () => {
    const { spec, issues, warnings } = normaliseYaml(
      [
        "services:",
        "  app:",
        "    image: app",
        "    links: ['mysql:dbserver', 'elasticsearch']",
        "    networks: [front, back]",
        "  mysql:",
        "    image: mysql",
        "    networks: [back]",
        "  elasticsearch:",
        "    image: es",
        "    networks:",
        "      back:",
        "        aliases: [search]",
        "networks:",
        "  front:",
        "  back:",
        "",
      ].join("\n"),
    );
    expect(issues).toEqual([]);
    expect(warnings).toEqual([]);
    expect(spec.services["mysql"]?.networks).toEqual({ back: { aliases: ["dbserver"] } });
    expect(spec.services["elasticsearch"]?.networks).toEqual({ back: { aliases: ["search"] } });
    expect(spec.services["app"]?.links).toEqual([
      { service: "mysql", alias: "dbserver" },
      { service: "elasticsearch", alias: "elasticsearch" },
    ]);
    expect(spec.services["app"]?.dependsOn).toEqual({
      elasticsearch: { condition: "service_started", restart: true, required: true },
      mysql: { condition: "service_started", restart: true, required: true },
    });
  });

  it("warns when the linked services share no network", () => {
    const { warnings } = normaliseYaml(
      "services:\n  app:\n    image: a\n    links: [db]\n    networks: [x]\n  db:\n    image: d\n    networks: [y]\nnetworks:\n  x:\n  y:\n",
    );
    expect(warnings).toEqual([
      expect.objectContaining({
        path: "services.app.links[0]",
        message: expect.stringContaining("share no network"),
      }),
    ]);
  });
});
