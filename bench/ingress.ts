/**
 * Ingress benchmark (issue: load-balanced published ports): requests per second through the
 * stack's ingress to the five replicas of examples/getstartedlab, beside the same load sent
 * straight to one replica of the same app published on its own port, in the same run.
 * Each request opens a new connection (the ingress balances connections); 8 at once, 5 s
 * per target, loopback only. Builds offline on the images of scripts/build-example-images.sh.
 *
 * Run: npx tsx bench/ingress.ts
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { deployStack } from "../src/api/deploy.js";
import { removeStack } from "../src/api/remove.js";
import { connectDriver } from "../src/drivers/connect-driver.js";
import { nullSink } from "../src/progress/events.js";

const STACK = "bench-ingress";
const INGRESS_PORT = 18480;
const DIRECT_PORT = 18481;
const CONCURRENCY = 8;
const SECONDS = 5;

const env = {
  ...process.env,
  WEB_PORT: `127.0.0.1:${INGRESS_PORT}`,
  WEB_IMAGE: "stack-bench/friendlyhello:latest",
  WEB_BASE_IMAGE: process.env.WEB_BASE_IMAGE ?? "stack-example/debian-base:bookworm",
  REDIS_IMAGE: process.env.REDIS_IMAGE ?? "stack-example/debian-base:bookworm",
  STACK_INGRESS_IMAGE: process.env.STACK_INGRESS_IMAGE ?? "stack-test/haproxy:latest",
};

// One more replica of the same app, alone on its own published port: the direct reference.
const override = join(mkdtempSync(join(tmpdir(), "bench-ingress-")), "direct.yml");
writeFileSync(
  override,
  [
    "services:",
    "  direct:",
    "    image: stack-bench/friendlyhello:latest",
    "    environment:",
    "      REDIS_HOST: redis",
    "    deploy:",
    "      resources:",
    "        limits:",
    '          cpus: "0.1"',
    "          memory: 50M",
    "    ports:",
    `      - "127.0.0.1:${DIRECT_PORT}:80"`,
    "    networks:",
    "      - webnet",
    "    depends_on:",
    "      - web",
    "",
  ].join("\n"),
);

function get(port: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/", agent: false, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode === 200));
        res.on("error", () => done(false));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => done(false));
    req.end();
  });
}

async function load(port: number): Promise<{ rps: number; ok: number; failed: number }> {
  const deadline = Date.now() + SECONDS * 1000;
  let ok = 0;
  let failed = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        if (await get(port)) ok += 1;
        else failed += 1;
      }
    }),
  );
  return { rps: ok / ((Date.now() - started) / 1000), ok, failed };
}

const driver = connectDriver(process.env);
try {
  const deployed = await deployStack({
    files: [resolve("examples/getstartedlab/stack.yml"), override],
    envFiles: [],
    cwd: process.cwd(),
    env,
    stack: STACK,
    driver: () => driver,
    sink: nullSink,
    wait: true,
  });
  if (!deployed.ok) throw new Error("deploy failed");
  await load(INGRESS_PORT); // warm-up: every replica has served
  await load(DIRECT_PORT);
  const ingress = await load(INGRESS_PORT);
  const direct = await load(DIRECT_PORT);
  console.log(
    `ingress (5 replicas, 0.1 CPU each): ${ingress.rps.toFixed(1)} req/s (${ingress.failed} failed)`,
  );
  console.log(
    `direct  (1 replica,  0.1 CPU):      ${direct.rps.toFixed(1)} req/s (${direct.failed} failed)`,
  );
  console.log(`ratio ingress/direct: ${(ingress.rps / direct.rps).toFixed(2)}`);
} finally {
  await removeStack({ driver, stack: STACK, volumes: true, sink: nullSink });
}
