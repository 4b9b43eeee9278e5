"""The scheduled work through a real Celery worker on the machine's Redis."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.notifications.services import Notifications
from casebook.reports.services import ReportService
from hotline import worker as tasks
from hotline.jobs import JOBS
from hotline.worker import JOB_TASKS
from tests.conftest import redis_url
from tests.unit.conftest import AGENT


@pytest.fixture
def worker(book: CaseBook, reports: ReportService):  # type: ignore[no-untyped-def]
    original = tasks.worker_host
    told = Notifications(book.sessions, book.clock)
    tasks.worker_host = lambda: tasks.WorkerHost(book, reports, told, {})  # type: ignore[assignment]
    tasks.app.conf.update(broker_url=redis_url(0), result_backend=redis_url(0))
    try:
        with start_worker(tasks.app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield tasks.app
    finally:
        tasks.worker_host = original  # type: ignore[assignment]


def test_the_breach_scan_runs_in_a_celery_worker(worker, book: CaseBook, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    book.open(NewAppeal(channel="web", description="路灯不亮"), AGENT)
    clock.advance(hours=1, minutes=1)
    scan = tasks.JOB_TASKS["scan-breaches"]
    assert scan.delay().get(timeout=30) >= 1
    assert scan.delay().get(timeout=30) == 0


def test_the_beat_runs_the_one_table_of_jobs_that_the_embedded_scheduler_runs() -> None:
    schedule = tasks.app.conf.beat_schedule
    assert {name: entry["task"] for name, entry in schedule.items()} == {job.name: job.task for job in JOBS}
    assert all(schedule[job.name]["schedule"] == job.every_s for job in JOBS)
    assert {job.every_s for job in JOBS} == {60.0, 3600.0}  # the routing model's retraining looks hourly
    assert set(JOB_TASKS) == {job.name for job in JOBS} and all(t.name in tasks.app.tasks for t in JOB_TASKS.values())
    assert tasks.app.conf.task_acks_late and tasks.app.conf.task_reject_on_worker_lost
