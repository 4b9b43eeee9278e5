"""The scheduled work through a real Celery worker on the machine's Redis."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from casebook import tasks
from casebook.cases.services import CaseBook, NewAppeal
from casebook.clock import FixedClock
from casebook.reports.services import ReportService
from tests.unit.conftest import AGENT


@pytest.fixture
def worker(book: CaseBook, reports: ReportService):  # type: ignore[no-untyped-def]
    tasks.worker_services.cache_clear()
    original = tasks.worker_services
    tasks.worker_services = lambda: tasks.WorkerServices(book, reports)  # type: ignore[assignment]
    tasks.app.conf.update(broker_url="redis://127.0.0.1:6379/15", result_backend="redis://127.0.0.1:6379/15")
    try:
        with start_worker(tasks.app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield tasks.app
    finally:
        tasks.worker_services = original  # type: ignore[assignment]


def test_the_breach_scan_runs_in_a_celery_worker(worker, book: CaseBook, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    book.open(NewAppeal(channel="web", description="路灯不亮"), AGENT)
    clock.advance(hours=1, minutes=1)
    assert tasks.scan_breaches_task.delay().get(timeout=30) >= 1
    assert tasks.scan_breaches_task.delay().get(timeout=30) == 0


def test_the_schedule_runs_every_minute_and_reports_when_due() -> None:
    schedule = tasks.app.conf.beat_schedule
    assert schedule["scan-breaches"]["schedule"] == 60.0
    assert tasks.app.conf.task_acks_late and tasks.app.conf.task_reject_on_worker_lost
    assert str(schedule["reports-when-due"]["schedule"]).startswith("<crontab: */10")
