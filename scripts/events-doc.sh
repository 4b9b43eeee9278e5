#!/usr/bin/env bash
# Write the event catalogue (common/events.py) into docs/events.md, in place of its table.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python - <<'PY'
from pathlib import Path

from common.events import render_markdown

page = Path("docs/events.md")
text = page.read_text(encoding="utf-8")
start = text.index("| name | data | when |")
end = text.index("\n\n", start) + 1
page.write_text(text[:start] + render_markdown() + text[end:], encoding="utf-8")
PY
