#!/usr/bin/env bash
# The project's test command (README "Run the tests", and what CI runs): sets the machine up,
# then lint, typecheck and the whole vitest suite (unit, real-engine and end-to-end tests),
# then the Podman project (vitest.podman.config.ts: the core scenarios against Podman) and
# the dockerd 26.1 project (vitest.engine26.config.ts: a smoke set against a current engine).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# A two-node Docker Swarm in network namespaces for the swarm driver's tests; the default
# engine stays a plain engine. Shut down when the run ends so no dockerd outlives it.
bash scripts/swarm-cluster.sh up >/dev/null
podman_up=""
engine26_up=""
cleanup() {
  bash scripts/swarm-cluster.sh down >/dev/null 2>&1 || true
  bash scripts/fault-engine.sh down >/dev/null 2>&1 || true
  bash scripts/registry.sh down >/dev/null 2>&1 || true
  bash scripts/sshd.sh down >/dev/null 2>&1 || true
  # A Podman start still running (the run ended early) finishes first, then all goes.
  if [[ -n "${podman_up}" ]]; then wait "${podman_up}" 2>/dev/null || true; fi
  bash scripts/podman-engine.sh down >/dev/null 2>&1 || true
  if [[ -n "${engine26_up}" ]]; then wait "${engine26_up}" 2>/dev/null || true; fi
  bash scripts/current-engine.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT
# Two local registries (open and htpasswd) holding the test images, reachable as
# 127.0.0.1:15410/15411 from the default engine and from both swarm nodes.
bash scripts/registry.sh up >/dev/null
# A dedicated engine the fault-injection tests stop and start (never the shared default one).
bash scripts/fault-engine.sh up >/dev/null
# An sshd on 127.0.0.1 in front of the default engine (its own keys, agent, known_hosts and
# ssh config) for the ssh:// tests; they run `sshd.sh up` too (idempotent) to run alone.
bash scripts/sshd.sh up >/dev/null
# The Podman engine (installing Debian's podman on first use, copying the test images in)
# starts in the background while lint and typecheck run; its output goes to a file, and the
# service it starts is detached (setsid), so nothing holds this script's output open.
mkdir -p .cache
bash scripts/podman-engine.sh up >.cache/podman-up.log 2>&1 &
podman_up=$!
# dockerd 26.1 (fetched once into /var/cache/stack-bench) with the busybox test images, the
# same way; the project's global setup checks it again.
(bash scripts/bench-setup.sh docker-26 >/dev/null &&
  STACK_BENCH_IMAGES="stack-test/busybox:latest stack-test/busybox:v2" \
    bash scripts/current-engine.sh up) >.cache/engine26-up.log 2>&1 &
engine26_up=$!
echo "test: lint"
npm run --silent lint
echo "test: typecheck"
npm run --silent typecheck
echo "test: vitest"
status=0
rm -f .cache/vitest.json .cache/vitest-podman.json .cache/vitest-engine26.json
npx vitest run --reporter=default --reporter=json --outputFile=.cache/vitest.json "$@" || status=$?
echo "test: vitest (Podman)"
if ! wait "${podman_up}"; then
  echo "test: scripts/podman-engine.sh up failed:" >&2
  cat .cache/podman-up.log >&2
fi
# Its global setup fails the run (CI=true) when the engine is not up.
npx vitest run --config vitest.podman.config.ts --passWithNoTests --reporter=default \
  --reporter=json --outputFile=.cache/vitest-podman.json "$@" || status=$?
echo "test: vitest (dockerd 26.1)"
if ! wait "${engine26_up}"; then
  echo "test: dockerd 26.1 start failed:" >&2
  cat .cache/engine26-up.log >&2
fi
npx vitest run --config vitest.engine26.config.ts --passWithNoTests --reporter=default \
  --reporter=json --outputFile=.cache/vitest-engine26.json "$@" || status=$?
# One plain closing line CI can read whatever the runner prints.
node -e '
  const fs = require("fs");
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const f of [".cache/vitest.json", ".cache/vitest-podman.json", ".cache/vitest-engine26.json"]) {
    if (!fs.existsSync(f)) continue;
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    t.passed += r.numPassedTests;
    t.failed += r.numFailedTests;
    t.skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
' || true
exit "$status"
