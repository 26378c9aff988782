// Spec-load benchmark: loadStack (read + interpolate + validate + normalise + semantic
// checks) over a generated 1,000-service stack file. Prints the median of 5 timed runs after
// one warm-up (which also compiles the JSON schema) and exits 1 when it is over the budget.
//
//   npx tsx bench/spec-load.ts
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadStack } from "../src/spec/load-stack.js";

const SERVICES = 1000;
const RUNS = 5;
const BUDGET_MS = 500;

/** A realistic service: image, env, ports, volumes, deploy, healthcheck, depends_on earlier ones. */
function service(i: number): string {
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

function stackFile(): string {
  const out = ["name: bench", "services:"];
  for (let i = 0; i < SERVICES; i++) out.push(service(i));
  out.push("networks:", "  shared:");
  for (let n = 0; n < 10; n++) out.push(`  net-${n}:`);
  out.push("volumes:");
  for (let v = 0; v < 50; v++) out.push(`  data-${v}:`);
  return `${out.join("\n")}\n`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "stack-bench-spec-"));
  try {
    const file = join(dir, "stack.yml");
    writeFileSync(file, stackFile());
    const options = { files: [file], envFiles: [], cwd: dir, env: { TAG: "2.0.0" } };
    const warm = await loadStack(options);
    if (Object.keys(warm.spec.services).length !== SERVICES)
      throw new Error("generated stack did not load every service");
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      await loadStack(options);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(RUNS / 2)] ?? Number.NaN;
    console.log(
      `load+validate+normalise ${SERVICES} services: ${Math.round(median)} ms (median of ${RUNS})`,
    );
    if (!(median <= BUDGET_MS)) {
      console.error(`over budget: ${Math.round(median)} ms > ${BUDGET_MS} ms`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
