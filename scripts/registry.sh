#!/usr/bin/env bash
# Two local image registries for the pull, push and registry-auth tests: Debian's
# `docker-registry` (distribution 2.8), one open and one behind htpasswd basic auth, each with
# its own config and storage, both holding the test images.
#
#   open  127.0.0.1:15410  (STACK_REGISTRY_OPEN_PORT overrides the port)
#   auth  127.0.0.1:15411  (STACK_REGISTRY_AUTH_PORT); user `stack-test`, a password generated
#                          into /run/stack-registry/auth/password at the first `up`
#
# Both hold stack-test/busybox:latest and :v2 (scripts/build-test-images.sh), e.g.
# 127.0.0.1:15410/stack-test/busybox:latest, re-pushed whenever the local image changed.
#
# The same address works on the default engine and on both nodes of the test swarm
# (scripts/swarm-cluster.sh). The swarm's network namespaces have no route to the host, so a
# forwarder (socat) inside each namespace listens on 127.0.0.1:PORT there and passes each
# connection through a unix socket under /run/stack-registry to the registry on the host's
# loopback. Nothing listens on a non-loopback address, and every dockerd treats 127.0.0.0/8 as
# an insecure (plain HTTP) registry by default, so no engine needs --insecure-registry and an
# image reference means the same image on every node.
#
# Usage: registry.sh up|down|address [open|auth]|info|bridge|unbridge
#   up        idempotent and cheap when already up: installs docker-registry, apache2-utils
#             (htpasswd) and socat when missing, starts both registries, bridges them into the
#             swarm's namespaces when those exist, pushes the test images when missing or stale
#   down      stops everything it started and deletes the registries' storage and run dir
#   address   prints HOST:PORT of the open (default) or auth registry; exit 1 when not up
#   info      prints /run/stack-registry/registry.env (addresses, user, password, DOCKER_CONFIG)
#   bridge    (re)starts the forwarders into the namespaces named by STACK_REGISTRY_NETNS
#             (default: stack-swarm-a stack-swarm-b) that exist; swarm-cluster.sh calls it
#   unbridge  stops those forwarders (before their namespaces are deleted)
#
# Tests read /run/stack-registry/registry.json (same facts as registry.env). Pushes to the auth
# registry log in with a private DOCKER_CONFIG (/run/stack-registry/docker-config), never the
# user's ~/.docker. Every process is started with setsid, stdin from /dev/null and its output in
# /var/log/stack-registry-*.log, so it never holds a caller's stdout open.
set -euo pipefail
# shellcheck source=lib/dockerd-helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dockerd-helpers.sh"

RUN_DIR=/run/stack-registry
DATA_DIR=/var/lib/stack-registry
LOG_PREFIX=/var/log/stack-registry
OPEN_PORT="${STACK_REGISTRY_OPEN_PORT:-15410}"
AUTH_PORT="${STACK_REGISTRY_AUTH_PORT:-15411}"
USERNAME=stack-test
NETNS_LIST="${STACK_REGISTRY_NETNS:-stack-swarm-a stack-swarm-b}"
IMAGES=(stack-test/busybox:latest stack-test/busybox:v2)
TIMEOUT="${STACK_REGISTRY_TIMEOUT:-30}"
DOCKER_CONFIG_DIR="${RUN_DIR}/docker-config"

log() { echo "registry: $*" >&2; }
port_of() { if [[ "$1" == open ]]; then echo "${OPEN_PORT}"; else echo "${AUTH_PORT}"; fi; }
addr_of() { echo "127.0.0.1:$(port_of "$1")"; }

# alive PIDFILE COMMAND: the pid in PIDFILE runs COMMAND (guards against a reused pid).
alive() {
  local pidfile="$1" command="$2" pid
  [[ -f "${pidfile}" ]] || return 1
  pid="$(cat "${pidfile}")"
  kill -0 "${pid}" 2>/dev/null || return 1
  [[ "$(cat "/proc/${pid}/comm" 2>/dev/null)" == "${command}" ]]
}

