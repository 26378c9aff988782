#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine; idempotent.
#
# - `docker info` answers: nothing to do.
# - Otherwise (root on Debian only): installs Debian's docker.io when dockerd is missing, starts
#   dockerd detached with its output in /var/log/dockerd.log, and polls `docker info` for up to
#   60 s. dockerd must not inherit this script's stdout/stderr: a background process holding
#   them open keeps CI (and any `$(...)` caller) waiting forever.
set -euo pipefail

DEADLINE_SECONDS="${ENSURE_DOCKER_TIMEOUT:-60}"
LOG_FILE="${DOCKERD_LOG:-/var/log/dockerd.log}"

engine_answers() {
  docker info >/dev/null 2>&1
}

if command -v docker >/dev/null 2>&1 && engine_answers; then
  echo "ensure-docker: engine already answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown))"
  exit 0
fi

if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != unix:///var/run/docker.sock ]]; then
  echo "ensure-docker: DOCKER_HOST=${DOCKER_HOST} does not answer; start that engine yourself or unset DOCKER_HOST" >&2
  exit 1
fi

if [[ "$(id -u)" != "0" ]]; then
  echo "ensure-docker: no Docker engine answers and this is not root: start dockerd (or ask an admin) and re-run" >&2
  exit 1
fi
if [[ ! -f /etc/debian_version ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-docker: no Docker engine answers and this is not Debian: install and start Docker by hand" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  echo "ensure-docker: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q docker.io
fi

# A dockerd may already be starting (e.g. a concurrent run of this script): do not start a
# second one on the same socket; just wait for it.
# -xf: only a dockerd with no arguments is the default engine; the test swarm runs others.
if ! pgrep -xf dockerd >/dev/null 2>&1; then
  echo "ensure-docker: starting dockerd (log: ${LOG_FILE})"
  mkdir -p "$(dirname "${LOG_FILE}")"
  setsid dockerd >"${LOG_FILE}" 2>&1 </dev/null &
  disown || true
fi

deadline=$((SECONDS + DEADLINE_SECONDS))
until engine_answers; do
  if ((SECONDS >= deadline)); then
    echo "ensure-docker: dockerd did not answer within ${DEADLINE_SECONDS}s; last lines of ${LOG_FILE}:" >&2
    tail -n 30 "${LOG_FILE}" >&2 || true
    exit 1
  fi
  sleep 1
done
echo "ensure-docker: engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown))"
