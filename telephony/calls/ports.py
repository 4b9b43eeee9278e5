"""What the Stasis application needs from the rest of the platform (wired by `hotline/`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True, slots=True)
class RecordedConversation:
    """A caller's conversation with an agent, as Asterisk recorded it (issue 19)."""

    name: str  # conv-<call>-<epoch>
    call_id: str
    started_at: datetime
    mixed: bytes
    caller: bytes | None  # what the caller said
    agent: bytes | None  # what the caller heard: the agent
    duration_s: float | None


class ConversationSink(Protocol):
    """Where recorded conversations go: the casebook, in production."""

    async def keep_conversation(self, conversation: RecordedConversation) -> None:
        """Store it (idempotent by name: a retry after a crash stores it once)."""
