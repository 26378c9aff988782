/**
 * The items of the "compose accepts / compose rejects / wrong values" lists: each case is a
 * file compose accepts (it loads here, with the value compose gives it) or rejects (a
 * located error here). Cases come from compose-go's loader tests and testdata, docker/compose's
 * end-to-end fixtures and the compose specification's examples.
 */
import { describe, expect, it } from "vitest";
import { loadIn, loadIssues, projectDir } from "./helpers/project-dir.js";

const svc = (body: string, extra = "") =>
  `services:\n  web:\n    image: x\n${body
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => `    ${l}`)
    .join("\n")}\n${extra}`;

async function loads(
  text: string,
  env: Record<string, string> = {},
  files: Record<string, string> = {},
) {
  return loadIn(projectDir("ok", { "stack.yml": text, ...files }), { env });
}

describe("files compose accepts load", () => {
  it.each([
    ["name: with capitals", "name: My-App\nservices: {web: {image: x}}\n"],
    ["name: interpolated to empty", "name: ${NOPE:-}\nservices: {web: {image: x}}\n"],
    ["pre_start hooks", svc("pre_start:\n  - command: [echo, hi]")],
    ["a $ followed by no name", svc("command: echo a $ b")],
    [
      "$(date) in dockerfile_inline",
      "services:\n  web:\n    build:\n      dockerfile_inline: |\n        FROM x\n        RUN echo $(date)\n",
    ],
    [
      "provider services",
      "services:\n  db:\n    provider: {type: awesomecloud, options: {type: mysql}}\n  web:\n    image: x\n    depends_on: [db]\n",
    ],
    [
      "develop.watch initial_sync",
      svc(
        "develop:\n  watch:\n    - {path: ./src, action: sync, target: /src, initial_sync: true}",
      ),
    ],
    [
      "build provenance, sbom, no_cache_filter",
      "services:\n  web:\n    build: {context: ., provenance: true, sbom: true, no_cache_filter: [base]}\n",
    ],
    [
      "volume type image and npipe",
      svc(
        "volumes:\n  - {type: image, source: alpine, target: /a}\n  - {type: npipe, source: '\\\\.\\pipe\\x', target: '\\\\.\\pipe\\x'}",
      ),
    ],
    ["port protocol quic", svc("ports:\n  - {target: 443, published: 443, protocol: quic}")],
    ["deploy.mode replicated-job", svc("deploy: {mode: replicated-job, replicas: 2}")],
    ["a published range to one target", svc("ports: ['6005-6015:80']")],
    ["YAML 1.1 init: yes", svc("init: yes")],
    ["models: {llm: } (null)", svc("models: {llm: }", "models:\n  llm: {model: ai/smollm2}\n")],
  ])("%s", async (_name, text) => {
    await expect(loads(text)).resolves.toBeDefined();
  });
});

describe("files compose rejects are located errors", () => {
  it.each([
    [
      "external network with driver",
      "services: {}\nnetworks:\n  n: {external: true, driver: overlay}\n",
      "stack.yml:3:23 networks.n.driver network is external: driver cannot be set",
    ],
    [
      "external volume with driver_opts",
      "services: {}\nvolumes:\n  v:\n    external: true\n    driver_opts: {a: b}\n",
      "stack.yml:5:5 volumes.v.driver_opts volume is external: driver_opts cannot be set",
    ],
    [
      "external volume with labels",
      "services: {}\nvolumes:\n  v:\n    external: true\n    labels: [a=b]\n",
      "stack.yml:5:5 volumes.v.labels volume is external: labels cannot be set",
    ],
    [
      "external.name with name",
      "services: {}\nvolumes:\n  v:\n    name: a\n    external: {name: b}\n",
      "stack.yml:5:16 volumes.v.external.name external.name and name cannot be used together",
    ],
    [
      "device reservation without capabilities",
      svc("deploy:\n  resources:\n    reservations:\n      devices: [{driver: nvidia, count: 1}]"),
      'is missing required key "capabilities"',
    ],
    [
      "device reservation with count and device_ids",
      svc(
        "deploy:\n  resources:\n    reservations:\n      devices: [{capabilities: [gpu], count: 1, device_ids: ['0']}]",
      ),
      "count and device_ids cannot be used together",
    ],
    ["non-string keys", svc("environment:\n  1: FOO"), "mapping keys must be strings"],
    [
      "scale conflicting with deploy.replicas",
      svc("scale: 2\ndeploy: {replicas: 3}"),
      "scale (2) and deploy.replicas (3) disagree",
    ],
    [
      "a variable name with a trailing space",
      svc("environment:\n  - DEBUG = true"),
      'invalid environment variable name "DEBUG "',
    ],
  ])("%s", async (_name, text, message) => {
    const issues = await loadIssues(projectDir("bad", { "stack.yml": text }));
    expect(issues.join("\n")).toContain(message);
  });
});

