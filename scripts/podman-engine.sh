#!/usr/bin/env bash
# A rootful Podman engine serving the Docker Engine API on a socket of its own, for running
# `stack` and its real-engine tests against Podman. It never touches the machine's dockerd:
# its configuration comes through CONTAINERS_CONF / CONTAINERS_STORAGE_CONF (copies of
# scripts/podman/*.conf, so /etc/containers is neither read nor changed), its storage is
# /var/lib/stack-podman, its run state /run/stack-podman, and its networks use subnets no
# Docker engine of the test setup uses.
#
#   scripts/podman-engine.sh up      install Debian's podman, netavark and aardvark-dns when
#                                    missing, start the API service and the healthcheck runner
#                                    (idempotent: cheap when already up), copy the test images
#                                    in, print the DOCKER_HOST value on stdout
#   scripts/podman-engine.sh socket  print the DOCKER_HOST value
#   scripts/podman-engine.sh down    remove every container, network and volume of this
#                                    engine, stop it and delete its data (idempotent; the
#                                    installed packages stay)
#
# Host facts this handles (Debian bookworm, podman 4.3.1, no systemd):
# - runc fails every start with "error setting rlimit type 7/6" under podman's default
#   ulimits: containers.conf sets default_ulimits below the machine's hard limits.
# - Podman runs healthchecks from systemd timers only; without systemd nothing runs them and a
#   container never turns healthy. A runner started with the engine calls `podman healthcheck
#   run` for every running container that has a healthcheck, at that container's interval
#   (checked every 0.5 s, so an interval is kept to within about a second).
# - `podman load` of a `docker save` archive names the images `localhost/NAME:TAG`. The
#   Docker-compatible API resolves a short name such as `stack-test/busybox:latest` to
#   `localhost/stack-test/busybox:latest` (checked with create, inspect and build FROM), so no
#   extra tag is needed (images built through the API are named `docker.io/NAME:TAG`).
# - `init: true` needs catatonit (/usr/libexec/podman/catatonit), a separate package.
# - Published ports, DNS and firewall: netavark adds its own iptables chains (NETAVARK_*)
#   next to Docker's and matches only its own bridges (podmanN) and subnets (10.88.0.0/16,
#   10.89.0.0/16), so the Docker engines' networking is untouched. aardvark-dns answers on each
#   network's gateway address, not on 127.0.0.11; a container's /etc/resolv.conf names it.
#   netavark 1.4 leaves stale chains and isolation rules behind when the last network goes:
#   `down` removes them once no Podman bridge is left. Rootful netavark keeps its run state in
#   /run/containers/networks whatever the configuration says.
#
# The service and the runner are started with setsid and their output sent to
# /var/log/stack-podman*.log, so they never hold a caller's stdout open (CI would wait forever).
#
# Only rootful Podman is set up here. Rootless would need: the packages uidmap, slirp4netns
# (and fuse-overlayfs on kernels before 5.13); /etc/subuid and /etc/subgid ranges for the
# user; the socket at $XDG_RUNTIME_DIR/podman/podman.sock (DOCKER_HOST=unix://...); images
# loaded as that user (its own storage in ~/.local/share/containers); a lowered
# net.ipv4.ip_unprivileged_port_start to publish ports below 1024 (published ports then go
# through the rootlessport proxy); and cgroup v2 with systemd delegation for resource
# limits: on this machine's cgroup v1, rootless Podman ignores cpus/memory/pids limits.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
CONF_SRC="$(dirname "${SELF}")/podman"
NAME=stack-podman
RUN_DIR=/run/${NAME}
DATA_DIR=/var/lib/${NAME}
LOG=/var/log/${NAME}.log
HC_LOG=/var/log/${NAME}-healthchecks.log
SOCK_PATH=${RUN_DIR}/podman.sock
SOCK="unix://${SOCK_PATH}"
PIDFILE=${RUN_DIR}/service.pid
HC_PIDFILE=${RUN_DIR}/healthchecks.pid
# catatonit: the init Podman runs for `init: true` (/usr/libexec/podman/catatonit); without it
# such a create fails with "container-init binary not found on the host".
PACKAGES=(podman netavark aardvark-dns catatonit)
IMAGES=(
  stack-test/busybox:latest
  stack-test/busybox:v2
  stack-test/haproxy:latest
  stack-example/debian-base:bookworm
  # The microblog example's images; built on the base image, so they add one layer each.
  stack-example/mariadb:bookworm
  stack-test/es-standin:latest
)
# The images come from the machine's default Docker engine, whatever DOCKER_HOST says (a
# caller may already point DOCKER_HOST at this Podman).
IMAGES_FROM="${PODMAN_ENGINE_IMAGES_FROM:-unix:///var/run/docker.sock}"
TIMEOUT="${PODMAN_ENGINE_TIMEOUT:-60}"

