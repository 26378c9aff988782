#!/usr/bin/env bash
# A two-node Docker Swarm for the swarm driver's tests, built from two extra dockerd instances
# in network namespaces of their own, so the machine's default engine
# (/var/run/docker.sock) never becomes a swarm node and its flags and bridge stay untouched.
#
#   stack-swarm-a  manager  10.231.0.1/24  unix:///run/stack-swarm/a.sock
#   stack-swarm-b  worker   10.231.0.2/24  unix:///run/stack-swarm/b.sock
#
# The two namespaces are joined by one veth pair and reach nothing else: no route to the host
# or outside exists, and each engine is driven through its unix socket. Overlay networks use
# the pool 10.232.0.0/16 so they never overlap the veth subnet.
#
# Usage: swarm-cluster.sh up|down|status|stop-worker|start-worker
#   up            idempotent; starts what is missing, loads the test images, prints the
#                 manager's address (unix:///run/stack-swarm/a.sock) on stdout
#   down          stops both engines, deletes the namespaces and the engines' data
#   status        prints the manager's address and `docker node ls`; exit 1 when not up
#   stop-worker   kills the worker's dockerd (its node goes down; tasks get rescheduled)
#   start-worker  starts it again and waits until its node is ready
#
# Engine output goes to /var/log/stack-swarm-{a,b}.log; dockerd is started with setsid and
# its own output file so it never holds this script's stdout open (CI would wait forever).
# Images: stack-test/busybox:latest and :v2 are copied from the default engine
# (scripts/build-test-images.sh builds them) with `docker save | docker load`.
# Registry: when scripts/registry.sh runs, 127.0.0.1:15410 (open) and :15411 (auth) answer
# inside both namespaces too (forwarded to the host's registries), so both nodes pull
# 127.0.0.1:PORT/... images without --insecure-registry.
set -euo pipefail
# shellcheck source=lib/dockerd-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dockerd-helpers.sh"

RUN_DIR=/run/stack-swarm
DATA_DIR=/var/lib/stack-swarm
SUBNET_PREFIX=10.231.0
ADDR_POOL=10.232.0.0/16
IMAGES=(stack-test/busybox:latest stack-test/busybox:v2)
TIMEOUT="${SWARM_CLUSTER_TIMEOUT:-60}"

ns_of() { echo "stack-swarm-$1"; }
sock_of() { echo "unix://${RUN_DIR}/$1.sock"; }
addr_of() { if [[ "$1" == a ]]; then echo "${SUBNET_PREFIX}.1"; else echo "${SUBNET_PREFIX}.2"; fi; }
dk() {
  local node="$1"
  shift
  docker -H "$(sock_of "${node}")" "$@"
}
log() { echo "swarm-cluster: $*" >&2; }

answers() { dk "$1" info >/dev/null 2>&1; }

wait_for() {
  local what="$1"
  shift
  local deadline=$((SECONDS + TIMEOUT))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${TIMEOUT}s waiting for ${what}"
      return 1
    fi
    sleep 0.5
  done
}

ensure_netns() {
  local a b
  a="$(ns_of a)"
  b="$(ns_of b)"
  for ns in "${a}" "${b}"; do
    [[ -e "/var/run/netns/${ns}" ]] || ip netns add "${ns}"
    ip -n "${ns}" link set lo up
  done
  if ! ip -n "${a}" link show veth-ssa >/dev/null 2>&1; then
    # Created on the host side and moved at once: neither end stays in the host namespace.
    ip link del veth-ssa >/dev/null 2>&1 || true
    ip link add veth-ssa type veth peer name veth-ssb
    ip link set veth-ssa netns "${a}"
    ip link set veth-ssb netns "${b}"
    ip -n "${a}" addr add "$(addr_of a)/24" dev veth-ssa
    ip -n "${b}" addr add "$(addr_of b)/24" dev veth-ssb
  fi
  ip -n "${a}" link set veth-ssa up
  ip -n "${b}" link set veth-ssb up
}

pid_alive() {
  local pidfile="${RUN_DIR}/$1.pid"
  [[ -f "${pidfile}" ]] && kill -0 "$(cat "${pidfile}")" 2>/dev/null
}

