"""Celery tasks of the casebook, and their schedule (Celery beat).

In production (`HOTLINE_TASK_MODE=celery`): `celery -A casebook.tasks worker` and
`celery -A casebook.tasks beat`, with Redis as the broker. In embedded mode `hotline serve`
runs the same functions in-process on the same schedule. Tasks are acknowledged late (a worker
killed mid-task leaves the task to run again) and are idempotent: a breach is recorded once per
case, clock and deadline; a report once per kind and period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from celery import Celery
from celery.schedules import crontab

from casebook.cases.clocks import scan_breaches
from casebook.cases.screening import screen_pending
from casebook.cases.services import CaseBook
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.reports.services import ReportService
from common.paths import recordings_dir, reports_dir
from common.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerServices:
    book: CaseBook
    reports: ReportService


@lru_cache(maxsize=1)
def worker_services() -> WorkerServices:
    """Built on the first task a worker runs (not at import: a worker may start before the database)."""
    settings = get_settings()
    sessions = make_sessionmaker(make_engine(settings.sqlalchemy_url, pool_size=4))
    return WorkerServices(
        CaseBook(sessions, timezone=settings.timezone, recordings_dir=recordings_dir(settings)),
        ReportService(sessions, reports_dir(settings), timezone=settings.timezone),
    )


def make_celery(broker_url: str) -> Celery:
    app = Celery("hotline", broker=broker_url, backend=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        timezone=get_settings().timezone,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": get_settings().task_visibility_timeout_s},
        beat_schedule={
            "scan-breaches": {"task": "casebook.scan_breaches", "schedule": 60.0},
            "reports-when-due": {"task": "casebook.make_due_reports", "schedule": crontab(minute="*/10")},
            "screen-pending": {"task": "casebook.screen_pending", "schedule": 60.0},
        },
    )
    return app


app = make_celery(get_settings().redis_url)

# a caller or a clerk never waits long on the broker: a few quick tries, then the sweep's turn
SEND_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.4, "interval_max": 1.0}


def send_or_leave_to_sweep(task: Any, *args: object, what: str) -> bool:
    """Queue a task; if the broker cannot be reached (Redis restarting), say so and leave the work
    to the beat's sweep that finds it in the database (`casebook.screen_pending`,
    `speech.transcribe_lost`): the database, not the queue, is what holds the work, so an appeal is
    never refused nor lost because Redis is down."""
    try:
        task.apply_async(args=args, retry=True, retry_policy=SEND_RETRY)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, OSError...
        log.warning("%s not queued (%s: %s); the sweep will pick it up", what, type(exc).__name__, str(exc)[:120])
        return False
    return True


@app.task(name="casebook.scan_breaches")  # type: ignore[untyped-decorator]
def scan_breaches_task() -> int:
    found = scan_breaches(worker_services().book)
    if found:
        log.info("clocks: %d breach(es) recorded and escalated", len(found))
    return len(found)


@app.task(name="casebook.make_due_reports")  # type: ignore[untyped-decorator]
def make_due_reports_task() -> list[str]:
    return [f"{r.kind}:{r.period_start.date()}" for r in worker_services().reports.make_due()]


@app.task(name="casebook.screen", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)  # type: ignore[untyped-decorator]
def screen_task(number: str, requested_category: str | None = None) -> bool:
    """Classify, check for duplicates and route one received case (idempotent: a case already
    screened is only re-classified, never registered or dispatched twice)."""
    return worker_services().book.screen(number, requested_category=requested_category).registered


@app.task(name="casebook.screen_pending")  # type: ignore[untyped-decorator]
def screen_pending_task() -> int:
    return screen_pending(worker_services().book)
