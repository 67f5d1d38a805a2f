#!/usr/bin/env bash
# Installs everything `npm run bench` can compare against (Debian 12): ActiveMQ Classic 5.17 with
# its JDBC store's PostgreSQL driver and connection pool, its JMS client and a JDK (the OpenWire
# load generator), and the PostgreSQL and MariaDB servers
# the SQL-store targets and the takeover scenario start in temp dirs. Idempotent: installs only
# what is missing, and refreshes apt's lists only then. For benchmarking machines only.
#
# Usage: sudo scripts/install-bench-deps.sh        (as root; uses apt-get)
#
# Services: the bench never uses the system-wide servers these packages bring. It starts its own
# PostgreSQL and MariaDB (test/helpers/db-servers.ts) and ActiveMQ (bench/targets.ts) on free
# ports with temp data dirs, so a packaged server the postinst started is left alone, except
# ActiveMQ's, which install-activemq.sh stops (it would hold the default ports 61616/61613).
set -euo pipefail

# package -> why the bench needs it
PACKAGES=(
  activemq                # the broker FerryMQ is compared with (5.17.2 on bookworm)
  libactivemq-java        # openwire scenarios: ActiveMQ's JMS client jars in /usr/share/java
  default-jdk-headless    # openwire scenarios: javac + java for bench/java/OpenWireLoad.java
  libpostgresql-jdbc-java # activemq-jdbc targets: /usr/share/java/postgresql.jar
  libcommons-dbcp-java    # the DataSource pool the package links from lib/optional (commons-dbcp 1.4)
  libcommons-pool-java    # commons-dbcp 1.4's object pool (commons-pool 1.6), linked there too
  postgresql              # ferrymq-postgres, activemq-jdbc: initdb + postgres in a temp dir
  mariadb-server          # ferrymq-mysql: mariadb-install-db + mariadbd in a temp dir
)

# The pool jars are the two recommends of libactivemq-java the JDBC store needs; the helper
# installs without recommends (no JDK GUI bits, no Derby).
"$(dirname "$0")/apt-install-missing.sh" install-bench-deps "${PACKAGES[@]}"

# Stops a packaged ActiveMQ service and prints where things are (it finds activemq installed now).
exec "$(dirname "$0")/install-activemq.sh"
