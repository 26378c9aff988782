#!/usr/bin/env bash
# Fetches the tools bench/compare.ts measures `stack` against, into a private cache, without
# touching the system's apt sources or installing anything system-wide:
#
#   Docker Compose v2 (2.26)  trixie's docker-compose   -> CACHE/compose-v2/docker-compose
#   docker-compose v1 (1.29)  bookworm's docker-compose -> CACHE/compose-v1/docker-compose
#                             (Python; its bookworm Python dependencies extracted beside it)
#   dockerd 26.1              trixie's docker.io        -> CACHE/docker-26.1/usr/sbin/dockerd
#                             (run by scripts/current-engine.sh; containerd, runc and tini
#                             come from the host: docker.io 26.1 accepts bookworm's versions)
#
# Packages come from a private sources list (bookworm + trixie) with its own lists and
# archive directories, are unpacked with `dpkg-deb -x`, and are kept: a second run only checks
# that every tool still starts. Prints the paths as shell variables on stdout.
#
# Usage: scripts/bench-setup.sh            (CACHE is STACK_BENCH_CACHE or /var/cache/stack-bench)
#        scripts/bench-setup.sh docker-26  only dockerd 26.1 (the tests' second engine)
set -euo pipefail

CACHE="${STACK_BENCH_CACHE:-/var/cache/stack-bench}"
APT_DIR="${CACHE}/apt"
DEBS="${CACHE}/debs"
MIRROR="${STACK_BENCH_MIRROR:-http://deb.debian.org/debian}"

# docker-compose 1.29's Python dependencies that bookworm's python3 does not carry by
# default (checked by running it: a missing one fails at import).
COMPOSE_V1_PYTHON=(
  python3-attr python3-certifi python3-chardet python3-charset-normalizer python3-docker
  python3-dockerpty python3-docopt python3-dotenv python3-idna python3-jsonschema
  python3-packaging python3-pyrsistent python3-requests python3-texttable python3-urllib3
  python3-websocket python3-distro python3-yaml python3-six
)

log() { echo "bench-setup: $*" >&2; }

apt_private() {
  local tool="$1"
  shift
  "${tool}" \
    -o "Dir::Etc::sourcelist=${APT_DIR}/sources.list" \
    -o Dir::Etc::sourceparts=- \
    -o "Dir::State::Lists=${APT_DIR}/lists" \
    -o "Dir::Cache=${APT_DIR}/cache" \
    "$@"
}

apt_lists() {
  mkdir -p "${APT_DIR}/lists/partial" "${APT_DIR}/cache/archives/partial" "${DEBS}"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  cat >"${APT_DIR}/sources.list.new" <<EOF
deb [signed-by=${keyring}] ${MIRROR} bookworm main
deb [signed-by=${keyring}] ${MIRROR} trixie main
EOF
  mv "${APT_DIR}/sources.list.new" "${APT_DIR}/sources.list"
  if [[ -n "$(find "${APT_DIR}/lists" -maxdepth 1 -name '*trixie*Packages*' -mmin -1440 2>/dev/null)" ]]; then
    return 0
  fi
  log "updating the private package lists (${APT_DIR})"
  apt_private apt-get -qq update >&2
}

# fetch PKG RELEASE DEST: downloads PKG from RELEASE into DEBS (once) and unpacks it into DEST.
fetch() {
  local pkg="$1" release="$2" dest="$3"
  local deb
  mkdir -p "${DEBS}/${release}"
  deb="$(find "${DEBS}/${release}" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)"
  if [[ -z "${deb}" ]]; then
    log "downloading ${pkg}/${release}"
    (cd "${DEBS}/${release}" && apt_private apt-get -qq -o APT::Sandbox::User=root download "${pkg}/${release}" >&2)
    deb="$(find "${DEBS}/${release}" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)"
  fi
  mkdir -p "${dest}"
  dpkg-deb -x "${deb}" "${dest}"
}

compose_v2() {
  local dest="${CACHE}/compose-v2"
  if [[ ! -x "${dest}/docker-compose" ]]; then
    apt_lists
    fetch docker-compose trixie "${dest}/root"
    ln -sf root/usr/libexec/docker/cli-plugins/docker-compose "${dest}/docker-compose"
  fi
  "${dest}/docker-compose" version >&2
}

compose_v1() {
  local dest="${CACHE}/compose-v1"
  if [[ ! -x "${dest}/docker-compose" ]]; then
    apt_lists
    fetch docker-compose bookworm "${dest}/root"
    for pkg in "${COMPOSE_V1_PYTHON[@]}"; do fetch "${pkg}" bookworm "${dest}/root"; done
    # The packaged entry point runs under the system python3 with the private packages first
    # on the path, so nothing is installed into the system's dist-packages.
    cat >"${dest}/docker-compose" <<EOF
#!/bin/sh
export PYTHONPATH="${dest}/root/usr/lib/python3/dist-packages\${PYTHONPATH:+:\${PYTHONPATH}}"
exec /usr/bin/python3 "${dest}/root/usr/bin/docker-compose" "\$@"
EOF
    chmod +x "${dest}/docker-compose"
  fi
  "${dest}/docker-compose" version >&2
}

docker_26() {
  local dest="${CACHE}/docker-26.1"
  if [[ ! -x "${dest}/usr/sbin/dockerd" ]]; then
    apt_lists
    fetch docker.io trixie "${dest}"
  fi
  "${dest}/usr/sbin/dockerd" --version >&2
}

if [[ "${1:-}" == "docker-26" ]]; then
  docker_26
  echo "DOCKERD_26=${CACHE}/docker-26.1/usr/sbin/dockerd"
  exit 0
fi
compose_v2
compose_v1
docker_26
echo "COMPOSE_V2=${CACHE}/compose-v2/docker-compose"
echo "COMPOSE_V1=${CACHE}/compose-v1/docker-compose"
echo "DOCKERD_26=${CACHE}/docker-26.1/usr/sbin/dockerd"
