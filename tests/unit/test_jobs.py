"""The one table of scheduled jobs, as the embedded scheduler runs it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from hotline.jobs import JOBS, Job, run_embedded


class Host:
    book: Any = None
    reports: Any = None

    def resend_lost_transcriptions(self) -> int:
        return 0


async def test_each_job_runs_on_its_turn_and_a_failing_one_stops_no_other(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def broken(host: Any) -> None:
        ran.append("broken")
        raise RuntimeError("the database is away")

    jobs = (
        Job("broken", "t.broken", 0.1, broken, "fails every time"),
        Job("often", "t.often", 0.1, lambda host: ran.append("often"), "every tick"),
        Job("rarely", "t.rarely", 3600.0, lambda host: ran.append("rarely"), "once an hour"),
    )
    task = asyncio.create_task(run_embedded(Host(), tick_s=0.1, jobs=jobs))
    while ran.count("often") < 3:
        await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert ran.count("broken") >= 3 and ran.count("rarely") == 1  # the hourly job ran at the start only
    assert "the scheduled job broken failed" in caplog.text


def test_the_table_names_each_job_and_task_once() -> None:
    assert len({job.name for job in JOBS}) == len({job.task for job in JOBS}) == len(JOBS)
    assert {job.name for job in JOBS} == {
        "screen-pending",
        "transcribe-lost",
        "scan-breaches",
        "reports-when-due",
        "warn-due-soon",
        "send-outbox",
        "retrain-routing",
        "purge-conversations",
    }
