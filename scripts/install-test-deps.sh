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
# Likewise ActiveMQ: the interop tests start their own broker in a temp dir on free ports.
set -euo pipefail

# package -> why the tests need it
PACKAGES=(
  postgresql     # SQL store + database lock tests: initdb, postgres (test/helpers/db-servers.ts)
  mariadb-server # SQL store + database lock tests: mariadb-install-db, mariadbd
  default-jdk-headless # OpenWire interop tests: java + javac for test/interop/java (test/helpers/java.ts)
  libactivemq-java     # OpenWire interop tests: ActiveMQ's JMS client jars in /usr/share/java
  activemq             # OpenWire interop tests: Debian's ActiveMQ 5.17 broker (test/helpers/activemq-broker.ts)
  openssl              # TLS tests: PKCS#12 files for the pfx option and the Java client's key store
)

exec "$(dirname "$0")/apt-install-missing.sh" install-test-deps "${PACKAGES[@]}"
