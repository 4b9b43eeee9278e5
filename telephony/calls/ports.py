"""What the Stasis application needs from the rest of the platform (wired by `hotline/`)."""

from __future__ import annotations

from typing import Protocol

from asr.schemas import Transcript
from ivr.ports import ReportedCall


class IntakeSink(Protocol):
    """Where recorded messages go: the casebook, in production."""

    async def open_report(self, report: ReportedCall) -> str: ...

    async def attach_recording(
        self, call_id: str, recording_name: str, audio: bytes, media_type: str, duration_s: float | None
    ) -> None:
        """Store the audio with the case; must be idempotent (a retry may send it twice)."""

    async def message_stored(self, call_id: str, live: Transcript | None) -> None:
        """The message is stored: keep its live transcript (if any) and have it transcribed."""

    async def no_recording(self, call_id: str, reason: str) -> None:
        """The call's case will get no audio (nothing was recorded): say so on the case."""

    async def case_of_call(self, call_id: str) -> str | None:
        """The number of the case this call opened, if any."""
