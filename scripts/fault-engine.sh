#!/usr/bin/env bash
# A dedicated Docker engine for fault-injection tests, which stop and start dockerd in the
# middle of a deploy: never the default engine (other tests share it). The engine runs in its
# own network namespace with its own data root, exec root, socket and pidfile, started
# detached (setsid, output to a log file) so it never holds a caller's output open.
#
#   scripts/fault-engine.sh up      start it (idempotent), load the test images, print its socket
#   scripts/fault-engine.sh stop    stop dockerd, keeping its data (containers, volumes)
#   scripts/fault-engine.sh kill    SIGKILL dockerd (a crash), keeping its data; containerd's
#                                   shims and tasks stay behind, as after a real crash
#   scripts/fault-engine.sh start   start dockerd again on the same data, print its socket
#   scripts/fault-engine.sh socket  print its DOCKER_HOST value
#   scripts/fault-engine.sh down    stop it and delete its data and namespace (idempotent)
set -euo pipefail
# shellcheck source=lib/dockerd-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dockerd-helpers.sh"

NAME=stack-fault
RUN_DIR=/run/${NAME}
DATA_DIR=/var/lib/${NAME}
LOG=/var/log/${NAME}.log
SOCK="unix://${RUN_DIR}/docker.sock"
PIDFILE="${RUN_DIR}/docker.pid"
IMAGES=(stack-test/busybox:latest stack-test/busybox:v2)
TIMEOUT="${FAULT_ENGINE_TIMEOUT:-60}"

log() { echo "fault-engine: $*" >&2; }
answers() { docker -H "${SOCK}" info >/dev/null 2>&1; }
pid_alive() { [[ -f "${PIDFILE}" ]] && kill -0 "$(cat "${PIDFILE}")" 2>/dev/null; }

wait_until() {
  local what="$1"
  shift
  local deadline=$((SECONDS + TIMEOUT))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${TIMEOUT}s waiting for ${what}"
      tail -n 30 "${LOG}" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

start() {
  [[ -e "/var/run/netns/${NAME}" ]] || ip netns add "${NAME}"
  ip -n "${NAME}" link set lo up
  if answers; then return 0; fi
  if ! pid_alive; then
    mkdir -p "${RUN_DIR}/exec" "${DATA_DIR}"
    rm -f "${RUN_DIR}/docker.sock" "${PIDFILE}"
    log "starting dockerd in namespace ${NAME} (log ${LOG})"
    # nsenter, not `ip netns exec`: the latter remounts /sys and hides the cgroup mounts.
    nsenter --net="/var/run/netns/${NAME}" setsid dockerd \
      --data-root "${DATA_DIR}" \
      --exec-root "${RUN_DIR}/exec" \
      -H "${SOCK}" \
      --pidfile "${PIDFILE}" \
      --cgroup-parent "${NAME}" \
      --bip 10.234.0.1/24 \
      >>"${LOG}" 2>&1 </dev/null &
    disown || true
  fi
  wait_until "dockerd ${NAME}" answers
}

stop() {
  stop_by_pidfile "${PIDFILE}"
}

# A crash: SIGKILL, then wait until dockerd and the containerd it started are gone. dockerd
# starts containerd with a parent-death signal, so containerd dies too, but not at once: a
# `start` while it is still exiting finds it "still running" by its pidfile, waits for a socket
# that never comes and gives up ("timeout waiting for containerd to start"; seen here).
crash() {
  [[ -f "${PIDFILE}" ]] || return 0
  local pid containerd_pid=""
  pid="$(cat "${PIDFILE}")"
  [[ -f "${RUN_DIR}/exec/containerd/containerd.pid" ]] && containerd_pid="$(cat "${RUN_DIR}/exec/containerd/containerd.pid")"
  kill -9 "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "${pid}" 2>/dev/null || { [[ -n "${containerd_pid}" ]] && kill -0 "${containerd_pid}" 2>/dev/null; }; do
    ((SECONDS >= deadline)) && break
    sleep 0.2
  done
  rm -f "${PIDFILE}"
}

images() {
  local missing=()
  for image in "${IMAGES[@]}"; do
    docker -H "${SOCK}" image inspect "${image}" >/dev/null 2>&1 || missing+=("${image}")
  done
  ((${#missing[@]} == 0)) && return 0
  docker save "${missing[@]}" | docker -H "${SOCK}" load >/dev/null
}

case "${1:-}" in
  up) start && images && echo "${SOCK}" ;;
  start) start && echo "${SOCK}" ;;
  stop) stop ;;
  kill) crash ;;
  socket) echo "${SOCK}" ;;
  down)
    stop
    # Containers left running by the stopped engine (containerd shims) go with the data.
    rm -rf "${DATA_DIR}" "${RUN_DIR}" 2>/dev/null || true
    ip netns del "${NAME}" 2>/dev/null || true
    ;;
  *)
    echo "usage: $0 up|start|stop|kill|socket|down" >&2
    exit 2
    ;;
esac
