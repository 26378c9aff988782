import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SpecError, formatIssue } from "../../../src/stackfile/errors.js";
import { findIgnoredKeys, ignoredServiceKeys } from "../../../src/stackfile/ignored-keys.js";
import type { SpecWarning } from "../../../src/model/types.js";
import { validateDocument } from "../../../src/stackfile/validate.js";
import { docFromYaml } from "./helpers/doc-from-yaml.js";

const FIXTURES = new URL("../../fixtures/validate/", import.meta.url);

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

/** Validates YAML text and returns the issues as the CLI prints them. */
function errorsOf(yaml: string): string[] {
  return validateDocument(docFromYaml(yaml)).issues.map(formatIssue);
}

function formatWarning(w: SpecWarning): string {
  return formatIssue({ ...w, path: w.path ?? "" });
}

function warningsOf(yaml: string): string[] {
  return validateDocument(docFromYaml(yaml)).warnings.map(formatWarning);
}

describe("validateDocument: invalid files", () => {
  // Each fixture under test/fixtures/validate/invalid/ with every line the user sees.
  const cases: Record<string, string[]> = {
    "replicas-word.yml": [
      'stack.yml:5:17 services.web.deploy.replicas must be an integer >= 0, got "five"',
    ],
    "typo-service-key.yml": [
      'stack.yml:4:5 services.web unknown key "enviroment", did you mean "environment"?',
    ],
    "typo-top-level-key.yml": [
      'stack.yml:1:1 unknown top-level key "servics", did you mean "services"?',
    ],
    "typo-deploy-key.yml": [
      'stack.yml:5:7 services.web.deploy unknown key "replica", did you mean "replicas"?',
      'stack.yml:8:11 services.web.deploy.resources.limits unknown key "memroy", did you mean "memory"?',
    ],
    "misplaced-key.yml": [
      'stack.yml:4:5 services.web unknown key "replicas", did you mean "deploy.replicas"?',
      'stack.yml:5:5 services.web unknown key "dockerfile", did you mean "build.dockerfile"?',
    ],
    "restart-unknown.yml": [
      'stack.yml:4:14 services.web.restart must be one of "no", "always", "on-failure", "unless-stopped", got "sometimes"',
      'stack.yml:7:14 services.worker.restart must be one of "no", "always", "on-failure", "unless-stopped", got "on-failure:x"',
    ],
    "service-is-list.yml": [
      "stack.yml:3:5 services.web must be a mapping, got a list",
      "stack.yml:4:3 services.empty must be a mapping, got an empty value",
    ],
    "port-items.yml": [
      'stack.yml:5:9 services.web.ports[0] must be a port like "8080:80" or a mapping with target, got true',
      'stack.yml:6:9 services.web.ports[1] must be a port like "8080:80", "127.0.0.1:8080:80" or "53/udp", got "8080:80:90"',
      "stack.yml:7:9 services.web.ports[2] must be a port number from 1 to 65535, got 70000",
      'stack.yml:8:17 services.web.ports[3].target must be a port like 8080 or a range like "8000-8010", got "http"',
      'stack.yml:9:9 services.web.ports[4] is missing required key "target"',
      'stack.yml:11:9 services.web.ports[5] unknown key "publsihed", did you mean "published"?',
      "stack.yml:13:9 services.web.ports[7] repeats ports[6]",
    ],
    "units.yml": [
      'stack.yml:4:16 services.web.mem_limit must be a byte size like "50M" or a number of bytes, got "50X"',
      'stack.yml:5:11 services.web.cpus must be a number of CPUs like 0.5 or "1.5", got "lots"',
      'stack.yml:6:24 services.web.stop_grace_period must be a duration like "1m30s" or "500ms", got 10',
      'stack.yml:8:17 services.web.healthcheck.interval must be a duration like "1m30s" or "500ms", got "10x"',
      "stack.yml:9:16 services.web.healthcheck.retries must be an integer >= 0, got -1",
      'stack.yml:13:19 services.web.deploy.resources.limits.memory must be a byte size like "50M" or a number of bytes, got "1.5q"',
      "stack.yml:15:28 services.web.deploy.update_config.max_failure_ratio must be a number between 0 and 1, got 2",
    ],
    "wrong-types.yml": [
      "stack.yml:3:12 services.web.image must be a string, got 5",
      "stack.yml:4:14 services.web.command must be a string or a list of strings, got a mapping",
      'stack.yml:5:18 services.web.environment must be a mapping or a list of "KEY=VALUE" strings, got "production"',
      'stack.yml:6:11 services.web.init must be true or false, got "maybe"',
      "stack.yml:8:13 services.web.labels.tier must be a string, a number or a boolean, got a list",
      "stack.yml:9:11 services.web.user must be a string, got 1000",
      'stack.yml:10:15 services.web.networks must be a list of strings or a mapping, got "front"',
      'stack.yml:13:20 services.web.depends_on.db.condition must be one of "service_started", "service_healthy", "service_completed_successfully", got "service_ready"',
      'stack.yml:15:15 services.web.volumes[0].type must be one of "volume", "bind", "tmpfs", "npipe", "cluster", "image", got "socket"',
      'stack.yml:17:9 services.web.volumes[1] is missing required key "type"',
      'stack.yml:19:9 services.web.volumes[2] must be a mount like "data:/var/lib/data" or a mapping with type and target, got 42',
    ],
    "names.yml": [
      'stack.yml:2:3 services invalid name "my web": use only letters, digits, ".", "_" and "-"',
      'stack.yml:5:7 services.my web.ulimits invalid name "NOFILE": use a lowercase ulimit name such as nofile',
      'stack.yml:7:3 networks invalid name "front/back": use only letters, digits, ".", "_" and "-"',
      'stack.yml:8:7 name must be a lowercase name like "myapp" (letters, digits, "-" and "_"), got "My Stack"',
    ],
    "root-list.yml": ["stack.yml:1:1 the stack file must be a mapping, got a list"],
    // Every problem at once, in file order (service b comes before service a in the file).
    "many.yml": [
      'stack.yml:5:13 services.b.deploy.mode must be one of "replicated", "global", "replicated-job", "global-job", got "everywhere"',
      'stack.yml:7:5 services.a unknown key "imag", did you mean "image"?',
      "stack.yml:9:26 services.a.cap_add[1] repeats cap_add[0]",
      'stack.yml:13:5 volumes.data unknown key "extrnal", did you mean "external"?',
    ],
  };

  it("has a case for every invalid fixture", () => {
    expect(readdirSync(new URL("invalid/", FIXTURES)).sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.entries(cases))("%s", (name, expected) => {
    expect(errorsOf(fixture(`invalid/${name}`))).toEqual(expected);
  });
});

describe("validateDocument: valid files", () => {
  const valid = readdirSync(new URL("valid/", FIXTURES)).filter((f) => f.endsWith(".yml"));

  it("has realistic fixtures to check", () => {
    expect(valid.length).toBeGreaterThanOrEqual(5);
  });

  it.each(valid)("%s loads without errors", (name) => {
    expect(errorsOf(fixture(`valid/${name}`))).toEqual([]);
  });

  it("accepts the strings interpolation leaves where compose wants numbers and booleans", () => {
    const yaml = `services:
  web:
    image: nginx
    init: "true"
    ports: ["8080"]
    expose: ["3000"]
    deploy:
      replicas: "3"
      resources: { limits: { cpus: "0.25", memory: "268435456", pids: "100" } }
      restart_policy: { max_attempts: "3" }
      placement: { max_replicas_per_node: "2" }
      update_config: { parallelism: "2", max_failure_ratio: "0.5" }
    healthcheck: { retries: "5" }
    ulimits: { nproc: "65535" }
`;
    expect(errorsOf(yaml)).toEqual([]);
  });

  it("accepts the numbers and booleans YAML gives where compose takes strings", () => {
    const yaml = `services:
  web:
    image: nginx
    cpus: 0.1
    mem_limit: 1073741824
    environment: { A: 1, B: true, C: null, D: 1.5 }
    labels: { rank: 1, critical: false }
    ports: [80, { target: 80, published: 8080 }]
    expose: [3000]
    logging: { options: { max-file: 3 } }
    deploy: { resources: { limits: { cpus: 0.5 } } }
`;
    expect(errorsOf(yaml)).toEqual([]);
  });

  it("accepts x- extension keys where compose allows them, and version without a warning", () => {
    const yaml = `version: "3.9"
x-defaults: { a: 1 }
services:
  web:
    image: nginx
    x-note: anything
    deploy: { x-team: ops, resources: { limits: { x-why: burst } } }
networks:
  front: { x-owner: ops }
`;
    const result = validateDocument(docFromYaml(yaml));
    expect(result.issues).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});

describe("validateDocument: did you mean", () => {
  it("suggests the top-level key", () => {
    expect(errorsOf("service:\n  web: { image: nginx }\n")).toEqual([
      'stack.yml:1:1 unknown top-level key "service", did you mean "services"?',
    ]);
  });

  it("suggests the service key", () => {
    expect(errorsOf("services:\n  web:\n    image: nginx\n    depends-on: [db]\n")).toEqual([
      'stack.yml:4:5 services.web unknown key "depends-on", did you mean "depends_on"?',
    ]);
  });

  it("suggests the deploy key", () => {
    expect(
      errorsOf("services:\n  web:\n    image: nginx\n    deploy:\n      restart-policy: {}\n"),
    ).toEqual([
      'stack.yml:5:7 services.web.deploy unknown key "restart-policy", did you mean "restart_policy"?',
    ]);
  });

  it("says only unknown key when nothing is close", () => {
    expect(errorsOf("services:\n  web:\n    image: nginx\n    flux_capacitor: on\n")).toEqual([
      'stack.yml:4:5 services.web unknown key "flux_capacitor"',
    ]);
  });
});

describe("validateDocument: messages", () => {
  it("gives one message per location when a value fails several keywords", () => {
    // -1.5 is neither an integer nor >= 0: two ajv errors, one message.
    expect(
      errorsOf("services:\n  web:\n    image: nginx\n    deploy: { replicas: -1.5 }\n"),
    ).toEqual(["stack.yml:4:25 services.web.deploy.replicas must be an integer >= 0, got -1.5"]);
  });

  it("explains a mapping port by the mapping branch, not the string and number branches", () => {
    expect(
      errorsOf(
        "services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        mode: bridge\n",
      ),
    ).toEqual([
      'stack.yml:6:15 services.web.ports[0].mode must be one of "ingress", "host", got "bridge"',
    ]);
  });

  it("points into the anchor a merged value came from", () => {
    const yaml = `x-common: &common
  restart: sometimes
services:
  web:
    <<: *common
    image: nginx
`;
    expect(errorsOf(yaml)).toEqual([
      'stack.yml:2:12 services.web.restart must be one of "no", "always", "on-failure", "unless-stopped", got "sometimes"',
    ]);
  });

  it("shortens long values and names lists and mappings instead of printing them", () => {
    const long = "x".repeat(100);
    expect(
      errorsOf(`services:\n  web:\n    image: nginx\n    restart: ${long}\n    user: [a]\n`),
    ).toEqual([
      `stack.yml:4:14 services.web.restart must be one of "no", "always", "on-failure", "unless-stopped", got "${"x".repeat(57)}..."`,
      "stack.yml:5:11 services.web.user must be a string, got a list",
    ]);
  });

  it("reports every issue of a large file; SpecError then caps what it prints", () => {
    const services = Array.from(
      { length: 60 },
      (_, i) => `  s${i}:\n    image: nginx\n    deploy: { replicas: many }\n`,
    );
    const { issues } = validateDocument(docFromYaml(`services:\n${services.join("")}`));
    expect(issues).toHaveLength(60);
    expect(issues[0]?.path).toBe("services.s0.deploy.replicas");
    expect(issues[59]?.path).toBe("services.s59.deploy.replicas");
    const error = new SpecError(issues);
    expect(error.omitted).toBe(10);
    expect(error.message).toContain("... and 10 more problems");
  });
});

describe("validateDocument: keys stack does not act on yet", () => {
  it("names them in one warning per service, network and secret, and one for the top level", () => {
    expect(warningsOf(fixture("valid/ignored-keys.yml"))).toEqual([
      "stack.yml:5:5 services.web uses keys stack does not act on yet: networks.front.priority, platform, ports[].app_protocol, ports[].name",
      "stack.yml:31:5 networks.front uses a key stack does not act on yet: enable_ipv4",
      "stack.yml:35:5 secrets.token uses a key stack does not act on yet: template_driver",
      "stack.yml:36:1 the file uses a top-level key stack does not act on yet: models",
    ]);
  });

  it("does not warn about keys stack acts on, including the legacy mem_limit and cpus", () => {
    expect(warningsOf(fixture("valid/anchors-profiles-configs.yml"))).toEqual([]);
  });

  it("still warns when the file also has errors", () => {
    const result = validateDocument(
      docFromYaml("services:\n  web:\n    image: 1\n    platform: linux/arm64\n"),
    );
    expect(result.issues.map(formatIssue)).toEqual([
      "stack.yml:3:12 services.web.image must be a string, got 1",
    ]);
    expect(result.warnings.map(formatWarning)).toEqual([
      "stack.yml:4:5 services.web uses a key stack does not act on yet: platform",
    ]);
  });

  it("lists a service's ignored keys sorted and once each, for ServiceSpec.ignoredKeys", () => {
    const service = {
      platform: "linux/amd64",
      ports: [{ target: 80, name: "a" }, { target: 81, name: "b" }, "8080:80"],
      networks: { front: { priority: 1 }, back: null },
      cap_add: ["NET_ADMIN"],
    };
    expect(ignoredServiceKeys(service)).toEqual([
      "networks.front.priority",
      "platform",
      "ports[].name",
    ]);
    expect(findIgnoredKeys(service, ["ports[].name"]).map((h) => h.path)).toEqual([
      ["ports", 0, "name"],
      ["ports", 1, "name"],
    ]);
  });
});
