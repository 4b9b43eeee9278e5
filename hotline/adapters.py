"""Adapters between packages that must not know each other (ivr/telephony <-> casebook).

The casebook's services are synchronous; the telephony process is asyncio: every call crosses
in a worker thread, so a slow database never stalls the calls in progress.
"""

from __future__ import annotations

import asyncio

from casebook.auth.policy import Actor, Role
from casebook.cases.services import CaseBook, NewAppeal
from casebook.directory.seed import LineChannel
from ivr.ports import CaseStatusView, ReportedCall
from telephony.calls.notifier import CallNotifier

IVR = Actor("ivr", Role.SYSTEM)
FALLBACK = Actor("dialplan-fallback", Role.SYSTEM)


def line_channel(number: str) -> str:
    return LineChannel(number, "", "").code


class CasebookIntake:
    """The IVR's `IntakePort` and telephony's `IntakeSink`, served by the casebook."""

    def __init__(self, book: CaseBook) -> None:
        self.book = book

    async def open_report(self, report: ReportedCall) -> str:
        appeal = NewAppeal(
            channel=line_channel(report.line_number) if report.line_number else "phone",
            caller_phone=report.caller_number or None,
            line_number=report.line_number or None,
            call_id=report.call_id,
            received_at=report.started_at,
            origin=report.origin,
            language=report.language,
            ivr_path=report.ivr_path,
        )
        case = await asyncio.to_thread(self.book.open, appeal, FALLBACK if report.origin == "fallback" else IVR)
        return case.number

    async def attach_recording(
        self, call_id: str, recording_name: str, audio: bytes, media_type: str, duration_s: float | None
    ) -> None:
        await asyncio.to_thread(self.book.attach_recording, call_id, recording_name, audio, media_type, duration_s)

    async def case_status(self, number: str) -> CaseStatusView | None:
        status = await asyncio.to_thread(self.book.status_of, number)
        return CaseStatusView(number, status) if status else None


class FlowEvents:
    """The IVR's `EventsPort`, published by the call notifier."""

    def __init__(self, notifier: CallNotifier) -> None:
        self.notifier = notifier

    def emit(self, call_id: str, event: str, /, **data: object) -> None:
        self.notifier.emit(call_id, event, **data)
