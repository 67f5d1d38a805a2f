#!/usr/bin/env bash
# Installs the system packages the test suite needs (Debian 12). Idempotent: installs only what
# is missing, and refreshes apt's lists only then. `.ci/run` calls it before `npm ci`.
#
# Usage: sudo scripts/install-test-deps.sh        (as root; uses apt-get)
#
# PACKAGES is the one list to extend (a JDK, ActiveMQ, a browser, ... as tests come to need them).
#
# Services: the SQL store tests never use the system-wide servers these packages bring. They start
# their own PostgreSQL and MariaDB from the binaries (test/helpers/db-servers.ts) in temporary
# directories on free ports, so a packaged server that the postinst started (on machines with
# systemd) holds 5432/3306 harmlessly and is left alone: it may be the developer's own database.
set -euo pipefail

# package -> why the tests need it
PACKAGES=(
  postgresql     # SQL store + database lock tests: initdb, postgres (test/helpers/db-servers.ts)
  mariadb-server # SQL store + database lock tests: mariadb-install-db, mariadbd
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: run as root (apt-get install needs it): sudo $0" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: all present (${PACKAGES[*]})"
  exit 0
fi

echo "install-test-deps: installing ${missing[*]}"
apt-get update
# Without systemd (containers, CI) the postinst cannot start the services; that is fine.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
