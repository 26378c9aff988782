#!/usr/bin/env bash
# Deterministic reproduction of the dockerd 20.10 libnetwork deadlock (see
# bench/dockerd-20.10-deadlock.md): on a private 20.10 engine (never the shared one), two
# containers on one user-defined network are stopped while gdb holds one goroutine at a time
# (scripts/lib/deadlock-interleave.py), so the watch loop's endpoint deletion and the other
# container's sandbox leave take the controller and network locks in opposite orders. Then
# it checks that the engine is wedged (ping answers, a network inspect does not), takes a
# goroutine dump (SIGUSR1), prints the blocked goroutines and throws the engine away.
#
# Usage: scripts/deadlock-interleave.sh [DOCKERD]   (default /usr/sbin/dockerd)
# Needs gdb (with Python), nm and objdump (binutils). The dump is kept in .cache/deadlock/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

KIND=repro-legacy-4
DOCKERD="${1:-/usr/sbin/dockerd}"
OUT=.cache/deadlock
mkdir -p "${OUT}"

log() { echo "deadlock-interleave: $*" >&2; }

SYMS="$(mktemp)"
nm -D --defined-only "${DOCKERD}" | sort >"${SYMS}"
# addr_of NAME: the address of a Go function in DOCKERD's dynamic symbol table.
addr_of() { awk -v n="$1" '$3 == n && !found {print $1; found = 1}' "${SYMS}"; }
# calls_in NAME: "ADDRESS TARGET" for each call instruction of that function.
calls_in() {
  local start end
  start="$(addr_of "$1")"
  [[ -n "${start}" ]] || return 0
  end="$(awk -v s="${start}" '$1 > s && !found {print $1; found = 1}' "${SYMS}")"
  objdump -d --no-show-raw-insn --start-address="0x${start}" --stop-address="0x${end}" "${DOCKERD}" |
    awk '/call/ {sub(":", "", $1); print $1, $NF}'
}

L=github.com/docker/libnetwork
gsr="$(addr_of "${L}.(*network).getSvcRecords")"
# The first call to (*network).ID after the first lockSlow: the controller lock is held there.
ped_id="$(calls_in "${L}.(*controller).processEndpointDelete" |
  awk '/lockSlow/ {locked = 1} locked && /\(\*network\)\.ID(@@Base)?>/ && !found {print $1; found = 1}')"
rm -f "${SYMS}"
if [[ -z "${gsr}" || -z "${ped_id}" ]]; then
  log "${DOCKERD} has no (*network).getSvcRecords or no controller-then-network order in processEndpointDelete: not affected"
  exit 0
fi

# No garbage collection and no async preemption while gdb holds threads: a stop-the-world
# would wait for a held thread and stall the steps.
export STACK_BENCH_DOCKERD_ENV="GOGC=off GODEBUG=asyncpreemptoff=1"
scripts/bench-engine.sh "${KIND}" down
sock="$(scripts/bench-engine.sh "${KIND}" up)"
trap 'scripts/bench-engine.sh "${KIND}" down' EXIT
dk() { docker -H "${sock}" "$@"; }
pid="$(cat "/run/stack-bench-${KIND}/docker.pid")"
base="$(awk -v exe="$(readlink -f "/proc/${pid}/exe")" '$6 == exe && $3 == "00000000" && !found {split($1, r, "-"); print r[1]; found = 1}' "/proc/${pid}/maps")"
dk network create ilv >/dev/null
for c in ilva ilvb; do
  dk run -d --name "${c}" --network ilv --network-alias svc stack-test/busybox:latest sleep 3600 >/dev/null
done

hex() { printf '%x' "$1"; }
log "dockerd ${pid}, load base 0x${base}: getSvcRecords at +0x${gsr}, processEndpointDelete's ID call at +0x${ped_id}"
PID="${pid}" SOCK="${sock}" A=ilva B=ilvb \
  GSR="$(hex $((0x${base} + 0x${gsr})))" PED_ID="$(hex $((0x${base} + 0x${ped_id})))" \
  timeout 120 gdb -q -nx -x scripts/lib/deadlock-interleave.py < <(sleep 110) 2>&1 |
  tee .cache/deadlock/interleave-gdb.log | grep -E "^interleave:|Breakpoint [0-9]+," >&2 || true

ping_ok=no
dk version --format '{{.Server.Version}}' >/dev/null 2>&1 && ping_ok=yes
inspect=answers
timeout 15 docker -H "${sock}" network inspect ilv >/dev/null 2>&1 || inspect=hangs
log "after the interleaving: engine answers version: ${ping_ok}; network inspect: ${inspect}"
dump="$(scripts/bench-engine.sh "${KIND}" dump)"
kept="${OUT}/interleave-$(date +%Y%m%dT%H%M%S).log"
cp "${dump}" "${kept}"
log "goroutine dump: ${kept}"
npx tsx bench/deadlock-repro.ts --analyse "${kept}"
if [[ "${inspect}" == hangs ]]; then
  echo "DEADLOCK reproduced on $("${DOCKERD}" --version)"
else
  echo "no deadlock on $("${DOCKERD}" --version)"
fi
