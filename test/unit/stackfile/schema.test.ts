import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  ACTED_SERVICE_KEYS,
  IGNORED_CONFIG_KEYS,
  IGNORED_NETWORK_KEYS,
  IGNORED_SECRET_KEYS,
  IGNORED_SERVICE_KEYS,
  IGNORED_TOP_LEVEL_KEYS,
  IGNORED_VOLUME_KEYS,
} from "../../../src/stackfile/ignored-keys.js";
import { STACK_SCHEMA_AJV_OPTIONS, readStackSchema } from "../../../src/stackfile/validate.js";
import type { SchemaObject } from "../../../src/stackfile/validate.js";

const schema = readStackSchema();

function isObject(value: unknown): value is SchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function def(name: string): SchemaObject {
  const defs = schema["$defs"];
  if (!isObject(defs) || !isObject(defs[name])) throw new Error(`no $defs/${name}`);
  return defs[name];
}

function resolve(node: unknown): SchemaObject {
  let current = node;
  while (isObject(current) && typeof current["$ref"] === "string") {
    current = def(current["$ref"].replace("#/$defs/", ""));
  }
  if (!isObject(current)) throw new Error("not a schema object");
  return current;
}

/** The object-shaped variants of a schema: itself, or its anyOf branches. */
function variants(node: unknown): SchemaObject[] {
  const schema = resolve(node);
  const anyOf = schema["anyOf"];
  return Array.isArray(anyOf) ? anyOf.flatMap((b) => variants(b)) : [schema];
}

function propertyKeys(node: unknown): string[] {
  return variants(node).flatMap((v) =>
    isObject(v["properties"]) ? Object.keys(v["properties"]) : [],
  );
}

function property(node: unknown, key: string): unknown {
  for (const v of variants(node)) {
    const props = v["properties"];
    if (isObject(props) && props[key] !== undefined) return props[key];
  }
  return undefined;
}

// Keys of the Compose Specification (compose-spec/compose-spec schema/compose-spec.json),
// written out here so that dropping one from our schema fails a test.
const COMPOSE_TOP_LEVEL = [
  "version",
  "name",
  "include",
  "services",
  "models",
  "networks",
  "volumes",
  "secrets",
  "configs",
];
// prettier-ignore
const COMPOSE_SERVICE = [
  "develop", "deploy", "annotations", "attach", "build", "blkio_config", "cap_add", "cap_drop", "cgroup",
  "cgroup_parent", "command", "configs", "container_name", "cpu_count", "cpu_percent", "cpu_shares",
  "cpu_quota", "cpu_period", "cpu_rt_period", "cpu_rt_runtime", "cpus", "cpuset", "credential_spec",
  "depends_on", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "domainname",
  "entrypoint", "env_file", "label_file", "environment", "expose", "extends", "provider", "external_links",
  "extra_hosts", "gpus", "group_add", "healthcheck", "hostname", "image", "init", "ipc", "isolation",
  "labels", "links", "logging", "mac_address", "mem_limit", "mem_reservation", "mem_swappiness",
  "memswap_limit", "network_mode", "models", "networks", "oom_kill_disable", "oom_score_adj", "pid",
  "pids_limit", "platform", "ports", "post_start", "pre_start", "pre_stop", "privileged", "profiles", "pull_policy",
  "pull_refresh_after", "read_only", "restart", "runtime", "scale", "security_opt", "shm_size", "secrets",
  "sysctls", "stdin_open", "stop_grace_period", "stop_signal", "storage_opt", "tmpfs", "tty", "ulimits",
  "use_api_socket", "user", "uts", "userns_mode", "volumes", "volumes_from", "working_dir",
];
// prettier-ignore
const COMPOSE_NESTED: Readonly<Record<string, readonly string[]>> = {
  build: [
    "context", "dockerfile", "dockerfile_inline", "entitlements", "args", "ssh", "labels", "cache_from",
    "cache_to", "no_cache", "additional_contexts", "network", "pull", "target", "shm_size", "extra_hosts",
    "isolation", "privileged", "secrets", "tags", "ulimits", "platforms", "provenance", "sbom",
    "no_cache_filter",
  ],
  deploy: ["mode", "endpoint_mode", "replicas", "labels", "rollback_config", "update_config", "resources", "restart_policy", "placement"],
  healthcheck: ["disable", "interval", "retries", "test", "timeout", "start_period", "start_interval"],
  logging: ["driver", "options"],
  develop: ["watch"],
};

