/**
 * `extends`, with cases taken from compose-go's loader tests (extends_test.go and its
 * testdata/extends) and the compose specification's extends section.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadIn, loadIssues, projectDir } from "./helpers/project-dir.js";

const BASE = `services:
  base:
    image: busybox
    environment: [A=1, B=2]
    labels: {tier: base}
    ports: ["8000:8000"]
    ulimits: {nproc: 65535}
  another:
    image: busybox
    command: [sleep, "1"]
  with-build:
    build: ./app
    env_file: ./base.env
    volumes: ["./data:/data", "named:/named"]
`;

describe("extends", () => {
  it("takes a service from another file and overrides it by compose's merge rules", async () => {
    const dir = projectDir("ext", {
      "common/base.yml": BASE,
      "common/base.env": "FROM_FILE=1\n",
      "stack.yml": `services:
  test1:
    extends: {file: common/base.yml, service: base}
    hostname: test1
    environment: [B=3, C=4]
    labels: {role: web}
  test2:
    extends:
      file: common/base.yml
      service: another
    command: [sleep, "2"]
  test3:
    extends: {file: common/base.yml, service: with-build}
volumes: {named: {}}
`,
    });
    const { spec } = await loadIn(dir);
    const t1 = spec.services["test1"]!;
    expect(t1.image).toBe("busybox");
    expect(t1.hostname).toBe("test1");
    expect(t1.environment).toEqual({ A: "1", B: "3", C: "4" });
    expect(t1.labels).toEqual({ tier: "base", role: "web" });
    expect(t1.ports.map((p) => p.published)).toEqual([8000]);
    expect(t1.ulimits).toEqual({ nproc: { soft: 65535, hard: 65535 } });
    // command is replaced, not appended.
    expect(spec.services["test2"]!.command).toEqual(["sleep", "2"]);
    // Relative paths stay relative to the file the service came from.
    const t3 = spec.services["test3"]!;
    expect(t3.build?.context).toBe(join(dir, "common/app"));
    expect(t3.environment).toEqual({ FROM_FILE: "1" });
    expect(t3.mounts[0]).toMatchObject({ type: "bind", source: join(dir, "common/data") });
    expect(t3.mounts[1]).toMatchObject({ type: "volume", source: "named" });
    // The base file's services are not part of the stack.
    expect(Object.keys(spec.services).sort()).toEqual(["test1", "test2", "test3"]);
  });

  it("extends a service of the same file, chained through several files", async () => {
    const dir = projectDir("chain", {
      "a/one.yml": "services:\n  one:\n    image: one\n    labels: [one=1]\n",
      "b/two.yml":
        "services:\n  two:\n    extends: {file: ../a/one.yml, service: one}\n    labels: [two=2]\n",
      "stack.yml": `services:
  base:
    extends: {file: b/two.yml, service: two}
    labels: [three=3]
  web:
    extends: base
    user: nobody
`,
    });
    const { spec } = await loadIn(dir);
    expect(spec.services["web"]).toMatchObject({
      image: "one",
      user: "nobody",
      labels: { one: "1", two: "2", three: "3" },
    });
    expect(spec.services["base"]?.labels).toEqual({ one: "1", two: "2", three: "3" });
  });

  it("lets !reset drop an inherited value", async () => {
    const dir = projectDir("reset", {
      "stack.yml": `services:
  base: {image: x, ports: ["80:80"], environment: {A: "1"}}
  web:
    extends: base
    ports: !reset []
    environment: {A: !reset null}
`,
    });
    const { spec } = await loadIn(dir);
    expect(spec.services["web"]?.ports).toEqual([]);
    expect(spec.services["web"]?.environment).toEqual({});
  });

  it("rejects a cycle, a missing service and a missing file, each located", async () => {
    const dir = projectDir("bad", {
      "stack.yml": `services:
  a:
    extends: b
  b:
    extends: {service: a}
  c:
    extends: {service: nope}
  d:
    extends: {file: missing.yml, service: x}
  e:
    image: x
    extends: {file: other.yml, service: gone}
`,
      "other.yml": "services:\n  there: {image: x}\n",
    });
    expect(await loadIssues(dir)).toEqual([
      "stack.yml:5:24 services.b.extends extends cycle: a -> b -> a",
      'stack.yml:7:24 services.c.extends.service cannot extend service "nope": no such service',
      "stack.yml:9:21 services.d.extends.file cannot read missing.yml: no such file",
      'stack.yml:12:41 services.e.extends.service cannot extend service "gone": no such service in other.yml',
    ]);
  });

  it("rejects a cycle across files", async () => {
    const dir = projectDir("cycle", {
      "stack.yml": "services:\n  web:\n    extends: {file: other.yml, service: x}\n",
      "other.yml": "services:\n  x:\n    extends: {file: stack.yml, service: web}\n",
    });
    expect(await loadIssues(dir)).toEqual([
      "other.yml:3:41 services.x.extends extends cycle: web -> x (other.yml) -> web",
    ]);
  });
});
