#!/usr/bin/env bash
# Builds the local images the engine and e2e tests use; no registry is needed (none is
# reachable on the machines this is built on). Idempotent and cached: an image that already
# exists is kept unless --force is given.
#
#   stack-test/busybox:latest  `docker import` of a root filesystem made of Debian's static
#                              busybox (sh, httpd, wget, nc, nslookup, sleep, hostname, cat, kill...)
#   stack-test/busybox:v2      the same files imported again with another label, so its image
#                              ID differs: used to test image changes.
set -euo pipefail

FORCE=0
for arg in "$@"; do
  case "${arg}" in
    --force) FORCE=1 ;;
    -h | --help)
      echo "usage: $0 [--force]"
      exit 0
      ;;
    *)
      echo "build-test-images: unknown argument ${arg}" >&2
      exit 2
      ;;
  esac
done

image_exists() {
  docker image inspect "$1" >/dev/null 2>&1
}

need_busybox_static() {
  # Debian's busybox-static ships /bin/busybox statically linked; a dynamic one would need
  # its libraries copied into the image.
  if [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1; then
    return 0
  fi
  if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "build-test-images: need a static /bin/busybox (Debian package busybox-static); install it as root" >&2
    exit 1
  fi
  echo "build-test-images: installing busybox-static"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q busybox-static; then
    apt-get update -q
    apt-get install -y -q busybox-static
  fi
}

make_rootfs() {
  local root="$1"
  mkdir -p "${root}"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,www,root,var/run,proc,sys,dev}
  chmod 1777 "${root}/tmp"
  cp /bin/busybox "${root}/bin/busybox"
  # --install -s writes one symlink per applet into the dirs busybox considers their home;
  # run the rootfs's own copy under chroot so the links point at /bin/busybox inside it.
  chroot "${root}" /bin/busybox --install -s
  cat >"${root}/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
  cat >"${root}/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
  echo "hello from stack-test/busybox" >"${root}/www/index.html"
}

import_image() {
  local root="$1" tag="$2" variant="$3"
  tar -C "${root}" -c . | docker import \
    --change 'CMD ["sh"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL stack-test.variant=${variant}" \
    - "${tag}" >/dev/null
  echo "build-test-images: built ${tag} ($(docker image inspect --format '{{.Id}}' "${tag}"))"
}

targets=("stack-test/busybox:latest:latest" "stack-test/busybox:v2:v2")
todo=()
for entry in "${targets[@]}"; do
  tag="${entry%:*}"
  if ((FORCE == 0)) && image_exists "${tag}"; then
    echo "build-test-images: ${tag} exists, kept (use --force to rebuild)"
  else
    todo+=("${entry}")
  fi
done
if ((${#todo[@]} == 0)); then
  exit 0
fi

need_busybox_static
workdir="$(mktemp -d)"
trap 'rm -rf "${workdir}"' EXIT
make_rootfs "${workdir}/rootfs"
for entry in "${todo[@]}"; do
  import_image "${workdir}/rootfs" "${entry%:*}" "${entry##*:}"
done
