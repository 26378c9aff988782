#!/usr/bin/env bash
# Builds the local images the examples and their offline tests use; no registry is needed (none
# is reachable on the machines this is built on). Idempotent and cached: an image that already
# exists is kept unless --force is given.
#
#   stack-example/debian-base:bookworm  `docker import` of a Debian root made with debootstrap,
#                                       with Debian's python3-flask python3-redis python3-pymysql
#                                       gunicorn redis-server mariadb-server haproxy. The examples
#                                       build on it offline (WEB_BASE_IMAGE=... etc.).
#   stack-test/haproxy:latest           the ingress image for tests: the base plus the official
#                                       HAProxy image's conventions (config at
#                                       /usr/local/etc/haproxy/haproxy.cfg, haproxy as CMD).
#   stack-example/mariadb:bookworm      MySQL for the microblog example offline: the base's
#                                       mariadb-server with an entrypoint following the official
#                                       mysql image's MYSQL_* variables (test/mariadb-debian/).
#   stack-test/es-standin:latest        a stand-in for the part of Elasticsearch's REST API the
#                                       microblog example uses (test/es-standin/); not Elasticsearch.
set -euo pipefail

BASE=stack-example/debian-base:bookworm
INGRESS=stack-test/haproxy:latest
MARIADB=stack-example/mariadb:bookworm
ES_STANDIN=stack-test/es-standin:latest
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

# Both are one COPY on the base: a few seconds each, nothing downloaded.
build_on_base() {
  local tag="$1" context="$2"
  if ((FORCE == 1)) || ! image_exists "${tag}"; then
    docker build -q --build-arg "BASE_IMAGE=${BASE}" -t "${tag}" "${context}" >/dev/null
    echo "build-example-images: built ${tag}"
  else
    echo "build-example-images: ${tag} exists, kept (use --force to rebuild)"
  fi
}
build_on_base "${MARIADB}" "${ROOT}/test/mariadb-debian"
build_on_base "${ES_STANDIN}" "${ROOT}/test/es-standin"
