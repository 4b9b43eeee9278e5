#!/usr/bin/env bash
# npm packages the pages serve (web/package.json): the SIP.js browser softphone of the agent page, Apache ECharts of the dashboard (ES modules the browser loads as they are), and Swagger UI and ReDoc for /docs and /redoc (their self-contained bundles: a county intranet reaches no CDN; peers are left out). The
# registry is npm's own configuration on this machine (npm config get registry); no lock file is
# kept, as a lock file records the registry's host. Installs only when package.json changed.
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=node_modules/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt package.json ]; then exit 0; fi
command -v npm >/dev/null || { echo "npm is missing: install Debian's npm" >&2; exit 1; }
npm install --no-package-lock --no-audit --no-fund --omit=dev --omit=peer --loglevel=error
test -f node_modules/sip.js/lib/platform/web/index.js
test -f node_modules/echarts/dist/echarts.min.js
test -f node_modules/swagger-ui-dist/swagger-ui-bundle.js
test -f node_modules/redoc/bundles/redoc.standalone.js
touch "$stamp"
