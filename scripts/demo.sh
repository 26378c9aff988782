#!/usr/bin/env bash
# The README's main job: set the machine up, deploy the get-started lab (five Flask replicas
# behind the HAProxy ingress, a Redis visit counter) built offline on the local Debian image,
# show it, and fetch its page five times. Safe to run again: the second deploy changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
stack() { node dist/cli/main.js "$@"; }

port="${DEMO_PORT:-8000}"
export WEB_BASE_IMAGE=stack-example/debian-base:bookworm
export REDIS_IMAGE=stack-example/debian-base:bookworm
export STACK_INGRESS_IMAGE=stack-test/haproxy:latest
export WEB_PORT="127.0.0.1:${port}"

echo "+ stack deploy -c examples/getstartedlab/stack.yml getstartedlab --wait"
stack deploy -c examples/getstartedlab/stack.yml getstartedlab --wait
echo "+ stack services getstartedlab"
stack services getstartedlab
echo "+ stack ps getstartedlab --no-watch"
stack ps getstartedlab --no-watch
for _ in 1 2 3 4 5; do
  echo "+ curl http://127.0.0.1:${port}/"
  curl -fsS "http://127.0.0.1:${port}/"
  echo
done
echo "Remove it with: node dist/cli/main.js rm getstartedlab (the visit count's volume stays)"