export CONTAINERS_CONF=${RUN_DIR}/containers.conf
export CONTAINERS_STORAGE_CONF=${RUN_DIR}/storage.conf

log() { echo "podman-engine: $*" >&2; }
answers() { curl -sf --max-time 2 --unix-socket "${SOCK_PATH}" http://podman/_ping >/dev/null 2>&1; }
# A killed process stays a zombie until PID 1 reaps it, which can take a while here; kill -0
# still succeeds on it, so its state is checked too.
alive() { kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }
pid_alive() { [[ -f "$1" ]] && alive "$(cat "$1")"; }

# Stops the process whose pid file $1 names: SIGTERM, SIGKILL after 30 s; removes the file.
stop_pidfile() {
  [[ -f "$1" ]] || return 0
  local pid deadline=$((SECONDS + 30))
  pid="$(cat "$1")"
  if alive "${pid}"; then
    kill "${pid}" 2>/dev/null || true
    while alive "${pid}"; do
      if ((SECONDS >= deadline)); then
        kill -9 "${pid}" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  fi
  rm -f "$1"
}

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
    sleep 0.2
  done
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "${p}" 2>/dev/null)" == *"ok installed" ]] || missing+=("${p}")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "need ${missing[*]} (Debian packages); install them as root"
    return 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Recommends (buildah, slirp4netns, uidmap, fuse-overlayfs...) serve rootless use only.
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
}

# The configuration the engine runs with lives in its run directory, so a running engine does
# not depend on the checkout it was started from.
configure() {
  mkdir -p "${RUN_DIR}" "${DATA_DIR}"
  install -m 0644 "${CONF_SRC}/containers.conf" "${CONTAINERS_CONF}"
  install -m 0644 "${CONF_SRC}/storage.conf" "${CONTAINERS_STORAGE_CONF}"
}

start_service() {
  if answers; then
    if ! cmp -s "${CONF_SRC}/containers.conf" "${CONTAINERS_CONF}" ||
      ! cmp -s "${CONF_SRC}/storage.conf" "${CONTAINERS_STORAGE_CONF}"; then
      log "warning: scripts/podman/*.conf changed since the engine started; run down, then up"
    fi
    return 0
  fi
  if ! pid_alive "${PIDFILE}"; then
    configure
    rm -f "${SOCK_PATH}"
    log "starting podman system service on ${SOCK} (log ${LOG})"
    # --time=0: never exit for inactivity. Not a process-group leader here, so setsid execs
    # podman itself and $! is its pid.
    setsid podman system service --time=0 "${SOCK}" >>"${LOG}" 2>&1 </dev/null &
    echo $! >"${PIDFILE}"
    disown || true
    # A runner left from a service that died watches the old pid: start a new one.
    stop_healthchecks
  fi
  wait_until "podman system service" answers
}

start_healthchecks() {
  pid_alive "${HC_PIDFILE}" && return 0
  setsid bash "${SELF}" healthchecks >>"${HC_LOG}" 2>&1 </dev/null &
  echo $! >"${HC_PIDFILE}"
  disown || true
}

# Runs `podman healthcheck run` for each running container with a healthcheck every interval
# of its own (30 s when unset, as on Docker): the first check one interval after the runner
# first sees the container (within a second of its start), the next one an interval after
# that check started, never two at once for one container. Ends when the service stops.
healthcheck_loop() {
  declare -A interval=() due=() running=()
  while pid_alive "${PIDFILE}"; do
    local ids now id
    # Filters on the same key are ORed: every running container that has a healthcheck.
    ids="$(podman ps -q --no-trunc --filter health=starting --filter health=healthy \
      --filter health=unhealthy 2>/dev/null)" || ids=""
    now="$(date +%s%3N)"
    declare -A keep=()
    for id in ${ids}; do
      keep[${id}]=1
      if [[ -z "${interval[${id}]:-}" ]]; then
        interval[${id}]="$(podman inspect -f '{{.Config.Healthcheck.Interval.Milliseconds}}' \
          "${id}" 2>/dev/null)" || continue
        [[ "${interval[${id}]}" =~ ^[1-9][0-9]*$ ]] || interval[${id}]=30000
        due[${id}]=$((now + interval[${id}]))
      fi
      ((now >= due[${id}])) || continue
      if [[ -n "${running[${id}]:-}" ]] && alive "${running[${id}]}"; then continue; fi
      podman healthcheck run "${id}" >/dev/null 2>&1 &
      running[${id}]=$!
      due[${id}]=$((now + interval[${id}]))
    done
    # Forget containers that stopped or went away.
    for id in "${!interval[@]}"; do
      [[ -n "${keep[${id}]:-}" ]] || unset "interval[${id}]" "due[${id}]" "running[${id}]"
    done
    unset keep
    sleep 0.5
  done
}

