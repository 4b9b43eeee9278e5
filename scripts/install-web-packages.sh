#!/usr/bin/env bash
# npm packages the pages serve (web/package.json): the SIP.js browser softphone of the agent page and Apache ECharts of the dashboard (ES modules the browser loads as they are). The
# registry is npm's own configuration on this machine (npm config get registry); no lock file is
# kept, as a lock file records the registry's host. Installs only when package.json changed.
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=node_modules/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt package.json ]; then exit 0; fi
command -v npm >/dev/null || { echo "npm is missing: install Debian's npm" >&2; exit 1; }
npm install --no-package-lock --no-audit --no-fund --omit=dev --loglevel=error
test -f node_modules/sip.js/lib/platform/web/index.js
test -f node_modules/echarts/dist/echarts.min.js
touch "$stamp"
