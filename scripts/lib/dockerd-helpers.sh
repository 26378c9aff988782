# Shared by scripts/swarm-cluster.sh and scripts/fault-engine.sh (sourced, not run).

# stop_by_pidfile PIDFILE: stops the dockerd whose pid the file holds (SIGTERM, SIGKILL after
# 30 s) and removes the file; nothing to do when the file is missing.
stop_by_pidfile() {
  local pidfile="$1"
  [[ -f "${pidfile}" ]] || return 0
  local pid
  pid="$(cat "${pidfile}")"
  if kill -0 "${pid}" 2>/dev/null; then
    kill "${pid}"
    local deadline=$((SECONDS + 30))
    while kill -0 "${pid}" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        kill -9 "${pid}" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  fi
  rm -f "${pidfile}"
}
