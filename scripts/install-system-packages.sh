#!/usr/bin/env bash
# Debian packages the platform needs on the host (the Asterisk itself lives in its own root
# filesystem, built by `hotline asterisk build`). Installs only what is missing.
set -euo pipefail
PACKAGES=(mmdebstrap sip-tester espeak-ng sox libsox-fmt-all docker-compose
  libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei poppler-utils
  chromium chromium-driver
  slapd ldap-utils)  # slapd: the county directory the sign-in tests use (it is not started as a service)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# npm for the agent page's packages: any npm will do (Node.js's own packages bring theirs, and
# conflict with Debian's npm package)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
