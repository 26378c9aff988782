#!/usr/bin/env bash
# Prepares a fresh machine for stack: npm dependencies, a running Docker engine (Debian's
# docker.io when none answers), the locally built test images, and the compiled CLI.
# Idempotent: every step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/ensure-docker.sh
bash scripts/build-test-images.sh
bash scripts/build-example-images.sh
echo "setup: building the CLI"
npm run --silent build