describe("values compose gives", () => {
  it("reads label_file, with labels: winning", async () => {
    const { spec } = await loads(
      svc("label_file: [./a.labels]\nlabels: {b: mine}"),
      {},
      {
        "a.labels": "a=1\nb=2\n",
      },
    );
    expect(spec.services["web"]?.labels).toEqual({ a: "1", b: "mine" });
  });

  it("expands ~ in top-level secret and config files", async () => {
    const { spec } = await loads(
      "services: {web: {image: x}}\nsecrets:\n  s: {file: ~/s.txt}\nconfigs:\n  c: {file: ~/c.txt}\n",
      { HOME: "/home/someone" },
    );
    expect(spec.secrets["s"]?.file).toBe("/home/someone/s.txt");
    expect(spec.configs["c"]?.file).toBe("/home/someone/c.txt");
  });

  it("keeps dockerfile_inline", async () => {
    const { spec } = await loads(
      "services:\n  web:\n    build:\n      dockerfile_inline: |\n        FROM x\n        RUN echo $(date)\n",
    );
    expect(spec.services["web"]?.build?.dockerfileInline).toBe("FROM x\nRUN echo $(date)\n");
  });

  it("keeps restart: always and unless-stopped apart, and restart: beside deploy.restart_policy", async () => {
    const { spec } = await loads(`services:
  a: {image: x, restart: always}
  b: {image: x, restart: unless-stopped}
  c: {image: x, restart: always, deploy: {restart_policy: {condition: on-failure}}}
`);
    expect(spec.services["a"]?.deploy.restartPolicy).toEqual({ condition: "any" });
    expect(spec.services["b"]?.deploy.restartPolicy).toEqual({
      condition: "any",
      unlessStopped: true,
    });
    expect(spec.services["c"]?.restart).toBe("always");
    expect(spec.services["c"]?.deploy.restartPolicy).toEqual({ condition: "on-failure" });
  });

  it("sets ${COMPOSE_PROJECT_NAME}", async () => {
    const { spec } = await loads(`name: proj\n${svc("hostname: ${COMPOSE_PROJECT_NAME}-web")}`);
    expect(spec.services["web"]?.hostname).toBe("proj-web");
  });

  it("reads env_file format: raw literally", async () => {
    const { spec } = await loads(
      svc("env_file:\n  - {path: ./raw.env, format: raw}"),
      {},
      {
        "raw.env": `A="quoted"\nB=$HOME\nC='x' # not a comment\n`,
      },
    );
    expect(spec.services["web"]?.environment).toEqual({
      A: '"quoted"',
      B: "$HOME",
      C: "'x' # not a comment",
    });
  });

  it("splits extra_hosts myhost=1.2.3.4,5.6.7.8 into one entry per address", async () => {
    const { spec } = await loads(svc("extra_hosts: ['myhost=1.2.3.4,5.6.7.8']"));
    expect(spec.services["web"]?.extraHosts).toEqual(["myhost:1.2.3.4", "myhost:5.6.7.8"]);
    const map = await loads(svc("extra_hosts: {other: '::1,10.0.0.1'}"));
    expect(map.spec.services["web"]?.extraHosts).toEqual(["other:::1", "other:10.0.0.1"]);
  });

  it("leaves provider services out, and a dependency on one is only a warning", async () => {
    const { spec, warnings } = await loads(
      "services:\n  db:\n    provider: {type: awesomecloud}\n  web:\n    image: x\n    depends_on: [db]\n",
    );
    expect(Object.keys(spec.services)).toEqual(["web"]);
    expect(warnings.map((w) => w.message).join("\n")).toContain(
      "stack cannot run provider services",
    );
  });

  it("loads the engine settings it used to ignore", async () => {
    const { spec } = await loads(
      svc(`devices: ["/dev/null:/dev/mynull:r", {source: /dev/zero, target: /dev/z}]
security_opt: [no-new-privileges:true]
cgroup_parent: stack.slice
device_cgroup_rules: ["c 1:3 mr"]
dns_search: [example.com]
dns_opt: [ndots:2]
domainname: example.com
ipc: shareable
uts: host
mac_address: 02:42:ac:11:00:02
storage_opt: {size: 1G}
annotations: {com.example.a: "1"}
gpus: all
post_start:
  - {command: echo started, user: root}
pre_stop:
  - command: [echo, stopping]
    environment: [A=1]`),
    );
    expect(spec.services["web"]).toMatchObject({
      devices: [
        { source: "/dev/null", target: "/dev/mynull", permissions: "r" },
        { source: "/dev/zero", target: "/dev/z", permissions: "rwm" },
      ],
      securityOpt: ["no-new-privileges:true"],
      cgroupParent: "stack.slice",
      deviceCgroupRules: ["c 1:3 mr"],
      dnsSearch: ["example.com"],
      dnsOptions: ["ndots:2"],
      domainname: "example.com",
      ipc: "shareable",
      uts: "host",
      macAddress: "02:42:ac:11:00:02",
      storageOpt: { size: "1G" },
      annotations: { "com.example.a": "1" },
      gpus: [{ capabilities: ["gpu"], count: -1 }],
      postStart: [{ command: ["echo", "started"], user: "root", environment: {} }],
      preStop: [{ command: ["echo", "stopping"], environment: { A: "1" } }],
      ignoredKeys: [],
    });
  });

  it("loads a pre_start hook's image; post_start and pre_stop hooks have none", async () => {
    const { spec } = await loads(
      svc("pre_start:\n  - {image: tools:1, command: sh -c 'echo hi', working_dir: /w}"),
    );
    expect(spec.services["web"]?.preStart).toEqual([
      { command: ["sh", "-c", "echo hi"], image: "tools:1", workingDir: "/w", environment: {} },
    ]);
    const issues = await loadIssues(
      projectDir("bad", { "stack.yml": svc("post_start:\n  - {image: tools:1, command: hi}") }),
    );
    expect(issues.join("\n")).toMatch(/image/);
  });
});
