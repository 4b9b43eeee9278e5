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
