"""Adapters between packages that must not know each other (ivr/telephony <-> casebook).

The casebook's services are synchronous; the telephony process is asyncio: every call crosses
in a worker thread, so a slow database never stalls the calls in progress.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from asr.schemas import Transcript
from casebook.auth.policy import Actor, Role
from casebook.callbacks.services import CallbackService
from casebook.cases import transcripts
from casebook.cases.errors import CasebookError
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.cases.transcripts import SpeechText
from casebook.conversations.services import ConversationAudio
from casebook.directory.seed import line_channel_code
from ivr.ports import CaseStatusView, ReportedCall, Utterance
from telephony.calls.notifier import CallNotifier
from telephony.calls.ports import RecordedConversation

log = logging.getLogger(__name__)

IVR = Actor("ivr", Role.SYSTEM)
FALLBACK = Actor("dialplan-fallback", Role.SYSTEM)


def speech_text(transcript: Transcript, source: str | None = None) -> SpeechText:
    """asr's transcript in the casebook's terms."""
    return SpeechText(
        source=source or transcript.source,  # type: ignore[arg-type]
        text=transcript.text,
        language=transcript.language,
        model=transcript.model,
        words=[w.to_json() for w in transcript.words],
        confidence=transcript.confidence,
        duration_s=transcript.duration_s,
    )


class CasebookIntake:
    """The IVR's `IntakePort` and telephony's `IntakeSink`, served by the casebook."""

    def __init__(
        self,
        book: CaseBook,
        transcribe: Callable[[str], None] | None = None,
        screen_live: Callable[[str], object | None] | None = None,
    ) -> None:
        self.book = book
        self.transcribe = transcribe  # queue a call's transcription (Celery task or in-process thread)
        self.screen_live = screen_live  # keep and screen a live transcript now; None: it had none
        # the IVR and the recording keeper may open the same call's case at once: one at a time per
        # call, so the second finds the first's case instead of spending a case number
        self._opening: dict[str, asyncio.Lock] = {}

    async def open_report(self, report: ReportedCall) -> str:
        appeal = NewAppeal(
            channel=line_channel_code(report.line_number) if report.line_number else "phone",
            caller_phone=report.caller_number or None,
            line_number=report.line_number or None,
            call_id=report.call_id,
            received_at=report.started_at,
            origin=report.origin,
            language=report.language,
            ivr_path=report.ivr_path,
            call_back=report.call_back,
        )
        lock = self._opening.setdefault(report.call_id, asyncio.Lock())
        try:
            async with lock:
                actor = FALLBACK if report.origin == "fallback" else IVR
                case = await asyncio.to_thread(self.book.open, appeal, actor)
        finally:
            if not lock.locked():
                self._opening.pop(report.call_id, None)
        return case.number

    async def attach_recording(
        self, call_id: str, recording_name: str, audio: bytes, media_type: str, duration_s: float | None
    ) -> None:
        await asyncio.to_thread(self.book.attach_recording, call_id, recording_name, audio, media_type, duration_s)

    async def message_stored(self, call_id: str, live: Transcript | None) -> None:
        if live is not None and not live.empty:
            await asyncio.to_thread(self.book.keep_call_transcript, call_id, speech_text(live, "live"))
            # nothing to decode: screened now, not queued behind stored messages being decoded
            if self.screen_live is not None and await self._screened_now(self.screen_live, call_id):
                return
        if self.transcribe is not None:
            await asyncio.to_thread(self.transcribe, call_id)

    @staticmethod
    async def _screened_now(screen: Callable[[str], object | None], call_id: str) -> bool:
        """Whether the live transcript was kept and screened here (else the queue does it)."""
        try:
            return await asyncio.to_thread(screen, call_id) is not None
        except Exception:
            log.exception("the live transcript of call %s could not be screened now; queued", call_id)
            return False

    async def no_recording(self, call_id: str, reason: str) -> None:
        await asyncio.to_thread(self.book.transcription_failed, call_id, f"no recording: {reason}")

    async def case_of_call(self, call_id: str) -> str | None:
        return await asyncio.to_thread(self.book.number_of_call, call_id)

    async def keep_spoken(self, call_id: str, utterance: Utterance, language: str) -> None:
        confs = [float(str(w["conf"])) for w in utterance.words if "conf" in w]
        speech = SpeechText(
            "menu",
            utterance.text,
            utterance.language or language,
            utterance.model,
            [dict(w) for w in utterance.words],
            round(sum(confs) / len(confs), 3) if confs else None,
            utterance.duration_s,
        )
        await asyncio.to_thread(self.book.keep_call_transcript, call_id, speech)

    async def spoken_report_only(self, call_id: str) -> None:
        def finish() -> None:
            nothing_more = SpeechText("menu", "", "", "")
            if self.book.store_transcript(call_id, nothing_more) == transcripts.DONE:
                job = self.book.transcription_job(call_id)
                if job is not None:
                    self.book.screen(job.number)

        await asyncio.to_thread(finish)

    async def keep_call_transcript(self, call_id: str, transcript: Transcript) -> None:
        """What the caller said after the IVR (to an agent), kept by call id."""
        await asyncio.to_thread(self.book.keep_call_transcript, call_id, speech_text(transcript, "call"))

    async def case_status(self, number: str) -> CaseStatusView | None:
        status = await asyncio.to_thread(self.book.status_of, number)
        return CaseStatusView(number, status) if status else None


class FlowEvents:
    """The IVR's `EventsPort`, published by the call notifier."""

    def __init__(self, notifier: CallNotifier) -> None:
        self.notifier = notifier

    def emit(self, call_id: str, event: str, /, **data: object) -> None:
        self.notifier.emit(call_id, event, **data)


class CasebookConversations:
    """Telephony's `ConversationSink`, served by the casebook: a recorded conversation stored,
    then both its sides transcribed in the background."""

    def __init__(self, book: CaseBook, transcribe: Callable[[], None] | None = None) -> None:
        self.book = book
        self.transcribe = transcribe

    async def keep_conversation(self, conversation: RecordedConversation) -> None:
        audio = ConversationAudio(
            name=conversation.name,
            call_id=conversation.call_id,
            started_at=conversation.started_at,
            mixed=conversation.mixed,
            caller=conversation.caller,
            agent=conversation.agent,
            duration_s=conversation.duration_s,
        )
        await asyncio.to_thread(self.book.conversations.keep, audio)
        if self.transcribe is not None:
            self.transcribe()


class CasebookPlaces:
    """The IVR's `PlacesPort`: a caller who pressed 2 in a queue is called back by the dialler
    when an agent of that queue is free (a callback of reason "queue" on their message's case)."""

    def __init__(self, callbacks: CallbackService) -> None:
        self.callbacks = callbacks

    async def keep_place(self, case_number: str, queue: str) -> bool:
        try:
            view = await asyncio.to_thread(self.callbacks.keep_place, case_number, queue, IVR)
        except (CasebookError, SQLAlchemyError) as exc:
            log.error("case %s: the place in queue %s could not be kept: %s", case_number, queue, exc)
            return False
        return view is not None
