#!/usr/bin/env bash
# A current Docker engine (dockerd 26.1 from trixie's docker.io, fetched by
# scripts/bench-setup.sh) beside the default 20.10 one, for benchmarks and engine checks.
# See scripts/bench-engine.sh for how it is isolated.
#
#   scripts/current-engine.sh up      start it (idempotent), load the test images, print its socket
#   scripts/current-engine.sh socket  print its DOCKER_HOST value
#   scripts/current-engine.sh down    stop it and delete its data and namespace (idempotent)
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/bench-engine.sh" current "$@"
