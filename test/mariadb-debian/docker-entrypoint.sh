#!/bin/bash
# The official mysql image's conventions on Debian's MariaDB, for the offline tests. On an empty
# data directory it initialises the server from the mysql image's variables, as that image's
# entrypoint does:
#
#   MYSQL_ROOT_PASSWORD         root's password, or
#   MYSQL_ALLOW_EMPTY_PASSWORD  (any non-empty value) root has an empty password, or
#   MYSQL_RANDOM_ROOT_PASSWORD  (any non-empty value) a random root password, printed once as
#                               "GENERATED ROOT PASSWORD: ..." (it wins over MYSQL_ROOT_PASSWORD);
#                               one of the three is required, else the container exits 1
#   MYSQL_ROOT_HOST             host of the second root account (default '%'; 'localhost': none)
#   MYSQL_DATABASE              a database to create
#   MYSQL_USER, MYSQL_PASSWORD  a user with all rights on MYSQL_DATABASE; created only when both
#                               are set (a warning names the missing one); MYSQL_USER=root is an
#                               error
#
# then serves on 0.0.0.0:3306. During initialisation the server listens on its socket only, so
# a TCP healthcheck (mysqladmin ping -h 127.0.0.1) fails until the database and users exist.
# Not implemented: *_FILE variables, MYSQL_ONETIME_PASSWORD, /docker-entrypoint-initdb.d.
set -euo pipefail

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/init.sock

# The mysql image's log line shape, so tools and people reading for "GENERATED ROOT PASSWORD"
# find it where they expect it.
log() {
  local kind="$1"
  shift
  printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "${kind}" "$*"
}
note() { log Note "$@"; }
warn() { log Warn "$@" >&2; }
fail() {
  log ERROR "$@" >&2
  exit 1
}

# A value for a single-quoted SQL string literal: backslashes and quotes escaped, so a password
# with a quote in it is stored as given instead of breaking the statement.
sql_string() {
  local value="${1//\\/\\\\}"
  printf '%s' "${value//\'/\\\'}"
}

verify_minimum_env() {
  if [[ -z "${MYSQL_ROOT_PASSWORD}" && -z "${MYSQL_ALLOW_EMPTY_PASSWORD}" && -z "${MYSQL_RANDOM_ROOT_PASSWORD}" ]]; then
    fail "Database is uninitialized and password option is not specified
    You need to specify one of the following as an environment variable:
    - MYSQL_ROOT_PASSWORD
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD"
  fi
  if [[ "${MYSQL_USER}" == root ]]; then
    fail 'MYSQL_USER="root", MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user
    Remove MYSQL_USER="root" and use one of the following to control the root user password:
    - MYSQL_ROOT_PASSWORD
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD'
  fi
  if [[ -n "${MYSQL_USER}" && -z "${MYSQL_PASSWORD}" ]]; then
    warn 'MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created'
  elif [[ -z "${MYSQL_USER}" && -n "${MYSQL_PASSWORD}" ]]; then
    warn 'MYSQL_PASSWORD specified, but missing MYSQL_USER; MYSQL_PASSWORD will be ignored'
  fi
}

start_temporary_server() {
  mariadbd --user=mysql --datadir="${DATADIR}" --skip-networking --socket="${SOCKET}" &
  server_pid=$!
  local _
  for _ in $(seq 1 120); do
    if mariadb-admin --socket="${SOCKET}" ping >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "${server_pid}" 2>/dev/null || fail "Unable to start server."
    sleep 0.5
  done
  fail "Unable to start server: no answer on ${SOCKET} after 60 s."
}

setup_database() {
  if [[ -n "${MYSQL_RANDOM_ROOT_PASSWORD}" ]]; then
    # 24 random bytes in base64 (32 characters), the shape of the official image's
    # `openssl rand -base64 24`; the base image has no openssl binary.
    MYSQL_ROOT_PASSWORD="$(head -c 24 /dev/urandom | base64)"
    export MYSQL_ROOT_PASSWORD
    note "GENERATED ROOT PASSWORD: ${MYSQL_ROOT_PASSWORD}"
  fi
  local root_password root_host sql
  root_password="$(sql_string "${MYSQL_ROOT_PASSWORD}")"
  root_host="$(sql_string "${MYSQL_ROOT_HOST}")"
  # mariadb-install-db also makes password-less root accounts for 127.0.0.1, ::1 and the
  # container's hostname (mysqld --initialize-insecure makes only root@localhost): drop them,
  # or anyone reaching the server over TCP from inside the container is root without a password.
  sql="DELETE FROM mysql.global_priv WHERE User NOT IN ('mariadb.sys', 'root') OR (User = 'root' AND Host <> 'localhost');
FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED BY '${root_password}';
GRANT ALL ON *.* TO 'root'@'localhost' WITH GRANT OPTION;"
  if [[ -n "${MYSQL_ROOT_HOST}" && "${MYSQL_ROOT_HOST}" != localhost ]]; then
    sql+="
CREATE USER 'root'@'${root_host}' IDENTIFIED BY '${root_password}';
GRANT ALL ON *.* TO 'root'@'${root_host}' WITH GRANT OPTION;"
  fi
  sql+="
DROP DATABASE IF EXISTS test;"
  if [[ -n "${MYSQL_DATABASE}" ]]; then
    note "Creating database ${MYSQL_DATABASE}"
    sql+="
CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;"
  fi
  if [[ -n "${MYSQL_USER}" && -n "${MYSQL_PASSWORD}" ]]; then
    note "Creating user ${MYSQL_USER}"
    sql+="
CREATE USER '$(sql_string "${MYSQL_USER}")'@'%' IDENTIFIED BY '$(sql_string "${MYSQL_PASSWORD}")';"
    if [[ -n "${MYSQL_DATABASE}" ]]; then
      note "Giving user ${MYSQL_USER} access to schema ${MYSQL_DATABASE}"
      # `_` is a wildcard in a GRANT's database name: escaped, as the official image does, so
      # the grant covers this database only.
      sql+="
GRANT ALL ON \`${MYSQL_DATABASE//_/\\_}\`.* TO '$(sql_string "${MYSQL_USER}")'@'%';"
    fi
  fi
  mariadb --socket="${SOCKET}" -uroot <<<"${sql}
FLUSH PRIVILEGES;"
}

mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "${DATADIR}"

if [[ "${1:-mariadbd}" != "mariadbd" ]]; then
  exec "$@"
fi

: "${MYSQL_ROOT_PASSWORD:=}" "${MYSQL_ALLOW_EMPTY_PASSWORD:=}" "${MYSQL_RANDOM_ROOT_PASSWORD:=}"
: "${MYSQL_ROOT_HOST:=%}" "${MYSQL_DATABASE:=}" "${MYSQL_USER:=}" "${MYSQL_PASSWORD:=}"

if [[ ! -d "${DATADIR}/mysql" ]]; then
  verify_minimum_env
  note "Initializing database files in ${DATADIR}"
  mariadb-install-db --user=mysql --datadir="${DATADIR}" --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
  note "Starting temporary server"
  start_temporary_server
  setup_database
  note "Stopping temporary server"
  kill "${server_pid}"
  wait "${server_pid}" || true
  note "MySQL init process done. Ready for start up."
fi

exec mariadbd --user=mysql --datadir="${DATADIR}" --bind-address=0.0.0.0 --port=3306