start_engine() {
  local node="$1"
  if answers "${node}"; then return 0; fi
  if ! pid_alive "${node}"; then
    mkdir -p "${RUN_DIR}/${node}" "${DATA_DIR}/${node}"
    rm -f "${RUN_DIR}/${node}.sock" "${RUN_DIR}/${node}.pid"
    log "starting dockerd ${node} in namespace $(ns_of "${node}") (log /var/log/stack-swarm-${node}.log)"
    # nsenter, not `ip netns exec`: the latter remounts /sys and hides the cgroup mounts.
    # A UTS namespace of its own gives each node its own hostname (the swarm's node name).
    nsenter --net="/var/run/netns/$(ns_of "${node}")" setsid unshare --uts sh -c \
      'hostname "$1" && shift && exec "$@"' sh "$(ns_of "${node}")" dockerd \
      --data-root "${DATA_DIR}/${node}" \
      --exec-root "${RUN_DIR}/${node}" \
      -H "$(sock_of "${node}")" \
      --pidfile "${RUN_DIR}/${node}.pid" \
      --cgroup-parent "$(ns_of "${node}")" \
      >"/var/log/stack-swarm-${node}.log" 2>&1 </dev/null &
    disown || true
  fi
  wait_for "dockerd ${node}" answers "${node}" || {
    tail -n 30 "/var/log/stack-swarm-${node}.log" >&2 || true
    return 1
  }
}

stop_engine() {
  local node="$1"
  stop_by_pidfile "${RUN_DIR}/${node}.pid"
}

swarm_state() { dk "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown; }

ensure_images() {
  local node="$1" missing=()
  for image in "${IMAGES[@]}"; do
    if ! dk "${node}" image inspect "${image}" >/dev/null 2>&1; then missing+=("${image}"); fi
  done
  ((${#missing[@]} == 0)) && return 0
  for image in "${missing[@]}"; do
    if ! docker image inspect "${image}" >/dev/null 2>&1; then
      log "image ${image} is missing on the default engine; run scripts/build-test-images.sh first"
      return 1
    fi
  done
  docker save "${missing[@]}" | dk "${node}" load >/dev/null
}

ensure_swarm() {
  if [[ "$(swarm_state a)" != active ]]; then
    log "initialising the swarm on a ($(addr_of a))"
    dk a swarm init --advertise-addr "$(addr_of a)" --listen-addr "$(addr_of a):2377" \
      --default-addr-pool "${ADDR_POOL}" --dispatcher-heartbeat 2s >/dev/null
  fi
  if [[ "$(swarm_state b)" != active ]]; then
    local token
    token="$(dk a swarm join-token -q worker)"
    # A worker whose swarm was left behind by a `down` of only the manager must leave first.
    dk b swarm leave --force >/dev/null 2>&1 || true
    log "joining b ($(addr_of b)) as a worker"
    dk b swarm join --token "${token}" --advertise-addr "$(addr_of b)" "$(addr_of a):2377" >/dev/null
  fi
  wait_for "both nodes ready" nodes_ready 2
}

nodes_ready() {
  local want="$1" n
  n="$(dk a node ls --format '{{.Status}}' 2>/dev/null | grep -c '^Ready$' || true)"
  [[ "${n}" -ge "${want}" ]]
}

worker_ready() {
  dk a node ls --format '{{.Hostname}} {{.ManagerStatus}} {{.Status}}' 2>/dev/null |
    awk '$2=="Ready" && NF==2' | grep -q .
}

up() {
  ensure_netns
  start_engine a
  start_engine b
  ensure_images a
  ensure_images b
  ensure_swarm
  # When the test registries run (scripts/registry.sh), make 127.0.0.1:PORT reach them from
  # both nodes too; a no-op otherwise.
  bash "$(dirname "${BASH_SOURCE[0]}")/registry.sh" bridge >/dev/null ||
    log "could not bridge the test registries into the namespaces"
  sock_of a
}

unmount_under() {
  local m
  { grep -o " $1/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "${m}" 2>/dev/null || true; done
}

down() {
  stop_engine b
  stop_engine a
  # The registry forwarders inside the namespaces would keep them alive after `ip netns del`.
  bash "$(dirname "${BASH_SOURCE[0]}")/registry.sh" unbridge >/dev/null 2>&1 || true
  for ns in "$(ns_of a)" "$(ns_of b)"; do
    [[ -e "/var/run/netns/${ns}" ]] && ip netns del "${ns}"
  done
  # Containers' overlay mounts live under the data roots; unmount leftovers before deleting.
  if [[ -d "${DATA_DIR}" ]]; then
    unmount_under "${DATA_DIR}"
    rm -rf "${DATA_DIR}"
  fi
  unmount_under "${RUN_DIR}"
  rm -rf "${RUN_DIR}"
  log "down"
}

status() {
  if ! answers a || [[ "$(swarm_state a)" != active ]]; then
    log "not up"
    return 1
  fi
  sock_of a
  dk a node ls >&2
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop-worker) stop_engine b ;;
  start-worker)
    ensure_netns
    start_engine b
    wait_for "worker ready" worker_ready
    ;;
  *)
    echo "usage: $0 up|down|status|stop-worker|start-worker" >&2
    exit 2
    ;;
esac
