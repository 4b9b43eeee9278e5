#!/usr/bin/env bash
# `make down`: stop what `make up` started.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .hotline/serve.pid ]; then
  pid=$(cat .hotline/serve.pid)
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    echo "platform: stopped"
  fi
  rm -f .hotline/serve.pid
fi
[ -x .venv/bin/hotline ] && .venv/bin/hotline asterisk stop || true
