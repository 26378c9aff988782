#!/usr/bin/env bash
# The README's main job: set the machine up, deploy the hello example, show it running, and
# fetch its web page. Safe to run again: the second deploy changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
stack() { node dist/cli/main.js "$@"; }

echo "+ stack deploy -c examples/hello/stack.yml hello --wait"
stack deploy -c examples/hello/stack.yml hello --wait
echo "+ stack services hello"
stack services hello
echo "+ stack ps hello"
stack ps hello
port="${HELLO_PORT:-8080}"
echo "+ curl http://127.0.0.1:${port}/"
curl -fsS "http://127.0.0.1:${port}/"
echo
echo "Remove it with: node dist/cli/main.js rm hello"
