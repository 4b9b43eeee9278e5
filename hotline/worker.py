"""The Celery worker and beat of the platform (HOTLINE_TASK_MODE=celery).

    celery -A hotline.worker worker        celery -A hotline.worker beat

The tasks: one per scheduled job of `hotline.jobs` (the beat's schedule is that table), and the
work queued by the other processes: screening a case after intake, transcribing a call. Tasks are
acknowledged late (a worker killed mid-task leaves the task to run again) and idempotent. The
Celery app is configured from the settings when it is first used, not at import, and the
casebook and the speech model are built on the first task a worker runs (a worker may start
before the database).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from celery import Celery

from asr.engine import SpeechEngine
from asr.model import load_model, resolve_model_path
from casebook.cases.services import CaseBook
from casebook.notifications.senders import Sender
from casebook.notifications.services import Notifications
from casebook.reports.services import ReportService
from common.settings import get_settings
from hotline.features.transcription.services import LOST_AFTER, NotReady, Transcriber
from hotline.jobs import JOBS, Job
from hotline.root import build_casebook

__all__ = ["NEW_MESSAGE", "app", "screen_task", "send_or_leave_to_sweep", "transcribe_call_task"]

log = logging.getLogger(__name__)


# Urgency on the broker (Redis: 0 first). A case's screening (web, e-mail, a registration) runs
# in milliseconds and its one-hour clock runs: no priority given, it goes first. Then the stored
# messages by their registration clock: those the sweep found lost (older) before new ones. Live
# transcripts never come here: the telephony process screens them at once (issue 18).
LOST_MESSAGE, NEW_MESSAGE = 3, 6
PRIORITY_TRANSPORT = {"priority_steps": list(range(10)), "queue_order_strategy": "priority"}


def _configuration() -> dict[str, Any]:
    settings = get_settings()
    return {
        "broker_url": settings.redis_url,
        "result_backend": settings.redis_url,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "timezone": settings.timezone,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": settings.task_visibility_timeout_s, **PRIORITY_TRANSPORT},
        "beat_schedule": {job.name: {"task": job.task, "schedule": job.every_s} for job in JOBS},
    }


app = Celery("hotline")
app.add_defaults(_configuration)  # read when the app is first configured, not now


@dataclass(frozen=True)
class WorkerHost:
    """What the tasks of one worker process use (the `JobHost` of `hotline.jobs`)."""

    book: CaseBook
    reports: ReportService
    notifications: Notifications
    senders: Mapping[str, Sender]

    def resend_lost_transcriptions(self) -> int:
        lost = self.book.waiting_transcriptions(LOST_AFTER)
        for call_id in lost:  # oldest first, ahead of the messages queued since
            transcribe_call_task.apply_async(args=[call_id], priority=LOST_MESSAGE)
        return len(lost)


@lru_cache(maxsize=1)
def worker_host() -> WorkerHost:
    casebook = build_casebook(get_settings(), pool_size=4)
    return WorkerHost(casebook.book, casebook.reports, casebook.notifications, casebook.senders)


@lru_cache(maxsize=1)
def speech_engine() -> SpeechEngine:
    """The model is loaded on the first transcription of this worker process, once."""
    settings = get_settings()
    return SpeechEngine(load_model(resolve_model_path(settings.vosk_model), settings.asr_language))


@lru_cache(maxsize=1)
def transcriber() -> Transcriber:
    return Transcriber(worker_host().book, speech_engine)


# --- the scheduled jobs ------------------------------------------------------------------------
def _job_task(job: Job) -> Any:
    def run() -> object:
        return job.run(worker_host())

    run.__name__ = run.__qualname__ = job.name.replace("-", "_")
    run.__doc__ = job.why
    return app.task(name=job.task)(run)


JOB_TASKS: dict[str, Any] = {job.name: _job_task(job) for job in JOBS}


# --- the queued work ---------------------------------------------------------------------------
@app.task(name="casebook.screen", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)  # type: ignore[untyped-decorator]
def screen_task(number: str, requested_category: str | None = None) -> bool:
    """Classify, check for duplicates and route one received case (idempotent: a case already
    screened is only re-classified, never registered or dispatched twice)."""
    return worker_host().book.screen(number, requested_category=requested_category).registered


@app.task(  # type: ignore[untyped-decorator]
    name="speech.transcribe_call",
    autoretry_for=(NotReady, OSError),
    retry_backoff=0.5,
    retry_backoff_max=30,
    max_retries=12,
)
def transcribe_call_task(call_id: str) -> dict[str, object]:
    outcome = transcriber().run(call_id)
    return {
        "number": outcome.number,
        "state": outcome.state,
        "source": outcome.source,
        "dispatched": outcome.dispatched,
    }


# a caller or a clerk never waits long on the broker: a few quick tries, then the sweep's turn
SEND_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.4, "interval_max": 1.0}


def send_or_leave_to_sweep(task: Any, *args: object, what: str, priority: int | None = None) -> bool:
    """Queue a task; if the broker cannot be reached (Redis restarting), say so and leave the work
    to the beat's sweep that finds it in the database (`casebook.screen_pending`,
    `speech.transcribe_lost`): the database, not the queue, is what holds the work, so an appeal is
    never refused nor lost because Redis is down."""
    try:
        task.apply_async(args=args, retry=True, retry_policy=SEND_RETRY, priority=priority)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, OSError...
        log.warning("%s not queued (%s: %s); the sweep will pick it up", what, type(exc).__name__, str(exc)[:120])
        return False
    return True
