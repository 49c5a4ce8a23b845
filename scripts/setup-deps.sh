#!/usr/bin/env bash
# Installs the Debian packages tobira's build and tests need, only those missing.
# Usage: scripts/setup-deps.sh [build|test]
set -euo pipefail
need=(pkg-config libsqlite3-dev libpq-dev)
if [ "${1:-build}" = test ]; then
  need+=(postgresql-client slapd openssl chromium python3-aiosmtpd)
fi
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
