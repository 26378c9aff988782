import { describe, expect, it } from "vitest";
import { applyMergeTags, mergeStackTrees } from "../../../src/stackfile/merge.js";
import { parseYamlSource, positionIn, toPlainValue } from "../../../src/stackfile/yaml-source.js";
import type { MapNode } from "../../../src/stackfile/yaml-source.js";

/** Merges YAML texts in order (named a.yml, b.yml, c.yml) and returns the tree. */
function mergeTexts(...texts: string[]): MapNode {
  const trees = texts.map((t, i) => parseYamlSource(t, `${"abc"[i]}.yml`));
  let merged = applyMergeTags(trees[0]!);
  for (const tree of trees.slice(1)) merged = mergeStackTrees(merged, tree);
  return merged;
}

function merged(...texts: string[]): unknown {
  return toPlainValue(mergeTexts(...texts));
}

/** One service `web` with the given YAML body lines (indented by the helper). */
function web(...lines: string[]): string {
  return ["services:", "  web:", ...lines.map((l) => `    ${l}`)].join("\n") + "\n";
}

function webOf(value: unknown): unknown {
  return (value as { services: { web: unknown } }).services.web;
}

describe("mergeStackTrees", () => {
  it("merges mappings recursively; later scalars win; new keys are appended", () => {
    expect(
      merged(
        "name: one\nservices:\n  web:\n    image: a\n    restart: always\n",
        "name: two\nservices:\n  web:\n    image: b\n  db:\n    image: pg\nvolumes:\n  data: {}\n",
      ),
    ).toEqual({
      name: "two",
      services: { web: { image: "b", restart: "always" }, db: { image: "pg" } },
      volumes: { data: {} },
    });
  });

  it("keeps the earlier value when the later file gives null", () => {
    expect(webOf(merged(web("image: a"), web("image:")))).toEqual({ image: "a" });
  });

  it("!reset removes an inherited value", () => {
    expect(
      webOf(
        merged(
          web("image: a", "ports: ['80:80']", "dns: [1.1.1.1]"),
          web("ports: !reset []", "dns: !reset"),
        ),
      ),
    ).toEqual({ image: "a" });
  });

  it("!reset in the first file removes the key too", () => {
    expect(webOf(merged(web("image: a", "ports: !reset ['80']")))).toEqual({ image: "a" });
  });

  it("!reset inside a new subtree is honoured", () => {
    expect(
      merged("services: {}\n", "services:\n  web:\n    image: a\n    ports: !reset ['80']\n"),
    ).toEqual({ services: { web: { image: "a" } } });
  });

  it("!override replaces instead of merging", () => {
    expect(
      webOf(
        merged(
          web(
            "environment: {A: '1', B: '2'}",
            "ports: ['80:80']",
            "deploy: {replicas: 2, mode: replicated}",
          ),
          web(
            "environment: !override {C: '3'}",
            "ports: !override ['81:81']",
            "deploy: !override {replicas: 3}",
          ),
        ),
      ),
    ).toEqual({ environment: { C: "3" }, ports: ["81:81"], deploy: { replicas: 3 } });
  });

  it("!override on a plain scalar keeps its YAML type", () => {
    expect(
      webOf(merged(web("deploy: {replicas: 2}"), web("deploy: {replicas: !override 5}"))),
    ).toEqual({ deploy: { replicas: 5 } });
  });

  it.each(["command", "entrypoint"])("%s is replaced, not appended", (key) => {
    expect(webOf(merged(web(`${key}: [a, b]`), web(`${key}: [c]`)))).toEqual({ [key]: ["c"] });
    expect(webOf(merged(web(`${key}: [a, b]`), web(`${key}: c d`)))).toEqual({ [key]: "c d" });
  });

  it("healthcheck.test is replaced while other healthcheck keys merge", () => {
    expect(
      webOf(
        merged(
          web("healthcheck: {test: [CMD, a], interval: 5s}"),
          web("healthcheck: {test: [CMD-SHELL, b], retries: 3}"),
        ),
      ),
    ).toEqual({ healthcheck: { test: ["CMD-SHELL", "b"], interval: "5s", retries: 3 } });
  });

  describe("environment and labels merge by key", () => {
    it.each(["environment", "labels"])("%s: list + list keeps the list form", (key) => {
      expect(webOf(merged(web(`${key}: [A=1, B=2, C]`), web(`${key}: [B=3, D=4, C=5]`)))).toEqual({
        [key]: ["A=1", "B=3", "C=5", "D=4"],
      });
    });

    it.each(["environment", "labels"])("%s: map + map", (key) => {
      expect(
        webOf(merged(web(`${key}: {A: '1', B: '2'}`), web(`${key}: {B: '3', C: null}`))),
      ).toEqual({
        [key]: { A: "1", B: "3", C: null },
      });
    });

    it("list + map becomes a map; a bare name means null", () => {
      expect(
        webOf(merged(web("environment: [A=1, B=2, PASS]"), web("environment: {B: '3'}"))),
      ).toEqual({
        environment: { A: "1", B: "3", PASS: null },
      });
    });

    it("map + list becomes a map", () => {
      expect(webOf(merged(web("environment: {A: 1}"), web("environment: [A=2, X=a=b]")))).toEqual({
        environment: { A: "2", X: "a=b" },
      });
    });

    it("a later null replaces the earlier value (take it from the environment)", () => {
      expect(webOf(merged(web("environment: {A: '1'}"), web("environment: {A: }")))).toEqual({
        environment: { A: null },
      });
    });

    it("build.args and deploy.labels follow the same rule", () => {
      expect(
        webOf(
          merged(
            web("build: {context: ., args: [A=1]}", "deploy: {labels: {a: '1'}}"),
            web("build: {args: {A: '2'}}", "deploy: {labels: [b=2]}"),
          ),
        ),
      ).toEqual({
        build: { context: ".", args: { A: "2" } },
        deploy: { labels: { a: "1", b: "2" } },
      });
    });
  });

  it("ports merge by host ip + published + target + protocol", () => {
    expect(
      webOf(
        merged(
          web("ports: ['8080:80', '127.0.0.1:9000:9000', '53:53/udp', 3000]"),
          web(
            "ports:",
            "  - '0.0.0.0:8080:80'", // same binding as 8080:80
            "  - {target: 9000, published: '9000', host_ip: 127.0.0.1, mode: host}", // same
            "  - '53:53'", // tcp: different from udp
            "  - '3000'", // same as 3000
            "  - '[::1]:7000:7000'",
          ),
        ),
      ),
    ).toEqual({
      ports: [
        "0.0.0.0:8080:80",
        { target: 9000, published: "9000", host_ip: "127.0.0.1", mode: "host" },
        "53:53/udp",
        "3000",
        "53:53",
        "[::1]:7000:7000",
      ],
    });
  });

  it("volumes merge by target path", () => {
    expect(
      webOf(
        merged(
          web("volumes: ['data:/data', './conf:/etc/conf:ro', /anon]"),
          web(
            "volumes: [{type: volume, source: other, target: /data}, './conf2:/etc/conf', /more]",
          ),
        ),
      ),
    ).toEqual({
      volumes: [
        { type: "volume", source: "other", target: "/data" },
        "./conf2:/etc/conf",
        "/anon",
        "/more",
      ],
    });
  });

  it("secrets and configs merge by their mount target", () => {
    expect(
      webOf(
        merged(
          web("secrets: [db_pass, {source: api, target: /run/secrets/key}]", "configs: [nginx]"),
          web(
            "secrets: [{source: db_pass, mode: 0400}, {source: other, target: key}]",
            "configs: [{source: nginx, target: /nginx}]",
          ),
        ),
      ),
    ).toEqual({
      secrets: [
        { source: "db_pass", mode: 0o400 },
        { source: "other", target: "key" },
      ],
      configs: [{ source: "nginx", target: "/nginx" }],
    });
  });

  it("extra_hosts merge by host name in list or map form", () => {
    expect(
      webOf(
        merged(
          web("extra_hosts: ['a:1.1.1.1', 'b=2.2.2.2']"),
          web("extra_hosts: ['a=9.9.9.9', 'c:::1']"),
        ),
      ),
    ).toEqual({
      extra_hosts: ["a=9.9.9.9", "b=2.2.2.2", "c:::1"],
    });
    expect(
      webOf(merged(web("extra_hosts: ['a:1.1.1.1']"), web("extra_hosts: {b: 2.2.2.2}"))),
    ).toEqual({
      extra_hosts: { a: "1.1.1.1", b: "2.2.2.2" },
    });
  });

  it.each(["dns", "dns_search", "cap_add", "cap_drop", "expose", "profiles", "tmpfs", "links"])(
    "%s is appended without duplicates",
    (key) => {
      expect(webOf(merged(web(`${key}: [a, b]`), web(`${key}: [b, c]`)))).toEqual({
        [key]: ["a", "b", "c"],
      });
    },
  );

  it("a lone string counts as a one-item list (dns: 8.8.8.8)", () => {
    expect(webOf(merged(web("dns: 8.8.8.8"), web("dns: [1.1.1.1, 8.8.8.8]")))).toEqual({
      dns: ["8.8.8.8", "1.1.1.1"],
    });
  });

  it("expose compares numbers and strings alike", () => {
    expect(webOf(merged(web("expose: [80, '443']"), web("expose: ['80', 443, 8080]")))).toEqual({
      expose: ["80", 443, 8080],
    });
  });

  it("env_file is appended, unique by path", () => {
    expect(
      webOf(
        merged(
          web("env_file: [a.env, b.env]"),
          web("env_file: [{path: a.env, required: false}, c.env]"),
        ),
      ),
    ).toEqual({
      env_file: [{ path: "a.env", required: false }, "b.env", "c.env"],
    });
  });

  it("other sequences are appended as compose does", () => {
    expect(webOf(merged(web("security_opt: [a]"), web("security_opt: [a, b]")))).toEqual({
      security_opt: ["a", "a", "b"],
    });
  });

  describe("depends_on and networks merge by name", () => {
    it("list + list stays a list", () => {
      expect(
        webOf(
          merged(
            web("depends_on: [db, cache]", "networks: [front]"),
            web("depends_on: [db, queue]", "networks: [back, front]"),
          ),
        ),
      ).toEqual({
        depends_on: ["db", "cache", "queue"],
        networks: ["front", "back"],
      });
    });

    it("list + map becomes a map with compose's defaults for the list entries", () => {
      expect(
        webOf(
          merged(
            web("depends_on: [db]", "networks: [front]"),
            web(
              "depends_on: {cache: {condition: service_healthy}}",
              "networks: {back: {aliases: [b]}}",
            ),
          ),
        ),
      ).toEqual({
        depends_on: {
          db: { condition: "service_started", required: true },
          cache: { condition: "service_healthy" },
        },
        networks: { front: null, back: { aliases: ["b"] } },
      });
    });

    it("map + map merges each entry; network aliases are appended without duplicates", () => {
      expect(
        webOf(
          merged(
            web(
              "depends_on: {db: {condition: service_started}}",
              "networks: {front: {aliases: [a, b]}, back: null}",
            ),
            web(
              "depends_on: {db: {condition: service_healthy, restart: true}}",
              "networks: {front: {aliases: [b, c]}, back: {aliases: [x]}}",
            ),
          ),
        ),
      ).toEqual({
        depends_on: { db: { condition: "service_healthy", restart: true } },
        networks: { front: { aliases: ["a", "b", "c"] }, back: { aliases: ["x"] } },
      });
    });
  });

  it("logging options merge only when the driver stays the same", () => {
    expect(
      webOf(
        merged(
          web("logging: {driver: json-file, options: {max-size: 1m}}"),
          web("logging: {options: {max-file: '3'}}"),
        ),
      ),
    ).toEqual({ logging: { driver: "json-file", options: { "max-size": "1m", "max-file": "3" } } });
    expect(
      webOf(
        merged(
          web("logging: {driver: json-file, options: {max-size: 1m}}"),
          web("logging: {driver: syslog}"),
        ),
      ),
    ).toEqual({ logging: { driver: "syslog" } });
  });

  it("build: a string merges as its context", () => {
    expect(webOf(merged(web("build: ./app"), web("build: {dockerfile: Dockerfile.dev}")))).toEqual({
      build: { context: "./app", dockerfile: "Dockerfile.dev" },
    });
    expect(webOf(merged(web("build: ./app"), web("build: ./other")))).toEqual({ build: "./other" });
  });

  it("ipam config merges by subnet", () => {
    expect(
      merged(
        "networks:\n  n:\n    ipam:\n      config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.1}]\n",
        "networks:\n  n:\n    ipam:\n      config: [{subnet: 10.0.0.0/24, ip_range: 10.0.0.0/25}, {subnet: 10.1.0.0/24}]\n",
      ),
    ).toEqual({
      networks: {
        n: {
          ipam: {
            config: [
              { subnet: "10.0.0.0/24", gateway: "10.0.0.1", ip_range: "10.0.0.0/25" },
              { subnet: "10.1.0.0/24" },
            ],
          },
        },
      },
    });
  });

  it("x- extensions are replaced whole", () => {
    expect(merged("x-common: {a: 1, b: 2}\n", "x-common: {c: 3}\n")).toEqual({
      "x-common": { c: 3 },
    });
  });

  it("a value of another kind replaces the earlier one (validation judges it later)", () => {
    expect(
      webOf(merged(web("ulimits: {nofile: {soft: 1, hard: 2}}"), web("ulimits: {nofile: 100}"))),
    ).toEqual({
      ulimits: { nofile: 100 },
    });
  });

  it("does not modify its inputs", () => {
    const a = parseYamlSource(web("environment: [A=1]", "ports: ['80']"), "a.yml");
    const b = parseYamlSource(web("environment: [A=2]", "ports: !reset []"), "b.yml");
    const before = toPlainValue(a);
    mergeStackTrees(a, b);
    expect(toPlainValue(a)).toEqual(before);
  });

  it("merges three files in order", () => {
    expect(
      webOf(merged(web("image: a", "dns: [x]"), web("image: b"), web("image: c", "dns: [y]"))),
    ).toEqual({
      image: "c",
      dns: ["x", "y"],
    });
  });
});

