#!/usr/bin/env bash
# Installs ActiveMQ Classic from Debian's `activemq` package (5.17 on bookworm) so `npm run bench`
# can measure it side by side with FerryMQ. For benchmarking machines only: CI never needs it.
#
# Usage: sudo scripts/install-activemq.sh        (as root; uses apt-get)
#
# The bench does not use the packaged service: it generates a minimal activemq.xml in a temp dir
# (one STOMP transportConnector on a free port, KahaDB in that dir, no web console) and runs
# ActiveMQ in the foreground as a child process it starts and stops itself.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-activemq: run as root (apt-get install needs it)" >&2
  exit 1
fi

if dpkg-query -W -f='${Status}' activemq 2>/dev/null | grep -q 'install ok installed'; then
  echo "install-activemq: activemq is already installed ($(dpkg-query -W -f='${Version}' activemq))"
else
  # Only refresh the package lists when apt does not know the package yet (saves a slow update).
  if ! apt-cache show activemq >/dev/null 2>&1; then
    apt-get update
  fi
  # The package's postinst tries to start the service; on machines without systemd that fails
  # harmlessly, and the bench never uses that service anyway.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends activemq
fi

# The packaged service (if systemd started it) would hold 61616/61613: stop it; the bench runs its own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet activemq 2>/dev/null; then
  systemctl stop activemq || true
fi

home=/usr/share/activemq
cat <<EOF

ActiveMQ Classic $(dpkg-query -W -f='${Version}' activemq) is installed (Debian layout):
  launcher:    $home/bin/activemq.jar (org.apache.activemq.console.Main)
  jars:        $home/lib, $home/lib/optional (links into /usr/share/java)
  stock conf:  /etc/activemq/instances-available/main (OpenWire only, no STOMP connector)
  java:        $(command -v java || echo 'not found: apt-get install -y default-jre-headless')

\`npm run bench -- --target both\` starts its own ActiveMQ in the foreground with a generated
activemq.xml in a temp dir (STOMP on a free port, KahaDB in that dir, no JMX, no web console) and
stops it afterwards. To start the same by hand with STOMP on port PORT (after npm run build):

  dir=\$(mktemp -d)
  node dist/bench/activemq-config.js PORT "\$dir" > "\$dir/activemq.xml"
  java -Xms1g -Xmx1g -Dactivemq.home=$home -Dactivemq.base="\$dir" -Dactivemq.conf="\$dir" \\
       -Dactivemq.data="\$dir/data" -Djava.io.tmpdir="\$dir" \\
       -jar $home/bin/activemq.jar start "xbean:file:\$dir/activemq.xml"
EOF
