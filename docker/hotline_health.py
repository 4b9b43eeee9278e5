#!/usr/bin/env python3
"""Health checks of the Celery containers (installed as `hotline-health` in the platform image).

`hotline-health worker`: the speech model is where HOTLINE_VOSK_MODEL says (without it every
message that has no live transcript would be marked "no transcript"), and this container's worker
answers a ping through the broker. The node name comes from the file `hotline-celery-worker`
wrote: on the host's network every container has the host's name, so `celery@$HOSTNAME` would be
answered by any worker of the machine.

`hotline-health beat SCHEDULE`: beat's schedule file (`celery beat --schedule SCHEDULE`, one or
several files by that prefix, as the dbm module makes them) was written recently. Beat writes it
at its first tick and then every 3 minutes (Celery's `PersistentScheduler.sync_every`), and it
ticks at least once a minute here (the lost-transcription sweep is due every minute): a file
older than 10 minutes means a beat that no longer ticks.

Exit status 0 when healthy, 1 otherwise, with one line saying why (Docker keeps it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

NODE_FILE = os.environ.get("HOTLINE_CELERY_NODE_FILE", "/tmp/celery-node")
BEAT_MAX_AGE_S = 600.0


def worker(node_file: Path, timeout_s: float) -> tuple[bool, str]:
    try:
        node = node_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        return False, f"no node name ({exc}): was the worker started by hotline-celery-worker?"
    from asr.errors import AsrError
    from asr.model import resolve_model_path
    from common.settings import get_settings
    from hotline.worker import app  # the worker's own app: same broker, same settings

    try:
        resolve_model_path(get_settings().vosk_model)
    except AsrError as exc:
        return False, str(exc)
    replies = app.control.ping(destination=[node], timeout=timeout_s)
    if any(node in reply for reply in replies):
        return True, f"{node} answers"
    return False, f"{node} did not answer within {timeout_s:.0f} s"


def beat(schedule: str, max_age_s: float) -> tuple[bool, str]:
    prefix = Path(schedule)
    files = [p for p in prefix.parent.glob(prefix.name + "*") if p.is_file()]
    if not files:
        return False, f"no schedule file {schedule}* yet"
    age = time.time() - max(p.stat().st_mtime for p in files)
    if age > max_age_s:
        return False, f"schedule written {age:.0f} s ago (more than {max_age_s:.0f} s): beat does not tick"
    return True, f"schedule written {age:.0f} s ago"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline-health", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    w = sub.add_parser("worker", help="this container's Celery worker answers a ping")
    w.add_argument("--node-file", type=Path, default=Path(NODE_FILE))
    w.add_argument("--timeout", type=float, default=10.0)
    b = sub.add_parser("beat", help="Celery beat wrote its schedule recently")
    b.add_argument("schedule", help="the path given to `celery beat --schedule`")
    b.add_argument("--max-age", type=float, default=BEAT_MAX_AGE_S)
    args = parser.parse_args(argv)
    if args.what == "worker":
        ok, why = worker(args.node_file, args.timeout)
    else:
        ok, why = beat(args.schedule, args.max_age)
    print(("healthy: " if ok else "unhealthy: ") + why)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
