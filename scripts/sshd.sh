#!/usr/bin/env bash
# An sshd on loopback in front of this machine's Docker engine, for the ssh:// engine tests.
# Everything lives in one private directory: the sshd's config, host key, authorized client
# key, pidfile and log; an ssh-agent holding the client key; a known_hosts and an ssh config
# for the client side. The user's ~/.ssh and ~/.docker are never read or written.
#
#   scripts/sshd.sh up     start sshd and agent (idempotent); installs Debian's openssh-server
#                          when sshd is missing; prints the `env` lines
#   scripts/sshd.sh env    print the variables a test needs, as `export NAME=VALUE` lines:
#                            eval "$(scripts/sshd.sh env)"
#   scripts/sshd.sh down   stop sshd and agent, delete the directory (idempotent)
#
# How the client finds the private config: OpenSSH takes ~ from the password database, not
# from $HOME, so a private HOME cannot redirect it; `-F FILE` can. The directory's bin/ holds an
# `ssh` that runs the real one with `-F <dir>/ssh_config`, and `env` puts it first on PATH.
# `stack` (and the docker CLI, for comparison) run plain `ssh` from PATH exactly as they do
# for a user, whose ~/.ssh/config, keys, agent and known_hosts then apply unchanged.
#
# Host aliases in that config (all on 127.0.0.1, the sshd's port, user root):
#   stack-sshd               trusted host key, client key from the agent: logs in
#   stack-sshd-transport     the same with a second client key, so a test can count its own
#                            logins in the shared log while another uses stack-sshd
#   stack-sshd-unknown-host  empty known_hosts: "Host key verification failed."
#   stack-sshd-no-key        no agent, a key the sshd does not accept: "Permission denied"
# ssh://root@127.0.0.1:PORT works too (the `Host *` block applies to it).
#
# The remote side runs `docker system dial-stdio` with HOME and DOCKER_CONFIG set to a
# private directory (sshd's SetEnv), so neither root's shell rc files nor its ~/.docker apply
# and the remote docker CLI talks to the default engine (/var/run/docker.sock). Logins are counted from sshd's log,
# by the fingerprint of the key that logged in (`ssh-keygen -lf <dir>/client_ed25519.pub`):
#   grep 'Accepted publickey' "$STACK_SSHD_LOG" | grep -c SHA256:...
#
# Processes are started with setsid and their output sent to files, so none holds the
# caller's stdout open (CI waits for every holder of .ci/run's output).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Short and per checkout: unix socket paths (the agent's) must stay under 108 bytes, and two
# checkouts on one machine must not stop each other's sshd.
DIR="${STACK_SSHD_DIR:-/tmp/stack-sshd-$(printf '%s' "${ROOT}" | sha256sum | cut -c1-10)}"
SSHD=/usr/sbin/sshd
PIDFILE="${DIR}/sshd.pid"
AGENT_PIDFILE="${DIR}/agent.pid"
AGENT_SOCK="${DIR}/agent.sock"
LOG="${DIR}/sshd.log"
TIMEOUT="${STACK_SSHD_TIMEOUT:-20}"
# sshd's default; the transport must cope with it (sessions multiplexed on one login).
MAX_SESSIONS="${STACK_SSHD_MAX_SESSIONS:-10}"

log() { echo "sshd.sh: $*" >&2; }
alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_sshd() {
  [[ -x "${SSHD}" ]] && return 0
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "${SSHD} is missing: install OpenSSH's server (Debian: openssh-server)"
    return 1
  fi
  log "installing Debian's openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  # The package's own service is never started here: this script runs its own sshd. Where no
  # policy-rc.d forbids it, RUNLEVEL=1 keeps invoke-rc.d from starting sshd on port 22.
  RUNLEVEL=1 apt-get install -y -q openssh-server >/dev/null ||
    { apt-get update -q >/dev/null && RUNLEVEL=1 apt-get install -y -q openssh-server >/dev/null; }
}

