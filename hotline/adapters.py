"""Adapters between packages that must not know each other (ivr/telephony <-> casebook)."""

from __future__ import annotations

from casebook.intake import IntakeService, PhoneReport
from ivr.ports import CaseStatusView, ReportedCall
from telephony.calls.notifier import CallNotifier


class CasebookIntake:
    """The IVR's `IntakePort` and telephony's `IntakeSink`, served by the casebook."""

    def __init__(self, service: IntakeService) -> None:
        self.service = service

    async def open_report(self, report: ReportedCall) -> str:
        return await self.service.open_phone_case(
            PhoneReport(
                call_id=report.call_id,
                line_number=report.line_number,
                caller_number=report.caller_number,
                received_at=report.started_at,
                origin=report.origin,
                language=report.language,
                ivr_path=report.ivr_path,
                recording_name=report.recording_name,
                recording_duration_s=report.recording_duration_s,
            )
        )

    async def attach_recording(
        self, call_id: str, recording_name: str, audio: bytes, media_type: str, duration_s: float | None
    ) -> None:
        await self.service.attach_recording(call_id, recording_name, audio, media_type, duration_s)

    async def case_status(self, number: str) -> CaseStatusView | None:
        status = await self.service.case_status(number)
        return CaseStatusView(status.number, status.status) if status else None


class FlowEvents:
    """The IVR's `EventsPort`, published by the call notifier."""

    def __init__(self, notifier: CallNotifier) -> None:
        self.notifier = notifier

    def emit(self, call_id: str, event: str, /, **data: object) -> None:
        self.notifier.emit(call_id, event, **data)