describe("positions after a merge", () => {
  const tree = mergeTexts(
    [
      "services:", // 1
      "  web:", // 2
      "    image: a", // 3
      "    restart: always", // 4
      "    environment: [A=1, B=2]", // 5
      "    ports: ['80:80']", // 6
      "    depends_on: [db]", // 7
    ].join("\n"),
    [
      "services:", // 1
      "  web:", // 2
      "    image: b", // 3
      "    environment:", // 4
      "      B: '3'", // 5
      "    ports:", // 6
      "      - '80:80'", // 7
      "      - '81:81'", // 8
      "    depends_on: {cache: {condition: service_healthy}}", // 9
    ].join("\n"),
  );
  const at = (path: (string | number)[], key = false): string => {
    const p = positionIn(tree, path, key);
    return `${p.file}:${p.line}:${p.col}`;
  };

  it("a replaced scalar points into the later file, key and value", () => {
    expect(at(["services", "web", "image"])).toBe("b.yml:3:12");
    expect(at(["services", "web", "image"], true)).toBe("b.yml:3:5");
  });

  it("an inherited value points into the earlier file", () => {
    expect(at(["services", "web", "restart"])).toBe("a.yml:4:14");
    expect(at(["services", "web", "restart"], true)).toBe("a.yml:4:5");
  });

  it("a merged mapping keeps the earlier file's position", () => {
    expect(at(["services", "web"])).toBe("a.yml:3:5");
    expect(at(["services", "web"], true)).toBe("a.yml:2:3");
  });

  it("entries converted from list form point at their list item", () => {
    expect(at(["services", "web", "environment", "A"])).toBe("a.yml:5:19");
    expect(at(["services", "web", "environment", "A"], true)).toBe("a.yml:5:19");
    expect(at(["services", "web", "environment", "B"])).toBe("b.yml:5:10");
    expect(at(["services", "web", "environment", "B"], true)).toBe("b.yml:5:7");
    expect(at(["services", "web", "depends_on", "db", "condition"])).toBe("a.yml:7:18");
    expect(at(["services", "web", "depends_on", "cache", "condition"])).toBe("b.yml:9:37");
  });

  it("sequence items point at the file that contributed them", () => {
    expect(at(["services", "web", "ports", 0])).toBe("b.yml:7:9");
    expect(at(["services", "web", "ports", 1])).toBe("b.yml:8:9");
    expect(at(["services", "web", "ports", "1"], true)).toBe("b.yml:8:9");
  });

  it("a path past the tree answers with its deepest existing node", () => {
    expect(at(["services", "web", "nope", "deeper"])).toBe("a.yml:3:5");
    expect(at(["services", "web", "ports", 7])).toBe("a.yml:6:12");
  });
});
