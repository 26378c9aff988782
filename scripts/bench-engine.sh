#!/usr/bin/env bash
# Private Docker engines for benchmarks and engine experiments, side by side with the machine's
# default engine (/var/run/docker.sock), which other tests share and which is never stopped,
# reconfigured or switched into swarm mode. Each engine has its own network namespace, data
# root, exec root (so its own containerd), socket, pidfile and cgroup parent, and is started
# detached (setsid, output to a log file) so it never holds a caller's output open.
#
#   KIND            dockerd                                    swarm   namespace / socket
#   current         26.1 (trixie's docker.io, bench-setup.sh)  no      stack-bench-current
#   legacy          20.10 (/usr/sbin/dockerd, the host's)      no      stack-bench-legacy
#   swarm-current   26.1                                       single  stack-bench-swarm-current
#   swarm-legacy    20.10                                      single  stack-bench-swarm-legacy
#   repro-current   26.1                                       no      stack-bench-repro-current
#   repro-legacy    20.10                                      no      stack-bench-repro-legacy
#   repro-legacy-N  20.10 (N = 2..4: more of them side by side) no     stack-bench-repro-legacy-N
#
# (the repro-* engines are for bench/deadlock-repro.ts, which wedges and discards them, so a
# benchmark on current/legacy can run at the same time)
#
# The socket is unix:///run/stack-bench-KIND/docker.sock. A swarm engine gets a veth
# interface with an address of its own to advertise (swarm refuses loopback), and becomes a
# single-node swarm manager. The test images are copied from the default engine with
# `docker save | docker -H ... load`.
#
# Usage: scripts/bench-engine.sh KIND up|down|socket|dump
#   up      start it (idempotent), load the test images, print its DOCKER_HOST value
#   down    stop it, delete its data and namespace (idempotent; the log stays)
#   socket  print its DOCKER_HOST value
#   dump    SIGUSR1: dockerd writes its goroutine stacks to a file in its exec root;
#           prints that file's path
set -euo pipefail
# shellcheck source=lib/dockerd-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dockerd-helpers.sh"

KIND="${1:-}"
ACTION="${2:-}"
CACHE="${STACK_BENCH_CACHE:-/var/cache/stack-bench}"
IMAGES=(${STACK_BENCH_IMAGES:-stack-test/busybox:latest stack-test/busybox:v2})
TIMEOUT="${STACK_BENCH_ENGINE_TIMEOUT:-60}"