stop_healthchecks() {
  [[ -f "${HC_PIDFILE}" ]] || return 0
  local pid
  pid="$(cat "${HC_PIDFILE}")"
  # The runner leads its own process group (setsid): end it with the checks it started.
  kill -TERM -- "-${pid}" 2>/dev/null || true
  rm -f "${HC_PIDFILE}"
}

# Copies each test image that Podman lacks, or holds in another version, from the Docker
# engine. `podman load` keeps the image ID (the config digest), so equal IDs mean equal images.
images() {
  local want have missing=()
  if ! want="$(docker -H "${IMAGES_FROM}" image inspect -f '{{.Id}}' "${IMAGES[@]}")"; then
    log "test images missing on ${IMAGES_FROM}: run scripts/build-test-images.sh and scripts/build-example-images.sh"
    return 1
  fi
  local i=0
  while read -r id; do
    have="$(podman image inspect -f '{{.Id}}' "localhost/${IMAGES[i]}" 2>/dev/null || true)"
    [[ "sha256:${have}" == "${id}" ]] || missing+=("${IMAGES[i]}")
    i=$((i + 1))
  done <<<"${want}"
  ((${#missing[@]} == 0)) && return 0
  log "copying ${missing[*]} from ${IMAGES_FROM}"
  docker -H "${IMAGES_FROM}" save "${missing[@]}" | podman load -q >/dev/null
}

up() {
  install_packages
  start_service
  start_healthchecks
  images
  echo "${SOCK}"
}

# Unmounts whatever is still mounted below $1 (container root filesystems, /dev/shm), deepest
# first, so the rm -rf that follows can never reach through a mount.
unmount_below() {
  findmnt -rn -o TARGET | { grep -E "^$1(/|$)" || true; } | sort -r | while read -r target; do
    umount -l "${target}" 2>/dev/null || true
  done
}

# netavark 1.4 leaves its chains, and isolation rules naming bridges it has deleted, after
# the last network is gone, and its run state in /run/containers/networks. Both are shared by
# every rootful Podman on the machine, so they are removed only when no Podman bridge
# (podmanN) is left at all; Docker's chains and rules are never touched (only NETAVARK* ones).
remove_netavark_rules() {
  local links
  links="$(ip -o link show 2>/dev/null || true)"
  if grep -qE '^[0-9]+: podman[0-9]+[:@]' <<<"${links}"; then
    log "a Podman bridge is still up: netavark's firewall rules stay"
    return 0
  fi
  local cmd table rule chain
  # Its run state (IP allocations, aardvark-dns configs) goes too when no aardvark-dns is left.
  if ! pgrep -x aardvark-dns >/dev/null 2>&1; then
    rm -rf /run/containers/networks
    rmdir /run/containers 2>/dev/null || true
  fi
  for cmd in iptables ip6tables; do
    command -v "${cmd}" >/dev/null 2>&1 || continue
    for table in filter nat; do
      # Jumps from the built-in chains first, then the (flushed) chains themselves.
      "${cmd}" -t "${table}" -S 2>/dev/null | { grep -E '^-A [A-Z]+ .*-j NETAVARK' || true; } |
        while read -r rule; do
          eval "${cmd} -t ${table} -D ${rule#-A }" || true
        done
      for chain in $("${cmd}" -t "${table}" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^NETAVARK/ {print $2}'); do
        "${cmd}" -t "${table}" -F "${chain}" || true
      done
      for chain in $("${cmd}" -t "${table}" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^NETAVARK/ {print $2}'); do
        "${cmd}" -t "${table}" -X "${chain}" || true
      done
    done
  done
}

down() {
  stop_healthchecks
  if [[ -f "${CONTAINERS_CONF}" ]] && command -v podman >/dev/null 2>&1; then
    # Through podman, so netavark takes its firewall rules, bridges and aardvark-dns away.
    podman rm -af -t 0 >/dev/null 2>&1 || true
    podman pod rm -af >/dev/null 2>&1 || true
    podman network prune -f >/dev/null 2>&1 || true
    podman volume rm -af >/dev/null 2>&1 || true
  fi
  stop_pidfile "${PIDFILE}"
  # No `podman system reset`: with nothing running its storage is plain files, and deleting
  # them directly is about three times faster (reset took 48 s here under load).
  remove_netavark_rules
  unmount_below "${DATA_DIR}"
  unmount_below "${RUN_DIR}"
  rm -rf --one-file-system "${DATA_DIR}" "${RUN_DIR}"
}

case "${1:-}" in
  up) up ;;
  socket) echo "${SOCK}" ;;
  down) down ;;
  healthchecks) healthcheck_loop ;;
  *)
    echo "usage: $0 up|socket|down" >&2
    exit 2
    ;;
esac
