#!/usr/bin/env bash
# The project's test command (README "Run the tests", and what CI runs): sets the machine up,
# then lint, typecheck and the whole vitest suite (unit, real-engine and end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# A two-node Docker Swarm in network namespaces for the swarm driver's tests; the default
# engine stays a plain engine. Shut down when the run ends so no dockerd outlives it.
bash scripts/swarm-cluster.sh up >/dev/null
trap 'bash scripts/swarm-cluster.sh down >/dev/null 2>&1 || true; bash scripts/fault-engine.sh down >/dev/null 2>&1 || true; bash scripts/registry.sh down >/dev/null 2>&1 || true; bash scripts/sshd.sh down >/dev/null 2>&1 || true' EXIT
# Two local registries (open and htpasswd) holding the test images, reachable as
# 127.0.0.1:15410/15411 from the default engine and from both swarm nodes.
bash scripts/registry.sh up >/dev/null
# A dedicated engine the fault-injection tests stop and start (never the shared default one).
bash scripts/fault-engine.sh up >/dev/null
# An sshd on 127.0.0.1 in front of the default engine (its own keys, agent, known_hosts and
# ssh config) for the ssh:// tests; they run `sshd.sh up` too (idempotent) to run alone.
bash scripts/sshd.sh up >/dev/null
echo "test: lint"
npm run --silent lint
echo "test: typecheck"
npm run --silent typecheck
echo "test: vitest"
mkdir -p .cache
status=0
npx vitest run --reporter=default --reporter=json --outputFile=.cache/vitest.json "$@" || status=$?
# One plain closing line CI can read whatever the runner prints.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".cache/vitest.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
