/**
 * `stack config` prints compose's form. Expected shapes follow `docker compose config` output
 * in docker/compose's end-to-end fixtures and compose-go's loader tests (full-example.yml and
 * its expected project): long-syntax ports with string `published`, volumes with `volume: {}`
 * / `bind: {create_host_path: true}`, networks by key with null, Go-style durations, byte
 * sizes as strings.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { composeForm, formatConfig, goDuration } from "../../../src/stackfile/compose-form.js";
import { loadIn, projectDir } from "./helpers/project-dir.js";

describe("goDuration", () => {
  it.each([
    [0, "0s"],
    [500, "500ms"],
    [1500, "1.5s"],
    [30_000, "30s"],
    [90_000, "1m30s"],
    [3_600_000, "1h0m0s"],
    [3_723_000, "1h2m3s"],
  ])("%d ms -> %s", (ms, text) => expect(goDuration(ms)).toBe(text));
});

describe("composeForm", () => {
  it("prints a stack in compose's field names and shapes", async () => {
    const dir = projectDir("demo", {
      "stack.yml": `name: Demo
services:
  web:
    image: nginx
    command: nginx -g 'daemon off;'
    restart: unless-stopped
    ports: ["127.0.0.1:8080:80", "6005-6006:81/udp"]
    volumes: ["./html:/usr/share/nginx/html:ro", "data:/data"]
    mem_limit: 64m
    cpus: 0.5
    stop_grace_period: 90s
    healthcheck: {test: curl -f http://localhost, interval: 30s}
    depends_on: {db: {condition: service_healthy}}
    extra_hosts: ["a=1.2.3.4"]
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}
  db:
    image: postgres
volumes:
  data: {}
`,
    });
    const { spec } = await loadIn(dir);
    expect(composeForm(spec)).toEqual({
      name: "demo",
      services: {
        db: { image: "postgres", networks: { default: null } },
        web: {
          command: ["nginx", "-g", "daemon off;"],
          depends_on: { db: { condition: "service_healthy", required: true } },
          deploy: { resources: { limits: { cpus: 0.5, memory: "67108864" } } },
          extra_hosts: ["a=1.2.3.4"],
          healthcheck: { interval: "30s", test: ["CMD-SHELL", "curl -f http://localhost"] },
          image: "nginx",
          networks: { default: null },
          ports: [
            {
              mode: "ingress",
              host_ip: "127.0.0.1",
              target: 80,
              published: "8080",
              protocol: "tcp",
            },
            { mode: "ingress", target: 81, published: "6005-6006", protocol: "udp" },
          ],
          restart: "unless-stopped",
          stop_grace_period: "1m30s",
          ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 65535 },
          volumes: [
            {
              type: "bind",
              source: `${dir}/html`,
              target: "/usr/share/nginx/html",
              read_only: true,
              bind: { create_host_path: true },
            },
            { type: "volume", source: "data", target: "/data", volume: {} },
          ],
        },
      },
      networks: { default: { name: "demo_default" } },
      volumes: { data: { name: "demo_data" } },
    });
  });

  it("prints YAML or JSON of the same document, and the internal model only when asked", async () => {
    const { spec } = await loadIn(
      projectDir("fmt", { "stack.yml": "services: {web: {image: x}}\n" }),
    );
    expect(parse(formatConfig(spec, { format: "yaml" }))).toEqual(composeForm(spec));
    expect(JSON.parse(formatConfig(spec, { format: "json" }))).toEqual(composeForm(spec));
    expect(JSON.parse(formatConfig(spec, { format: "json", model: true }))).toMatchObject({
      name: "fmt",
      services: { web: { image: "x", ignoredKeys: [] } },
    });
  });
});

describe("formatConfig key order", () => {
  // compose-go's golden config output (loader/testdata/golden) prints profiles first, hooks
  // last, healthcheck and build fields in its struct order, and secret modes in octal.
  it("follows docker compose config's order, so a text diff lines up", async () => {
    const dir = projectDir("golden", {
      "stack.yml": `services:
  web:
    profiles: [frontend]
    image: example/web
    build: {context: ./web, dockerfile: Dockerfile.prod, target: runtime, args: {TAG: "1"}}
    healthcheck: {test: [CMD, curl, -f, http://localhost], interval: 30s, timeout: 5s, retries: 3}
    secrets: [{source: pw, target: /run/secrets/pw, mode: 0400}]
    post_start: [{command: ./warm.sh, user: root}]
secrets:
  pw: {file: ./pw.txt}
`,
    });
    const { spec } = await loadIn(dir, { profiles: ["frontend"] });
    expect(formatConfig(spec, { format: "yaml" })).toBe(`name: golden
services:
  web:
    profiles:
      - frontend
    build:
      context: ${dir}/web
      dockerfile: Dockerfile.prod
      args:
        TAG: "1"
      target: runtime
    healthcheck:
      test:
        - CMD
        - curl
        - -f
        - http://localhost
      timeout: 5s
      interval: 30s
      retries: 3
    image: example/web
    networks:
      default: null
    secrets:
      - source: pw
        target: /run/secrets/pw
        mode: "0400"
    post_start:
      - command:
          - ./warm.sh
        user: root
networks:
  default:
    name: golden_default
secrets:
  pw:
    name: golden_pw
    file: ${dir}/pw.txt
`);
  });
});
