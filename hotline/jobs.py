"""The scheduled work of the platform: one table, read by both schedulers.

Embedded mode (`hotline serve`, the default) runs the table in-process (`run_embedded`); Celery
mode runs it under `celery -A hotline.worker beat`, one task per job (`hotline.worker`). Every
job is idempotent (a breach is recorded once per case, clock and deadline; a report once per kind
and period; a case screened or a call transcribed once), so a job run twice, or by two
schedulers during a switch-over, does no harm; and every job finds its work in the database, not
in a queue, so what a crash or a Redis restart dropped is picked up on the next run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from casebook.cases.clocks import scan_breaches
from casebook.cases.screening import screen_pending
from casebook.cases.services import CaseBook
from casebook.notifications.senders import Sender, send_pending
from casebook.notifications.services import Notifications
from casebook.reports.services import ReportService

log = logging.getLogger(__name__)


class JobHost(Protocol):
    """What a job needs of the process it runs in."""

    @property
    def book(self) -> CaseBook: ...

    @property
    def reports(self) -> ReportService: ...

    @property
    def notifications(self) -> Notifications: ...

    @property
    def senders(self) -> Mapping[str, Sender]: ...

    def resend_lost_transcriptions(self) -> int:
        """Send again the transcriptions nobody finished (to this process's thread, or to Celery)."""
        ...


@dataclass(frozen=True)
class Job:
    name: str  # also the Celery beat entry
    task: str  # the Celery task that runs it
    every_s: float
    run: Callable[[JobHost], object]
    why: str


def _screen_pending(host: JobHost) -> int:
    return screen_pending(host.book)


def _transcribe_lost(host: JobHost) -> int:
    return host.resend_lost_transcriptions()


def _scan_breaches(host: JobHost) -> int:
    found = scan_breaches(host.book)
    if found:
        log.info("clocks: %d breach(es) recorded and escalated", len(found))
    return len(found)


def _reports_when_due(host: JobHost) -> list[str]:
    made = host.reports.make_due()
    for report in made:
        log.info("report %s for %s made", report.kind, report.period_start.date())
    return [f"{r.kind}:{r.period_start.date()}" for r in made]


def _warn_due_soon(host: JobHost) -> int:
    return host.notifications.warn_due_soon()


def _send_outbox(host: JobHost) -> int:
    if not host.senders:
        return 0  # no mail server set: the outbox keeps its messages until one is
    return send_pending(host.book.sessions, host.book.clock, host.senders)


def _retrain_routing(host: JobHost) -> int:
    trained = host.book.models.retrain_if_due()
    return 0 if trained is None else trained.id


def _purge_conversations(host: JobHost) -> int:
    return host.book.conversations.purge()


JOBS: tuple[Job, ...] = (
    Job("screen-pending", "casebook.screen_pending", 60.0, _screen_pending, "cases no screening looked at"),
    Job("transcribe-lost", "speech.transcribe_lost", 60.0, _transcribe_lost, "calls whose transcription was lost"),
    Job("scan-breaches", "casebook.scan_breaches", 60.0, _scan_breaches, "clocks that ran out"),
    Job("reports-when-due", "casebook.make_due_reports", 60.0, _reports_when_due, "Monday and month reports"),
    Job("warn-due-soon", "casebook.warn_due_soon", 60.0, _warn_due_soon, "clocks 15 minutes from running out"),
    Job("send-outbox", "casebook.send_outbox", 60.0, _send_outbox, "e-mails waiting to be sent, or sent again"),
    Job("retrain-routing", "casebook.retrain_routing", 3600.0, _retrain_routing, "the routing model, once a day"),
    Job(
        "purge-conversations",
        "casebook.purge_conversations",
        3600.0,
        _purge_conversations,
        "conversation recordings past the retention (HOTLINE_CONVERSATION_RETENTION_DAYS)",
    ),
)


async def run_embedded(host: JobHost, *, tick_s: float = 60.0, jobs: tuple[Job, ...] = JOBS) -> None:
    """Embedded mode's stand-in for Celery beat: every `tick_s`, each job whose cadence has come
    round runs (in a thread: they read and write the database). A failing job is logged and runs
    again on its next turn; it never stops the others."""
    loop = asyncio.get_running_loop()
    last: dict[str, float] = {}
    while True:
        for job in jobs:
            if loop.time() - last.get(job.name, float("-inf")) < job.every_s - tick_s / 2:
                continue
            last[job.name] = loop.time()
            try:
                await asyncio.to_thread(job.run, host)
            except Exception:
                log.exception("the scheduled job %s failed; it runs again on its next turn", job.name)
        await asyncio.sleep(tick_s)
