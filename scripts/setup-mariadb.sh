#!/usr/bin/env bash
# Makes sure this machine can run MariaDB for the sandbox's SQL (apps/sandbox/src/sql) and its tests: installs Debian's
# mariadb-server when mariadbd is missing. Starting a server is not needed for tests: createTestMysql() uses the one at
# 127.0.0.1:3306 when it answers, else starts a private mariadbd in a temporary directory. Idempotent.
# Usage: bash scripts/setup-mariadb.sh        (as root, or a user with sudo)
set -euo pipefail

log() { printf '[setup-mariadb] %s\n' "$*" >&2; }

if [[ -x /usr/sbin/mariadbd || -x /usr/sbin/mysqld ]] && command -v mariadb-install-db >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
  as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  as_root() { sudo -n "$@"; }
else
  log "mariadb-server is missing and this is not root: install it (apt-get install mariadb-server) or set TEST_MYSQL_URL"
  exit 1
fi
log "installing mariadb-server"
# RUNLEVEL=1 asks the package scripts not to start the packaged server (tests start their own when needed).
if ! as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends mariadb-server; then
  log "install failed; running apt-get update and retrying"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends mariadb-server
fi
