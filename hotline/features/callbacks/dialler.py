"""Satisfaction callbacks, wired: the casebook's schedule, the trunk, and the dialog.

A reply recorded on a case schedules a callback (the casebook's `case.replied` notice); the
loop here claims the due ones (at most `callback_max_concurrent` at once), dials each through
the carrier trunk, runs the satisfaction dialog when the citizen answers, and hands the outcome
back to the casebook, which puts a verdict on the case or schedules the next attempt.

The loop runs in the process that holds the Stasis application, in both task modes: an
answered call enters the application of that process, so no Celery worker could run the
dialog (decision 0010). Several such processes may run it: claims never overlap.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from casebook.callbacks.hours import CallingHours
from casebook.callbacks.services import CallbackPolicy, CallbackService, CallbackView, CallOutcome, DueCallback
from casebook.cases.errors import CasebookError
from casebook.cases.notices import CaseNotice
from casebook.cases.services import CaseBook
from common.bus import EventBus, PlatformEvent
from common.privacy import mask_number
from common.settings import CallbackSettings
from hotline.adapters import FlowEvents
from ivr.callback import BackToQueue, CallbackTimings, SatisfactionDialog
from ivr.lines import LANGUAGES, LineBook, LineProfile
from telephony.ami.client import AmiAgents
from telephony.ari.client import AriClient
from telephony.calls.notifier import CallNotifier
from telephony.calls.outbound import OutboundCalls, OutboundRequest
from telephony.calls.session import CallSession

log = logging.getLogger(__name__)

RECORD_RETRIES = 6
RECORD_RETRY_S = 5.0


def callback_policy(settings: CallbackSettings) -> CallbackPolicy:
    return CallbackPolicy(
        CallingHours.parse(settings.hours, settings.timezone),
        retry_delay=timedelta(minutes=settings.retry_delay_min),
        max_attempts=settings.max_attempts,
        enabled=settings.enabled,
    )


def placing(settings: CallbackSettings) -> tuple[bool, str]:
    """Whether this installation places callbacks, and if not, why (for /status and the API)."""
    if not settings.enabled:
        return False, "callbacks are switched off (HOTLINE_CALLBACK_ENABLED=false)"
    if not settings.carrier_uri:
        return False, "HOTLINE_CARRIER_URI is not set: callbacks wait until a carrier is configured"
    return True, ""


class CallbackDialler:
    def __init__(
        self,
        settings: CallbackSettings,
        service: CallbackService,
        outbound: OutboundCalls,
        notifier: CallNotifier,
        lines: LineBook,
        agents: AmiAgents | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.outbound = outbound
        self.notifier = notifier
        self.lines = lines
        self.agents = agents  # who is free in each queue (keep-my-place callbacks wait for one)
        self.jobs: dict[str, DueCallback] = {}  # call id -> the callback it places
        self.dialogs: dict[str, SatisfactionDialog | BackToQueue] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def build(
        cls,
        settings: CallbackSettings,
        book: CaseBook,
        ari: AriClient,
        bus: EventBus,
        notifier: CallNotifier,
        lines: LineBook,
        agents: AmiAgents | None = None,
    ) -> CallbackDialler:
        """The service listening to the casebook, its notices on the bus, and the dialler."""
        service = CallbackService(book, callback_policy(settings))
        book.subscribe(service.on_case_notice)

        def publish(notice: CaseNotice) -> None:
            bus.publish(
                PlatformEvent(notice.kind, "-", {"case": notice.number, "status": notice.status, **notice.data})
            )

        service.subscribe(publish)
        return cls(settings, service, OutboundCalls(ari), notifier, lines, agents)

    @property
    def placing(self) -> tuple[bool, str]:
        return placing(self.settings)

    # --- the loop ---------------------------------------------------------------------------------
    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Place due callbacks until cancelled (only while the Stasis application is connected:
        an answered call must find it, and a failed originate would waste an attempt)."""
        ok, why = self.placing
        if not ok:
            log.warning("callbacks are not placed: %s", why)
            return
        try:
            while True:
                try:
                    await asyncio.to_thread(self.service.schedule_missed)
                    free = self.settings.max_concurrent - len(self._tasks)
                    if free > 0 and (ready is None or ready.is_set()):
                        agents_free = await self._agents_free()
                        for job in await asyncio.to_thread(partial(self.service.due, free, free=agents_free)):
                            task = asyncio.create_task(self.place(job))
                            self._tasks.add(task)
                            task.add_done_callback(self._tasks.discard)
                except Exception:
                    log.exception("placing callbacks failed; trying again shortly")
                await asyncio.sleep(self.settings.scan_interval_s)
        finally:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def place(self, job: DueCallback) -> None:
        """One attempt: dial, let the dialog ask, record what came of it."""
        call_id = f"callback-{job.id}-{job.attempt}-{secrets.token_hex(3)}"
        line = self._line_for(job)
        self.jobs[call_id] = job
        try:
            self.notifier.emit(
                call_id,
                "callback.dialling",
                callback=job.id,
                case=job.case_number,
                attempt=job.attempt,
                reason=job.reason,
                to=mask_number(job.phone),
                line=line.number,
            )
            request = OutboundRequest(
                call_id, job.phone, line.number, ("callback", str(job.id)), self.settings.ring_timeout_s
            )
            result = await self.outbound.place(request)
            dialog = self.dialogs.get(call_id)
            if result.answered:
                outcome = CallOutcome(
                    dialog.outcome if dialog else "hangup", True, dialog.verdict if dialog else None, call_id
                )
            else:
                outcome = CallOutcome(result.cause, False, None, call_id, result.detail)
            view = await self._record(job, outcome)  # first, so that the event tells what follows
            after = {
                "state": view.state if view else None,
                "next_attempt_at": view.next_attempt_at.isoformat() if view and view.state == "due" else None,
            }
            if result.answered:
                self.notifier.emit(
                    call_id,
                    "callback.verdict",
                    callback=job.id,
                    case=job.case_number,
                    verdict=outcome.verdict,
                    result=outcome.result,
                    case_status=view.case_status if view else None,
                    **after,
                )
            else:
                self.notifier.emit(
                    call_id,
                    "callback.failed",
                    callback=job.id,
                    case=job.case_number,
                    attempt=job.attempt,
                    cause=result.cause,
                    code=result.cause_code,
                    **after,
                )
        finally:
            self.jobs.pop(call_id, None)
            self.dialogs.pop(call_id, None)

    async def _record(self, job: DueCallback, outcome: CallOutcome) -> CallbackView | None:
        """Hand the outcome to the casebook; a database outage is waited out (briefly): the
        claim's lease is the last resort, and it costs the citizen a second call."""
        for attempt in range(RECORD_RETRIES):
            try:
                return await asyncio.to_thread(self.service.record, job.id, outcome)
            except CasebookError as exc:
                log.error("callback %s: outcome %s not recorded: %s", job.id, outcome.result, exc)
                return None
            except SQLAlchemyError as exc:
                log.warning("callback %s: the database refused the outcome (%s); retrying", job.id, exc)
                if attempt + 1 < RECORD_RETRIES:
                    await asyncio.sleep(RECORD_RETRY_S)
        log.error("callback %s: outcome %s lost; the callback will be placed again", job.id, outcome.result)
        return None

    # --- the dialog (the Stasis application's flow for answered callbacks) -------------------------------
    async def run_callback(self, session: CallSession) -> str:
        job = self.jobs.get(session.call_id)
        if job is None:
            return "unknown-callback"
        line = self._line_for(job)
        session.leg.language = job.language if job.language in LANGUAGES else line.language
        if job.queue:
            return await self._back_to_queue(session, job, job.queue, line)
        dialog = SatisfactionDialog(
            session.leg,
            callback_id=job.id,
            case_number=job.case_number,
            greeting=f"greeting-{line.code}",
            events=FlowEvents(self.notifier),
            timings=CallbackTimings(answer_timeout_s=self.settings.answer_timeout_s),
        )
        self.dialogs[session.call_id] = dialog
        session.progress = lambda: dialog.outcome
        return await dialog.run()

    async def _back_to_queue(self, session: CallSession, job: DueCallback, queue: str, line: LineProfile) -> str:
        back = BackToQueue(
            session.leg,
            callback_id=job.id,
            case_number=job.case_number,
            queue=queue,
            line={
                "number": line.number,
                "code": line.code,
                "language": session.leg.language,
                "queue_wait_s": str(line.queue_wait_s or self.settings.queue_wait_s),
                "caller": job.phone,
            },
            greeting=f"greeting-{line.code}",
            recording_notice=self.settings.recording_notice,
            events=FlowEvents(self.notifier),
        )
        self.dialogs[session.call_id] = back
        session.progress = lambda: back.outcome
        return await back.run()

    async def _agents_free(self) -> dict[str, int]:
        """Agents free per queue, less the keep-my-place calls ringing for them now: a place is
        called back only when an agent can take the citizen."""
        if self.agents is None:
            return {}
        free = await self.agents.agents_free()
        for job in self.jobs.values():
            if job.queue and job.queue in free:
                free[job.queue] -= 1
        return free

    def _line_for(self, job: DueCallback) -> LineProfile:
        """The line the case came in on (the citizen knows that number), else the first line."""
        return (job.line_number and self.lines.by_number(job.line_number)) or self.lines.lines[0]

    async def health(self) -> dict[str, Any]:
        ok, why = self.placing
        counts = await asyncio.to_thread(self.service.counts)
        return {"ok": True, "placing": ok, **({"why": why} if why else {}), **counts, "calls_now": len(self.jobs)}
