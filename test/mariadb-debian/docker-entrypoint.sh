#!/bin/bash
# MySQL image conventions on Debian's MariaDB, for the offline tests: on an empty data
# directory, initialise it and create the root password, database and user from the official
# mysql image's variables (MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD),
# then serve on 0.0.0.0:3306. During initialisation the server listens on its socket only,
# so a TCP healthcheck (mysqladmin ping -h 127.0.0.1) fails until the database is ready.
set -euo pipefail

DATADIR=/var/lib/mysql
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "${DATADIR}"

if [[ "${1:-mariadbd}" != "mariadbd" ]]; then
  exec "$@"
fi

if [[ ! -d "${DATADIR}/mysql" ]]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD must be set}"
  echo "docker-entrypoint: initialising ${DATADIR}"
  mariadb-install-db --user=mysql --datadir="${DATADIR}" --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
  socket=/run/mysqld/init.sock
  mariadbd --user=mysql --datadir="${DATADIR}" --skip-networking --socket="${socket}" &
  pid=$!
  for _ in $(seq 1 60); do
    mariadb-admin --socket="${socket}" ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  sql="ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
  if [[ -n "${MYSQL_DATABASE:-}" ]]; then
    sql+="
CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;"
  fi
  if [[ -n "${MYSQL_USER:-}" ]]; then
    sql+="
CREATE USER IF NOT EXISTS '${MYSQL_USER}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD:-}';"
    if [[ -n "${MYSQL_DATABASE:-}" ]]; then
      sql+="
GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%';"
    fi
  fi
  mariadb --socket="${socket}" -uroot <<<"${sql}
FLUSH PRIVILEGES;"
  kill "${pid}"
  wait "${pid}" || true
  echo "docker-entrypoint: initialised"
fi

exec mariadbd --user=mysql --datadir="${DATADIR}" --bind-address=0.0.0.0 --port=3306
