#!/usr/bin/env bash
# `make up`: start Asterisk and the platform (API + Stasis application) in the background,
# with the embedded defaults (SQLite in .hotline/, tasks in-process).
set -euo pipefail
cd "$(dirname "$0")/.."
HOTLINE=.venv/bin/hotline
mkdir -p .hotline
$HOTLINE asterisk build
$HOTLINE db upgrade
# the routing model learnt from the corpus, once (then daily, with the registrations people make)
$HOTLINE routing train --if-none
$HOTLINE asterisk start
if [ -f .hotline/serve.pid ] && kill -0 "$(cat .hotline/serve.pid)" 2>/dev/null; then
  echo "platform: already running (pid $(cat .hotline/serve.pid))"
else
  setsid nohup $HOTLINE serve >>.hotline/serve.log 2>&1 < /dev/null &
  echo $! > .hotline/serve.pid
fi
port=$(.venv/bin/python -c 'from common.settings import get_settings as g; s=g(); print(f"{s.api_host}:{s.api_port}")')
for _ in $(seq 60); do
  if curl -fsS "http://$port/status" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
if ! curl -fsS "http://$port/status" >/dev/null 2>&1; then
  echo "platform: did not become healthy; see .hotline/serve.log" >&2
  tail -20 .hotline/serve.log >&2
  exit 1
fi
$HOTLINE asterisk status
cat <<MSG
platform: running (pid $(cat .hotline/serve.pid)), API and status at http://$port/status
Its log:           .hotline/serve.log   (Asterisk: .venv/bin/hotline asterisk cli "core show channels")
Try a real call:   .venv/bin/hotline call 12345 --keys 1 --say <a WAV file>
Stop everything:   make down
MSG