# detached PIDFILE LOG CMD...: starts CMD in a session of its own, its pid in PIDFILE, its
# output in LOG, stdin from /dev/null and the lock's descriptor closed (a child keeping fd 9
# would hold the lock, and the caller's stdout, forever).
detached() {
  local pidfile="$1" logfile="$2"
  shift 2
  rm -f "${pidfile}"
  setsid sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "${pidfile}" "$@" \
    >>"${logfile}" 2>&1 </dev/null 9>&- &
  disown || true
  local deadline=$((SECONDS + 5))
  until [[ -s "${pidfile}" ]]; do
    if ((SECONDS >= deadline)); then
      log "no pid from $*"
      return 1
    fi
    sleep 0.05
  done
}

ensure_packages() {
  local missing=() tool
  for tool in docker-registry:docker-registry htpasswd:apache2-utils socat:socat curl:curl; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "need ${missing[*]} (Debian packages); install them as root"
    return 1
  fi
  local had_registry=0
  command -v docker-registry >/dev/null 2>&1 && had_registry=1
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
  # The package's own service (all interfaces, port 5000) is not ours to run: stop it when
  # this install started it (a machine without a policy-rc.d starts services on install).
  if ((had_registry == 0)); then
    if [[ -d /run/systemd/system ]]; then
      systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
    elif [[ -f /var/run/docker-registry.pid ]]; then
      /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
    fi
  fi
}

random_token() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }

write_config() {
  local name="$1" dir="${RUN_DIR}/$1"
  mkdir -p "${dir}" "${DATA_DIR}/${name}"
  [[ -s "${dir}/secret" ]] || (umask 077 && random_token >"${dir}/secret")
  {
    cat <<EOF
# Written by scripts/registry.sh; rewritten at every start.
version: 0.1
log:
  level: info
  fields:
    service: stack-registry-${name}
storage:
  filesystem:
    rootdirectory: ${DATA_DIR}/${name}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $(addr_of "${name}")
  secret: $(cat "${dir}/secret")
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    if [[ "${name}" == auth ]]; then
      cat <<EOF
auth:
  htpasswd:
    realm: stack-test-registry
    path: ${dir}/htpasswd
EOF
    fi
  } >"${dir}/config.yml"
  if [[ "${name}" == auth && ! -s "${dir}/htpasswd" ]]; then
    (umask 077 && random_token >"${dir}/password")
    # distribution accepts only bcrypt entries (-B).
    htpasswd -Bbn "${USERNAME}" "$(cat "${dir}/password")" >"${dir}/htpasswd"
    chmod 600 "${dir}/htpasswd"
  fi
}

# http_code NAME: the status of GET /v2/ (200 open, 401 auth without credentials; 000 down).
http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$(addr_of "$1")/v2/" || true; }
answers() {
  local code
  code="$(http_code "$1")"
  [[ "${code}" == 200 || "${code}" == 401 ]]
}