case "${KIND}" in
  current) OCTET=241 ;;
  legacy) OCTET=242 ;;
  swarm-current) OCTET=243 ;;
  swarm-legacy) OCTET=244 ;;
  repro-current) OCTET=245 ;;
  repro-legacy) OCTET=246 ;;
  # More reproducer engines run side by side to try more rounds in the same time.
  repro-legacy-[2-4]) OCTET=$((245 + ${KIND##*-})) ;;
  *)
    echo "usage: $0 current|legacy|swarm-current|swarm-legacy|repro-current|repro-legacy up|down|socket|dump" >&2
    exit 2
    ;;
esac
NAME="stack-bench-${KIND}"
RUN_DIR="/run/${NAME}"
DATA_DIR="/var/lib/${NAME}"
LOG="/var/log/${NAME}.log"
SOCK="unix://${RUN_DIR}/docker.sock"
PIDFILE="${RUN_DIR}/docker.pid"
# Addresses no other engine of this repo uses (fault engine 10.234, test swarm 10.231-232).
BIP="10.${OCTET}.0.1/24"
POOL="10.${OCTET}.128.0/17"
SWARM_ADDR="10.${OCTET}.1.1"

if [[ "${KIND}" == *current ]]; then
  DOCKERD="${CACHE}/docker-26.1/usr/sbin/dockerd"
  # Its own docker-proxy first on PATH; containerd, runc and docker-init come from the host.
  ENGINE_PATH="${CACHE}/docker-26.1/usr/sbin:${PATH}"
else
  DOCKERD=/usr/sbin/dockerd
  ENGINE_PATH="${PATH}"
fi

log() { echo "bench-engine ${KIND}: $*" >&2; }
dk() { docker -H "${SOCK}" "$@"; }
# Bounded: a wedged engine (the reproducers make them) must not hang the script.
answers() { timeout 10 docker -H "${SOCK}" info >/dev/null 2>&1; }
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

netns() {
  [[ -e "/var/run/netns/${NAME}" ]] || ip netns add "${NAME}"
  ip -n "${NAME}" link set lo up
  if [[ "${KIND}" == swarm-* ]] && ! ip -n "${NAME}" link show swarm0 >/dev/null 2>&1; then
    # A veth pair with both ends inside the namespace (this kernel has no dummy driver):
    # an address that reaches nothing outside, only there to be advertised.
    ip -n "${NAME}" link add swarm0 type veth peer name swarm1
    ip -n "${NAME}" addr add "${SWARM_ADDR}/24" dev swarm0
    ip -n "${NAME}" link set swarm0 up
    ip -n "${NAME}" link set swarm1 up
  fi
}

start() {
  if [[ ! -x "${DOCKERD}" ]]; then
    log "${DOCKERD} is missing: run scripts/bench-setup.sh first"
    return 1
  fi
  netns
  if answers; then return 0; fi
  if ! pid_alive; then
    mkdir -p "${RUN_DIR}/exec" "${DATA_DIR}"
    rm -f "${RUN_DIR}/docker.sock" "${PIDFILE}"
    log "starting $("${DOCKERD}" --version) in namespace ${NAME} (log ${LOG})"
    # nsenter, not `ip netns exec`: the latter remounts /sys and hides the cgroup mounts.
    # STACK_BENCH_STRESS=1 (reproducers only): dockerd and everything it starts on one CPU
    # with eight Go threads, so the kernel preempts goroutines inside their critical
    # sections and lock-order races that need an unlucky interleaving show up sooner.
    local pin=()
    if [[ "${STACK_BENCH_STRESS:-0}" == 1 ]]; then pin=(taskset -c 0 env GOMAXPROCS=8); fi
    # STACK_BENCH_DOCKERD_ENV: extra VAR=VALUE words for dockerd's environment (experiments,
    # e.g. GOGC=off while a debugger holds one of its threads).
    local extra=()
    read -r -a extra <<<"${STACK_BENCH_DOCKERD_ENV:-}"
    nsenter --net="/var/run/netns/${NAME}" setsid "${pin[@]}" env PATH="${ENGINE_PATH}" "${extra[@]}" "${DOCKERD}" \
      --data-root "${DATA_DIR}" \
      --exec-root "${RUN_DIR}/exec" \
      -H "${SOCK}" \
      --pidfile "${PIDFILE}" \
      --cgroup-parent "${NAME}" \
      --bip "${BIP}" \
      --default-address-pool "base=${POOL},size=24" \
      >>"${LOG}" 2>&1 </dev/null &
    disown || true
  fi
  wait_until "dockerd ${NAME}" answers
}

images() {
  local missing=()
  for image in "${IMAGES[@]}"; do
    dk image inspect "${image}" >/dev/null 2>&1 || missing+=("${image}")
  done
  ((${#missing[@]} == 0)) && return 0
  log "loading ${missing[*]} from the default engine"
  docker save "${missing[@]}" | dk load >/dev/null
}

swarm() {
  [[ "${KIND}" == swarm-* ]] || return 0
  [[ "$(dk info --format '{{.Swarm.LocalNodeState}}')" == active ]] && return 0
  log "initialising a single-node swarm on ${SWARM_ADDR}"
  dk swarm init --advertise-addr "${SWARM_ADDR}" --listen-addr "${SWARM_ADDR}:2377" \
    --default-addr-pool "10.${OCTET}.64.0/18" >/dev/null
}

unmount_under() {
  local m
  { grep -o " $1/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "${m}" 2>/dev/null || true; done
}

# kill_ours: ends what a stopped (or hung) engine of ours leaves behind, found by ids it owns
# and nothing broader: its containerd (pidfile in our exec root), the shims serving that
# containerd's socket, and container processes in our cgroup parent.
kill_ours() {
  local sock="${RUN_DIR}/exec/containerd/containerd.sock" pid
  if [[ -f "${RUN_DIR}/exec/containerd/containerd.pid" ]]; then
    kill "$(cat "${RUN_DIR}/exec/containerd/containerd.pid")" 2>/dev/null || true
  fi
  for pid in /proc/[0-9]*; do
    pid="${pid#/proc/}"
    if { tr '\0' '\n' <"/proc/${pid}/cmdline"; } 2>/dev/null | grep -qxF "${sock}"; then
      kill -9 "${pid}" 2>/dev/null || true
    fi
  done
  local procs
  for procs in /sys/fs/cgroup/*/"${NAME}"/*/cgroup.procs; do
    [[ -f "${procs}" ]] || continue
    while read -r pid; do kill -9 "${pid}" 2>/dev/null || true; done <"${procs}"
  done
}

down() {
  # Containers removed while the engine still answers leave no shims or mounts behind.
  if answers; then
    [[ "${KIND}" == swarm-* ]] && timeout 60 docker -H "${SOCK}" swarm leave --force >/dev/null 2>&1
    timeout 60 docker -H "${SOCK}" ps -aq | xargs -r timeout 120 docker -H "${SOCK}" rm -f >/dev/null 2>&1 || true
  fi
  stop_by_pidfile "${PIDFILE}"
  kill_ours
  unmount_under "${DATA_DIR}"
  unmount_under "${RUN_DIR}"
  rm -rf "${DATA_DIR}" "${RUN_DIR}" 2>/dev/null || true
  ip netns del "${NAME}" 2>/dev/null || true
  local dir
  for dir in /sys/fs/cgroup/*/"${NAME}"; do
    [[ -d "${dir}" ]] && find "${dir}" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

dump() {
  pid_alive || {
    log "not running"
    return 1
  }
  local before
  before="$(date +%s)"
  kill -USR1 "$(cat "${PIDFILE}")"
  # dockerd names the file goroutine-stacks-TIMESTAMP.log and logs its path.
  local deadline=$((SECONDS + 10)) file=""
  until [[ -n "${file}" ]] || ((SECONDS >= deadline)); do
    sleep 0.3
    file="$(find "${RUN_DIR}/exec" "${DATA_DIR}" -maxdepth 1 -name 'goroutine-stacks-*' -newermt "@${before}" 2>/dev/null | head -n 1)"
  done
  [[ -n "${file}" ]] || file="$(grep -o 'goroutine stacks written to [^"]*' "${LOG}" | tail -n 1 | sed 's/.* to //')"
  echo "${file}"
}

case "${ACTION}" in
  up) start && images && swarm && echo "${SOCK}" ;;
  down) down ;;
  socket) echo "${SOCK}" ;;
  dump) dump ;;
  *)
    echo "usage: $0 ${KIND} up|down|socket|dump" >&2
    exit 2
    ;;
esac
