#!/usr/bin/env bash
# Install whatever is missing, idempotently: npm packages (from the lockfile) and the Debian packages
# Tavia's data plane uses. Safe to run on every `npm run up` and `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# haproxy: the amphorae's data plane; nftables: floating IPs (DNAT); openstack CLI + octaviaclient: the
# walkthrough test runs the real `openstack loadbalancer ...` commands against Tavia.
DEBIAN_PACKAGES=(haproxy openssl wrk nftables python3-openstackclient python3-octaviaclient)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
fi