start_registry() {
  local name="$1"
  if alive "${RUN_DIR}/${name}.pid" docker-registry && answers "${name}"; then return 0; fi
  stop_by_pidfile "${RUN_DIR}/${name}.pid"
  if answers "${name}"; then
    log "something else already answers on $(addr_of "${name}"); set STACK_REGISTRY_$(echo "${name}" | tr a-z A-Z)_PORT"
    return 1
  fi
  write_config "${name}"
  log "starting the ${name} registry on $(addr_of "${name}") (log ${LOG_PREFIX}-${name}.log)"
  detached "${RUN_DIR}/${name}.pid" "${LOG_PREFIX}-${name}.log" \
    docker-registry serve "${RUN_DIR}/${name}/config.yml"
  local deadline=$((SECONDS + TIMEOUT))
  until answers "${name}"; do
    if ((SECONDS >= deadline)) || ! alive "${RUN_DIR}/${name}.pid" docker-registry; then
      log "the ${name} registry did not answer; last lines of ${LOG_PREFIX}-${name}.log:"
      tail -n 20 "${LOG_PREFIX}-${name}.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# The host end of the namespace bridge: a unix socket (reachable from every network
# namespace, being a file) forwarded to the registry's loopback port.
start_host_bridge() {
  local name="$1" pidfile="${RUN_DIR}/${name}-bridge.pid"
  alive "${pidfile}" socat && return 0
  detached "${pidfile}" "${LOG_PREFIX}-bridge.log" socat \
    "UNIX-LISTEN:${RUN_DIR}/${name}.sock,fork,unlink-early,mode=600" \
    "TCP:$(addr_of "${name}")"
}

netns_inode() { stat -L -c %i "$1" 2>/dev/null || echo none; }

bridge_into() {
  local ns="$1" name="$2" pidfile="${RUN_DIR}/${name}-ns-$1.pid"
  # A forwarder left in a namespace that was deleted and created again serves nobody.
  if alive "${pidfile}" socat &&
    [[ "$(netns_inode "/proc/$(cat "${pidfile}")/ns/net")" == "$(netns_inode "/var/run/netns/${ns}")" ]]; then
    return 0
  fi
  stop_by_pidfile "${pidfile}"
  nsenter --net="/var/run/netns/${ns}" ip link set lo up
  detached "${pidfile}" "${LOG_PREFIX}-bridge.log" nsenter --net="/var/run/netns/${ns}" socat \
    "TCP-LISTEN:$(port_of "${name}"),bind=127.0.0.1,fork,reuseaddr,backlog=64" \
    "UNIX-CONNECT:${RUN_DIR}/${name}.sock"
  # nsenter execs socat, so the recorded pid is socat's once the exec happened.
  local deadline=$((SECONDS + 5))
  until nsenter --net="/var/run/netns/${ns}" \
    curl -s -o /dev/null -m 2 "http://$(addr_of "${name}")/v2/"; do
    if ((SECONDS >= deadline)); then
      log "the ${name} registry does not answer inside namespace ${ns}"
      return 1
    fi
    sleep 0.1
  done
}

bridge() {
  local ns name
  for ns in ${NETNS_LIST}; do
    for name in open auth; do
      if [[ -e "/var/run/netns/${ns}" ]]; then
        start_host_bridge "${name}"
        bridge_into "${ns}" "${name}"
      else
        # Its namespace was deleted (swarm-cluster.sh down): the forwarder alone keeps it alive.
        stop_by_pidfile "${RUN_DIR}/${name}-ns-${ns}.pid"
      fi
    done
  done
}

unbridge() {
  local ns name
  for ns in ${NETNS_LIST}; do
    for name in open auth; do
      stop_by_pidfile "${RUN_DIR}/${name}-ns-${ns}.pid"
    done
  done
}

unbridge_all() {
  local pidfile
  for pidfile in "${RUN_DIR}"/*-ns-*.pid; do
    [[ -e "${pidfile}" ]] && stop_by_pidfile "${pidfile}"
  done
  return 0
}

# registry_config_digest NAME REPO TAG: the config digest of the manifest the registry holds
# (for an image pushed by dockerd it equals the local image ID); empty when missing.
registry_config_digest() {
  local name="$1" repo="$2" tag="$3" auth=()
  [[ "${name}" == auth ]] && auth=(-u "${USERNAME}:$(cat "${RUN_DIR}/auth/password")")
  # The config object comes first in a schema 2 manifest, so the first digest is the config's.
  curl -s -m 5 "${auth[@]}" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$(addr_of "${name}")/v2/${repo}/manifests/${tag}" |
    grep -o '"digest": *"sha256:[0-9a-f]*"' | head -n 1 | grep -o 'sha256:[0-9a-f]*' || true
}

# What `docker login` would write, without its warning and without touching ~/.docker.
write_docker_config() {
  mkdir -p "${DOCKER_CONFIG_DIR}"
  chmod 700 "${DOCKER_CONFIG_DIR}"
  local auth
  auth="$(printf '%s:%s' "${USERNAME}" "$(cat "${RUN_DIR}/auth/password")" | base64 -w0)"
  (umask 077 && printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$(addr_of auth)" "${auth}" \
    >"${DOCKER_CONFIG_DIR}/config.json")
}

push_images() {
  local name image id remote target
  write_docker_config
  for image in "${IMAGES[@]}"; do
    if ! id="$(docker image inspect --format '{{.Id}}' "${image}" 2>/dev/null)"; then
      log "image ${image} is missing; run scripts/build-test-images.sh first"
      return 1
    fi
    for name in open auth; do
      remote="$(registry_config_digest "${name}" "${image%:*}" "${image##*:}")"
      [[ "${remote}" == "${id}" ]] && continue
      target="$(addr_of "${name}")/${image}"
      log "pushing ${target}"
      docker tag "${image}" "${target}"
      DOCKER_CONFIG="${DOCKER_CONFIG_DIR}" docker push -q "${target}" >/dev/null
      # Untag: the default engine keeps only the local name, so a pull test starts clean.
      docker rmi "${target}" >/dev/null
    done
  done
}

write_info() {
  local password
  password="$(cat "${RUN_DIR}/auth/password")"
  (
    umask 077
    cat >"${RUN_DIR}/registry.env" <<EOF
STACK_REGISTRY_OPEN=$(addr_of open)
STACK_REGISTRY_AUTH=$(addr_of auth)
STACK_REGISTRY_USERNAME=${USERNAME}
STACK_REGISTRY_PASSWORD=${password}
STACK_REGISTRY_DOCKER_CONFIG=${DOCKER_CONFIG_DIR}
EOF
    cat >"${RUN_DIR}/registry.json" <<EOF
{
  "open": "$(addr_of open)",
  "auth": "$(addr_of auth)",
  "username": "${USERNAME}",
  "password": "${password}",
  "dockerConfig": "${DOCKER_CONFIG_DIR}",
  "images": ["stack-test/busybox:latest", "stack-test/busybox:v2"]
}
EOF
  )
}

up() {
  ensure_packages
  mkdir -p "${RUN_DIR}"
  chmod 700 "${RUN_DIR}"
  exec 9>"${RUN_DIR}/.lock"
  flock 9
  start_registry open
  start_registry auth
  bridge
  push_images
  write_info
}

down() {
  if [[ -d "${RUN_DIR}" ]]; then
    unbridge_all
    local name
    for name in open auth; do
      stop_by_pidfile "${RUN_DIR}/${name}-bridge.pid"
      stop_by_pidfile "${RUN_DIR}/${name}.pid"
    done
    rm -rf "${RUN_DIR}"
  fi
  rm -rf "${DATA_DIR}"
  log "down"
}

address() {
  local name="${1:-open}"
  if [[ "${name}" != open && "${name}" != auth ]]; then
    echo "usage: $0 address [open|auth]" >&2
    return 2
  fi
  if ! alive "${RUN_DIR}/${name}.pid" docker-registry || ! answers "${name}"; then
    log "the ${name} registry is not up (run $0 up)"
    return 1
  fi
  addr_of "${name}"
}

locked() {
  mkdir -p "${RUN_DIR}"
  exec 9>"${RUN_DIR}/.lock"
  flock 9
  "$@"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  address) address "${2:-open}" ;;
  info)
    address open >/dev/null && address auth >/dev/null
    cat "${RUN_DIR}/registry.env"
    ;;
  bridge)
    # Only when the registries run: the swarm script calls this unconditionally.
    if alive "${RUN_DIR}/open.pid" docker-registry; then locked bridge; fi
    ;;
  unbridge) if [[ -d "${RUN_DIR}" ]]; then locked unbridge; fi ;;
  *)
    echo "usage: $0 up|down|address [open|auth]|info|bridge|unbridge" >&2
    exit 2
    ;;
esac
