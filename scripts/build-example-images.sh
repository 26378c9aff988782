#!/usr/bin/env bash
# Builds the local images the examples and their offline tests use; no registry is needed (none
# is reachable on the machines this is built on). Idempotent and cached: an image that already
# exists is kept unless --force is given, or unless it was built from other sources: each image
# built from a folder of test/ carries a label with a hash of that folder (names, modes,
# contents) and of the base image's ID, and is rebuilt when the hash no longer matches this
# checkout. So a changed Dockerfile, entrypoint or stand-in reaches machines (and CI caches)
# that still hold the old image, at the cost of one tar | sha256sum per image.
#
#   stack-example/debian-base:bookworm  `docker import` of a Debian root made with debootstrap,
#                                       with Debian's python3-flask python3-redis python3-pymysql
#                                       gunicorn redis-server mariadb-server haproxy. The examples
#                                       build on it offline (WEB_BASE_IMAGE=... etc.). Kept
#                                       whenever it exists (about 80 s to make).
#   stack-test/haproxy:latest           the ingress image for tests: the base plus the official
#                                       HAProxy image's conventions (config at
#                                       /usr/local/etc/haproxy/haproxy.cfg, haproxy as CMD).
#   stack-example/mariadb:bookworm      MySQL for the microblog example offline: the base's
#                                       mariadb-server with an entrypoint following the official
#                                       mysql image's MYSQL_* variables (test/mariadb-debian/).
#   stack-test/es-standin:latest        a stand-in for Elasticsearch 8's document, search, count
#                                       and refresh APIs, faithful enough for the official
#                                       clients (test/es-standin/); not Elasticsearch.
#   stack-test/python-elasticsearch:latest
#                                       the official Python Elasticsearch clients from Debian,
#                                       for testing the stand-in: bookworm's 7.17 installed,
#                                       trixie's 8.x unpacked in /opt/elasticsearch8
#                                       (test/python-elasticsearch/); apt-get runs in its build.
set -euo pipefail

BASE=stack-example/debian-base:bookworm
INGRESS=stack-test/haproxy:latest
MARIADB=stack-example/mariadb:bookworm
ES_STANDIN=stack-test/es-standin:latest
PYTHON_ES=stack-test/python-elasticsearch:latest
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGES=python3-flask,python3-redis,python3-pymysql,gunicorn,redis-server,mariadb-server,haproxy
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

FORCE=0
for arg in "$@"; do
  case "${arg}" in
    --force) FORCE=1 ;;
    -h | --help)
      echo "usage: $0 [--force]"
      exit 0
      ;;
    *)
      echo "build-example-images: unknown argument ${arg}" >&2
      exit 2
      ;;
  esac
done

image_exists() {
  docker image inspect "$1" >/dev/null 2>&1
}

SOURCES_LABEL=stack.sources-hash

# The sources hash an image was built from ("" when it has none or does not exist).
built_from() {
  docker image inspect --format "{{ index .Config.Labels \"${SOURCES_LABEL}\" }}" "$1" 2>/dev/null || true
}

# sha256 of the base image's ID and of stdin: what an image built on the base is made from.
hash_on_base() {
  { docker image inspect --format '{{.Id}}' "${BASE}" && cat; } | sha256sum | cut -d' ' -f1
}

# sha256 of a build context: file names, modes and contents in a fixed order (not mtimes, which
# a fresh checkout changes), and the base image's ID.
context_hash() {
  tar -C "$1" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -c . | hash_on_base
}

# True (and says why) when `tag` must be (re)built for sources hashing to `hash`.
needs_build() {
  local tag="$1" hash="$2" current
  if ((FORCE == 1)); then
    return 0
  fi
  current="$(built_from "${tag}")"
  if [[ "${current}" == "${hash}" ]]; then
    echo "build-example-images: ${tag} is up to date, kept (use --force to rebuild)"
    return 1
  fi
  if image_exists "${tag}"; then
    echo "build-example-images: ${tag} was built from other sources or another base, rebuilding"
  fi
  return 0
}

build_base() {
  if [[ "$(id -u)" != "0" ]]; then
    echo "build-example-images: debootstrap needs root" >&2
    exit 1
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "build-example-images: installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q debootstrap; then
      apt-get update -q
      apt-get install -y -q debootstrap
    fi
  fi
  local workdir
  workdir="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap must remove this run's directory
  trap "rm -rf '${workdir}'" EXIT
  echo "build-example-images: debootstrap bookworm with ${PACKAGES} (about 80 s)"
  debootstrap --variant=minbase --include="${PACKAGES}" bookworm "${workdir}/root" "${MIRROR}" \
    >"${workdir}/debootstrap.log" 2>&1 || {
    tail -n 30 "${workdir}/debootstrap.log" >&2
    exit 1
  }
  # Package caches and the database files mariadb's postinst made in the chroot are not
  # part of the image: each container starts with an empty data directory.
  rm -rf "${workdir}/root/var/cache/apt/archives/"*.deb "${workdir}/root/var/lib/apt/lists/"* \
    "${workdir}/root/var/lib/mysql/"*
  tar -C "${workdir}/root" -c . | docker import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    - "${BASE}" >/dev/null
  echo "build-example-images: built ${BASE} ($(docker image inspect --format '{{.Id}}' "${BASE}"))"
}

if ((FORCE == 1)) || ! image_exists "${BASE}"; then
  build_base
else
  echo "build-example-images: ${BASE} exists, kept (use --force to rebuild)"
fi

# Kept whenever it exists: its Dockerfile is this script's text, which has not changed since
# machines first built it (hash it like the others below when it does).
if ((FORCE == 1)) || ! image_exists "${INGRESS}"; then
  docker build -q -t "${INGRESS}" - >/dev/null <<DOCKERFILE
FROM ${BASE}
RUN mkdir -p /usr/local/etc/haproxy /run/haproxy
STOPSIGNAL SIGUSR1
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
DOCKERFILE
  echo "build-example-images: built ${INGRESS}"
else
  echo "build-example-images: ${INGRESS} exists, kept (use --force to rebuild)"
fi

# build_on_base TAG CONTEXT [BUILD_ARG...]: a few seconds each on the base (one COPY), except
# the Python clients' apt-get (about 25 s). Build args are not part of the hash: they name
# where things come from, not what is built.
build_on_base() {
  local tag="$1" context="$2" hash arg
  shift 2
  local args=(--build-arg "BASE_IMAGE=${BASE}")
  for arg in "$@"; do
    args+=(--build-arg "${arg}")
  done
  hash="$(context_hash "${context}")"
  if needs_build "${tag}" "${hash}"; then
    docker build -q "${args[@]}" --label "${SOURCES_LABEL}=${hash}" -t "${tag}" "${context}" >/dev/null
    echo "build-example-images: built ${tag}"
  fi
}
build_on_base "${MARIADB}" "${ROOT}/test/mariadb-debian"
build_on_base "${ES_STANDIN}" "${ROOT}/test/es-standin"
build_on_base "${PYTHON_ES}" "${ROOT}/test/python-elasticsearch" "DEBIAN_MIRROR=${MIRROR}"
