#!/usr/bin/env bash
# Installs those of the given Debian packages that are not installed yet, as root, refreshing
# apt's lists only when it does not know one of them yet (a slow update saved on every re-run).
# Shared by install-test-deps.sh and install-bench-deps.sh, which keep their own package lists.
#
# Usage: scripts/apt-install-missing.sh CALLER PACKAGE...    (CALLER names the script in messages)
set -euo pipefail

caller="$1"
shift

if [ "$(id -u)" -ne 0 ]; then
  echo "$caller: run as root (apt-get install needs it): sudo scripts/$caller.sh" >&2
  exit 1
fi

missing=()
for p in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "$caller: all present ($*)"
  exit 0
fi

echo "$caller: installing ${missing[*]}"
for p in "${missing[@]}"; do
  if ! apt-cache show "$p" >/dev/null 2>&1; then
    apt-get update
    break
  fi
done
# --no-install-recommends: only what the packages need (the callers list what else they need).
# Without systemd (containers, CI) the postinsts cannot start the services; that is fine.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
