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
# Tools the tests drive: tmux (the live UI in a real terminal), ip (test hosts in network
# namespaces), curl (the demo). Debian machines usually have them; install what is missing.
missing=()
for tool in tmux:tmux ip:iproute2 curl:curl; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" || { apt-get update -q && apt-get install -y -q "${missing[@]}"; }
fi
bash scripts/ensure-docker.sh
bash scripts/build-test-images.sh
bash scripts/build-example-images.sh
echo "setup: building the CLI"
npm run --silent build
