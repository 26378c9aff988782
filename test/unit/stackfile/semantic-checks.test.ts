import { describe, expect, it } from "vitest";
import { checkYaml } from "./normalise-fixture.js";

const lines = (...l: string[]): string => `${l.join("\n")}\n`;

describe("semantic checks", () => {
  it("accepts a consistent stack", () => {
    const result = checkYaml(
      lines(
        "services:",
        "  web:",
        "    image: web",
        "    ports: ['80:80']",
        "    depends_on: [db]",
        "    volumes: ['data:/data']",
        "    secrets: [token]",
        "  db:",
        "    image: db",
        "    ports: ['127.0.0.1:5432:5432', '5432:5432/udp']",
        "volumes:",
        "  data:",
        "secrets:",
        "  token: { file: ./t }",
      ),
    );
    expect(result).toEqual({ issues: [], warnings: [], normaliseIssues: [] });
  });

  it("reports unknown dependencies and links at their entries, and only warns when required: false", () => {
    const { issues, warnings } = checkYaml(
      lines(
        "services:",
        "  web:",
        "    image: web",
        "    depends_on:",
        "      ghost: { condition: service_started }",
        "      maybe: { required: false }",
        "    links: ['phantom:p']",
        "  tool:",
        "    image: t",
        "    profiles: [debug]",
        "  app:",
        "    image: a",
        "    depends_on: [tool]",
      ),
    );
    expect(issues).toEqual([
      {
        pos: { file: "/project/stack.yml", line: 5, col: 14 },
        path: "services.web.depends_on.ghost",
        message: 'service "web" depends on undefined service "ghost"',
      },
      {
        pos: { file: "/project/stack.yml", line: 7, col: 13 },
        path: "services.web.links[0]",
        message: 'service "web" depends on undefined service "phantom"',
      },
      {
        pos: { file: "/project/stack.yml", line: 13, col: 18 },
        path: "services.app.depends_on[0]",
        message:
          'service "app" depends on service "tool" which is not deployed (it has profiles [debug])',
      },
    ]);
    expect(warnings).toEqual([
      expect.objectContaining({
        path: "services.web.depends_on.maybe",
        message: expect.stringContaining("required: false"),
      }),
    ]);
  });

  it("names a dependency cycle once, located at the edge that closes it", () => {
    const { issues } = checkYaml(
      lines(
        "services:",
        "  a: { image: x, depends_on: [b] }",
        "  b: { image: x, depends_on: [c] }",
        "  c: { image: x, depends_on: [a] }",
        "  d: { image: x, depends_on: [d] }",
        "  e: { image: x, depends_on: [a] }",
      ),
    );
    expect(issues.map((i) => `${i.pos?.line} ${i.message}`)).toEqual([
      "4 dependency cycle: a -> b -> c -> a",
      "5 dependency cycle: d -> d",
    ]);
  });

  it("reports undefined networks, volumes, secrets and configs", () => {
    const { issues } = checkYaml(
      lines(
        "services:",
        "  web:",
        "    image: x",
        "    networks: [front]",
        "    volumes: ['data:/data', './bind:/b', '/anon']",
        "    secrets: [s]",
        "    configs: [{ source: c, target: /etc/c }]",
      ),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'services.web.networks[0]: service "web" uses undefined network "front"',
      'services.web.volumes[0]: service "web" mounts undefined volume "data": declare it under the top-level volumes:',
      'services.web.secrets[0]: service "web" uses undefined secret "s"',
      'services.web.configs[0]: service "web" uses undefined config "c"',
    ]);
  });

  it("reports a host port published twice, treating a wildcard address as overlapping", () => {
    const { issues } = checkYaml(
      lines(
        "services:",
        "  a:",
        "    image: x",
        "    ports: ['8080:80', '127.0.0.1:9000:9000', '53:53/udp']",
        "  b:",
        "    image: x",
        "    ports: ['127.0.0.1:8080:81', '127.0.0.2:9000:9000', '53:53/tcp', '9000-9001:1-2']",
      ),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'services.b.ports[0]: host port 127.0.0.1:8080/tcp is already published by service "a" as 8080/tcp (services.a.ports[0])',
      'services.b.ports[3]: host port 9000/tcp is already published by service "a" as 127.0.0.1:9000/tcp (services.a.ports[1])',
    ]);
  });

  it("rejects container_name with several replicas", () => {
    const { issues } = checkYaml(
      lines(
        "services:",
        "  a:",
        "    image: x",
        "    container_name: fixed",
        "    deploy: { replicas: 2 }",
      ),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        path: "services.a.container_name",
        pos: expect.objectContaining({ line: 4 }),
      }),
    ]);
  });

  it("rejects network_mode together with networks", () => {
    const { issues } = checkYaml(
      lines(
        "services:",
        "  a:",
        "    image: x",
        "    network_mode: host",
        "    networks: [n]",
        "networks:",
        "  n:",
      ),
    );
    expect(issues.map((i) => i.path)).toEqual(["services.a.network_mode"]);
  });

  it("makes network_mode service:x a dependency that must exist", () => {
    const { issues } = checkYaml(
      lines("services:", "  a:", "    image: x", "    network_mode: service:vpn"),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'services.a.network_mode: service "a" depends on undefined service "vpn"',
    ]);
  });

  it("rejects invalid stack and service names, saying the rule, at the service key", () => {
    const { issues } = checkYaml(lines("services:", "  'bad name':", "    image: x"), "Bad Stack");
    expect(issues).toEqual([
      {
        path: "name",
        message: expect.stringMatching(
          /invalid stack name "Bad Stack" given on the command line: a stack name must be lowercase/,
        ),
      },
      {
        pos: { file: "/project/stack.yml", line: 2, col: 3 },
        path: "services.bad name",
        message: "invalid service name \"bad name\": use only letters, digits, '.', '_' and '-'",
      },
    ]);
  });
});
