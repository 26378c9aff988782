// Spec-load benchmark: loadStack (read + interpolate + validate + normalise + semantic
// checks) over generated 1,000-service stack files of two shapes: "typical" services of about
// a dozen lines (the size of the services in public compose files) and "rich" ones of about 40
// lines using every syntax family. Prints the median of 5 timed runs after one warm-up (which
// also compiles the JSON schema), beside the `yaml` package parsing the same text alone in the
// same run, and exits 1 when the typical file is over the 500 ms budget.
//
//   npx tsx bench/spec-load.ts
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LineCounter, parseDocument } from "yaml";
import { loadStack } from "../src/stackfile/load-stack.js";

const SERVICES = 1000;
const RUNS = 5;
const BUDGET_MS = 500;

/** A typical service: image, a port, two variables, a volume, replicas, a memory limit, one dependency. */
function typicalService(i: number): string {
  const lines = [
    `  svc-${i}:`,
    `    image: registry.example.com/team/svc-${i}:\${TAG:-1.0.0}`,
    `    ports: ["${20000 + i}:8080"]`,
    `    environment:`,
    `      SERVICE_NAME: svc-${i}`,
    `      LOG_LEVEL: \${LOG_LEVEL:-info}`,
    `    volumes: ["data-${i % 50}:/var/lib/svc"]`,
    `    networks: [shared]`,
    `    deploy:`,
    `      replicas: ${(i % 4) + 1}`,
    `      resources: { limits: { memory: 128M } }`,
  ];
  if (i > 0) lines.push(`    depends_on: [svc-${i - 1}]`);
  return lines.join("\n");
}

/** A rich service: image, env, labels, ports, volumes, deploy, healthcheck, depends_on earlier ones. */
function richService(i: number): string {
  const deps = [i - 1, i - 7, i - 31].filter((d) => d >= 0);
  const lines = [
    `  svc-${i}:`,
    `    image: \${REGISTRY:-registry.example.com}/team/svc-${i}:\${TAG:-1.${i % 10}.0}`,
    `    command: ["/app/server", "--port", "8080", "--name", "svc-${i}"]`,
    `    environment:`,
    `      SERVICE_NAME: svc-${i}`,
    `      LOG_LEVEL: \${LOG_LEVEL:-info}`,
    `      WORKERS: ${(i % 8) + 1}`,
    `      FEATURE_FLAG: ${i % 2 === 0}`,
    `    labels:`,
    `      - com.example.team=team-${i % 12}`,
    `      - com.example.tier=${i % 3 === 0 ? "front" : "back"}`,
    `    ports:`,
    `      - "127.0.0.1:${20000 + i}:8080"`,
    `      - target: 9090`,
    `        protocol: tcp`,
    `    volumes:`,
    `      - data-${i % 50}:/var/lib/svc`,
    `      - ./config/svc-${i}:/etc/svc:ro`,
    `      - type: tmpfs`,
    `        target: /tmp`,
    `        tmpfs: { size: 64m }`,
    `    networks: [net-${i % 10}, shared]`,
    `    healthcheck:`,
    `      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/health"]`,
    `      interval: 10s`,
    `      timeout: 2s`,
    `      retries: 3`,
    `      start_period: 5s`,
    `    deploy:`,
    `      replicas: ${(i % 4) + 1}`,
    `      resources:`,
    `        limits: { cpus: "0.${(i % 9) + 1}", memory: ${64 + (i % 8) * 32}M }`,
    `        reservations: { memory: 32M }`,
    `      restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3 }`,
    `      update_config: { parallelism: 2, delay: 10s, order: start-first }`,
  ];
  if (deps.length > 0) {
    lines.push(`    depends_on:`);
    for (const d of deps)
      lines.push(
        `      svc-${d}:`,
        `        condition: ${d % 2 === 0 ? "service_healthy" : "service_started"}`,
      );
  }
  return lines.join("\n");
}

function stackFile(service: (i: number) => string): string {
  const out = ["name: bench", "services:"];
  for (let i = 0; i < SERVICES; i++) out.push(service(i));
  out.push("networks:", "  shared:");
  for (let n = 0; n < 10; n++) out.push(`  net-${n}:`);
  out.push("volumes:");
  for (let v = 0; v < 50; v++) out.push(`  data-${v}:`);
  return `${out.join("\n")}\n`;
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median times of loadStack and of yaml's parseDocument alone over one generated file. */
async function measure(text: string): Promise<{ ours: number; yaml: number; kib: number }> {
  const dir = mkdtempSync(join(tmpdir(), "stack-bench-spec-"));
  try {
    const file = join(dir, "stack.yml");
    writeFileSync(file, text);
    const options = { files: [file], envFiles: [], cwd: dir, env: { TAG: "2.0.0" } };
    const warm = await loadStack(options);
    if (Object.keys(warm.spec.services).length !== SERVICES)
      throw new Error("generated stack did not load every service");
    const ours: number[] = [];
    const yaml: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      let start = performance.now();
      await loadStack(options);
      ours.push(performance.now() - start);
      start = performance.now();
      parseDocument(text, { merge: true, lineCounter: new LineCounter() });
      yaml.push(performance.now() - start);
    }
    return { ours: median(ours), yaml: median(yaml), kib: Buffer.byteLength(text) / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let typicalMs = Number.NaN;
  for (const [label, service] of [
    ["typical", typicalService],
    ["rich", richService],
  ] as const) {
    const { ours, yaml, kib } = await measure(stackFile(service));
    if (label === "typical") typicalMs = ours;
    console.log(
      `${SERVICES} ${label} services (${Math.round(kib)} KiB): load+validate+normalise ` +
        `${Math.round(ours)} ms; yaml parse alone ${Math.round(yaml)} ms (median of ${RUNS})`,
    );
  }
  if (!(typicalMs <= BUDGET_MS)) {
    console.error(
      `over budget: ${Math.round(typicalMs)} ms > ${BUDGET_MS} ms for the typical file`,
    );
    process.exitCode = 1;
  }
}

await main();