describe("stack.schema.json", () => {
  it("compiles in ajv strict mode with the draft 2020-12 meta-schema check on, without warnings", () => {
    const complaints: unknown[] = [];
    const ajv = new Ajv2020({
      ...STACK_SCHEMA_AJV_OPTIONS,
      validateSchema: true,
      code: { optimize: true },
      logger: {
        log: () => undefined,
        warn: (...a: unknown[]) => complaints.push(a),
        error: (...a: unknown[]) => complaints.push(a),
      },
    });
    expect(() => ajv.compile(schema)).not.toThrow();
    expect(complaints).toEqual([]);
    expect(STACK_SCHEMA_AJV_OPTIONS).toMatchObject({ strict: true, allErrors: true });
  });

  it("identifies itself for editors", () => {
    expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema["$id"]).toEqual(expect.any(String));
    expect(schema["title"]).toEqual(expect.any(String));
    expect(schema["description"]).toEqual(expect.any(String));
  });

  it("describes every top-level and service key", () => {
    const undocumented = [
      ...Object.entries(schema["properties"] as SchemaObject).map(
        ([k, v]) => [`top.${k}`, v] as const,
      ),
      ...Object.entries(def("service")["properties"] as SchemaObject).map(
        ([k, v]) => [`service.${k}`, v] as const,
      ),
    ]
      .filter(([, v]) => !isObject(v) || typeof v["description"] !== "string")
      .map(([k]) => k);
    expect(undocumented).toEqual([]);
  });

  it("knows every key of the compose specification", () => {
    expect(propertyKeys(schema).sort()).toEqual([...COMPOSE_TOP_LEVEL].sort());
    expect(propertyKeys(def("service")).sort()).toEqual([...COMPOSE_SERVICE].sort());
    for (const [key, expected] of Object.entries(COMPOSE_NESTED)) {
      expect(propertyKeys(property(def("service"), key)).sort(), key).toEqual([...expected].sort());
    }
  });

  it("allows x- extension keys at the top level, in services and in deploy", () => {
    for (const node of [schema, def("service"), def("deploy"), def("network"), def("volume")]) {
      expect(node["patternProperties"]).toEqual({ "^x-": {} });
    }
  });

  it("splits the service keys exactly into acted-on and ignored", () => {
    const ignoredTop = IGNORED_SERVICE_KEYS.filter((k) => !/[.[]/.test(k));
    expect(ACTED_SERVICE_KEYS.filter((k) => ignoredTop.includes(k))).toEqual([]);
    expect([...ACTED_SERVICE_KEYS, ...ignoredTop].sort()).toEqual(
      propertyKeys(def("service")).sort(),
    );
    expect(new Set(ACTED_SERVICE_KEYS).size).toBe(ACTED_SERVICE_KEYS.length);
  });

  it("accepts every key the ignored-key lists name", () => {
    const walk = (owner: unknown, pattern: string): boolean => {
      let nodes: unknown[] = [owner];
      for (const part of pattern.split(".")) {
        const items = part.endsWith("[]");
        const name = items ? part.slice(0, -2) : part;
        nodes = nodes.flatMap((n) => {
          if (name === "*")
            return variants(n).flatMap((v) =>
              v["additionalProperties"] ? [v["additionalProperties"]] : [],
            );
          const p = property(n, name);
          return p === undefined ? [] : [p];
        });
        if (items)
          nodes = nodes.flatMap((n) =>
            variants(n).flatMap((v) => (v["items"] ? [v["items"]] : [])),
          );
      }
      return nodes.length > 0;
    };
    const lists: [SchemaObject, readonly string[]][] = [
      [schema, IGNORED_TOP_LEVEL_KEYS],
      [def("service"), IGNORED_SERVICE_KEYS],
      [def("network"), IGNORED_NETWORK_KEYS],
      [def("volume"), IGNORED_VOLUME_KEYS],
      [def("secret"), IGNORED_SECRET_KEYS],
      [def("config"), IGNORED_CONFIG_KEYS],
    ];
    const unknown = lists.flatMap(([owner, patterns]) => patterns.filter((p) => !walk(owner, p)));
    expect(unknown).toEqual([]);
  });

  it("is shipped in the package and exported for editors", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
    ) as {
      files: string[];
      exports: Record<string, unknown>;
    };
    expect(pkg.files).toContain("schemas");
    expect(pkg.exports["./schema.json"]).toBe("./schemas/stack.schema.json");
  });

  it("on its own (as an editor uses it) accepts a compose file and rejects a misspelt key", () => {
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    expect(
      validate({
        services: { web: { image: "nginx", ports: ["8080:80"], deploy: { replicas: 2 } } },
      }),
    ).toBe(true);
    expect(validate({ services: { web: { image: "nginx", enviroment: {} } } })).toBe(false);
  });
});