free_port() {
  local port
  for port in $(seq 22220 22299); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "${port}"
      return 0
    fi
  done
  log "no free port in 22220-22299"
  return 1
}

make_keys() {
  [[ -f "${DIR}/host_ed25519_key" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C stack-sshd-host -f "${DIR}/host_ed25519_key"
  [[ -f "${DIR}/client_ed25519" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C stack-sshd-client -f "${DIR}/client_ed25519"
  [[ -f "${DIR}/transport_ed25519" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C stack-sshd-transport -f "${DIR}/transport_ed25519"
  [[ -f "${DIR}/unauthorized_ed25519" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C stack-sshd-unauthorized -f "${DIR}/unauthorized_ed25519"
  # Replaced, not rewritten in place: sshd reads it at every login, also while `up` runs.
  cat "${DIR}/client_ed25519.pub" "${DIR}/transport_ed25519.pub" >"${DIR}/authorized_keys.new"
  chmod 600 "${DIR}/authorized_keys.new"
  mv -f "${DIR}/authorized_keys.new" "${DIR}/authorized_keys"
}

write_configs() {
  local port="$1"
  mkdir -p "${DIR}/remote-home/.docker" "${DIR}/docker-config" "${DIR}/bin"
  cat >"${DIR}/sshd_config" <<EOF
# Generated by scripts/sshd.sh: a test sshd on loopback only.
Port ${port}
ListenAddress 127.0.0.1
HostKey ${DIR}/host_ed25519_key
PidFile ${PIDFILE}
AuthorizedKeysFile ${DIR}/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
MaxSessions ${MAX_SESSIONS}
MaxStartups 100:30:200
PrintMotd no
PrintLastLog no
X11Forwarding no
LogLevel INFO
# A private HOME for the session: the remote shell reads no rc file of root's (this
# machine's runs \`pyenv init\`, 0.7 s per session) and the docker CLI no ~/.docker.
SetEnv HOME=${DIR}/remote-home DOCKER_CONFIG=${DIR}/remote-home/.docker
EOF
  # Specific hosts first: for each option ssh keeps the first value it finds.
  cat >"${DIR}/ssh_config" <<EOF
# Generated by scripts/sshd.sh: the client side of the test sshd (used with ssh -F).
Host stack-sshd
  HostName 127.0.0.1
  Port ${port}
  User root

Host stack-sshd-transport
  HostName 127.0.0.1
  Port ${port}
  User root
  IdentityAgent ${AGENT_SOCK}
  IdentitiesOnly yes
  IdentityFile ${DIR}/transport_ed25519.pub

Host stack-sshd-unknown-host
  HostName 127.0.0.1
  Port ${port}
  User root
  UserKnownHostsFile ${DIR}/empty_known_hosts

Host stack-sshd-no-key
  HostName 127.0.0.1
  Port ${port}
  User root
  IdentityAgent none
  IdentitiesOnly yes
  IdentityFile ${DIR}/unauthorized_ed25519

Host *
  UserKnownHostsFile ${DIR}/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
  LogLevel ERROR

# Keys from the agent (the file names which of its keys to offer). Never ssh's default
# identity files: those are the user's, in ~/.ssh.
Host * !stack-sshd-no-key !stack-sshd-transport
  IdentityAgent ${AGENT_SOCK}
  IdentitiesOnly yes
  IdentityFile ${DIR}/client_ed25519.pub
EOF
  : >"${DIR}/empty_known_hosts"
  local key
  key="$(cut -d' ' -f1,2 "${DIR}/host_ed25519_key.pub")"
  printf '[127.0.0.1]:%s %s\n' "${port}" "${key}" >"${DIR}/known_hosts"
  cat >"${DIR}/bin/ssh" <<EOF
#!/bin/sh
# Generated by scripts/sshd.sh: the system ssh with the test config instead of ~/.ssh/config.
exec /usr/bin/ssh -F ${DIR}/ssh_config "\$@"
EOF
  chmod 755 "${DIR}/bin/ssh"
}

start_sshd() {
  local port
  if alive "${PIDFILE}"; then return 0; fi
  port="$(free_port)"
  write_configs "${port}"
  echo "${port}" >"${DIR}/port"
  mkdir -p /run/sshd # privilege separation directory sshd insists on
  chmod 755 /run/sshd
  "${SSHD}" -t -f "${DIR}/sshd_config"
  log "starting sshd on 127.0.0.1:${port} (log ${LOG})"
  # sshd forks into the background itself; setsid and the redirections keep the short-lived
  # parent (and so the daemon) off the caller's terminal and output.
  # 9>&-: the daemon must not inherit the lock of `up`, or the next `up` would wait forever.
  setsid "${SSHD}" -f "${DIR}/sshd_config" -E "${LOG}" </dev/null >>"${LOG}" 2>&1 9>&-
  local deadline=$((SECONDS + TIMEOUT))
  until alive "${PIDFILE}" && (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "sshd did not listen within ${TIMEOUT}s; last lines of ${LOG}:"
      tail -n 20 "${LOG}" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

start_agent() {
  if alive "${AGENT_PIDFILE}" && [[ -S "${AGENT_SOCK}" ]]; then return 0; fi
  rm -f "${AGENT_SOCK}"
  # ssh-agent forks itself; its parent prints the pid and exits.
  setsid ssh-agent -a "${AGENT_SOCK}" -s </dev/null >"${DIR}/agent.env" 2>>"${DIR}/agent.log" 9>&-
  sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p' "${DIR}/agent.env" >"${AGENT_PIDFILE}"
  SSH_AUTH_SOCK="${AGENT_SOCK}" ssh-add -q "${DIR}/client_ed25519" "${DIR}/transport_ed25519" </dev/null
}

# A login round trip through everything a test uses: the PATH shim, the config, the agent,
# known_hosts and the remote docker CLI.
check() {
  PATH="${DIR}/bin:${PATH}" SSH_AUTH_SOCK="${AGENT_SOCK}" \
    ssh -o ConnectTimeout=10 -T stack-sshd docker version --format '{{.Server.Version}}' \
    </dev/null >/dev/null 2>"${DIR}/check.err" || {
    log "ssh stack-sshd docker version failed: $(cat "${DIR}/check.err")"
    return 1
  }
}

print_env() {
  [[ -f "${DIR}/port" ]] || {
    log "not up: run scripts/sshd.sh up"
    return 1
  }
  local port
  port="$(cat "${DIR}/port")"
  cat <<EOF
export PATH=${DIR}/bin:${PATH}
export SSH_AUTH_SOCK=${AGENT_SOCK}
export DOCKER_CONFIG=${DIR}/docker-config
export STACK_SSHD_DIR=${DIR}
export STACK_SSHD_PORT=${port}
export STACK_SSHD_LOG=${LOG}
export STACK_SSHD_HOST=ssh://stack-sshd
export STACK_SSHD_URL=ssh://root@127.0.0.1:${port}
EOF
}

down() {
  local f
  for f in "${PIDFILE}" "${AGENT_PIDFILE}"; do
    if alive "${f}"; then
      kill "$(cat "${f}")" 2>/dev/null || true
    fi
  done
  # Only this directory is removed: it is ours by construction (the pidfiles name our daemons).
  [[ -d "${DIR}" ]] && rm -rf "${DIR}"
  return 0
}

case "${1:-}" in
  up)
    install_sshd
    # Test files run in parallel and each may call `up`: one at a time, so two never pick
    # the same port or write the keys at once. The lock file sits beside the directory
    # (`down` removes the directory while a holder may still be writing into it).
    exec 9>"${DIR}.lock"
    flock 9
    mkdir -p "${DIR}"
    chmod 700 "${DIR}"
    make_keys
    start_sshd
    start_agent
    check
    print_env
    ;;
  env) print_env ;;
  down)
    down
    rm -f "${DIR}.lock"
    ;;
  *)
    echo "usage: $0 up|env|down" >&2
    exit 2
    ;;
esac
