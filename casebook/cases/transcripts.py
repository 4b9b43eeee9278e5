"""Transcripts of calls as the casebook keeps them, and the states a call's transcript goes through.

A case opened by a call starts `waiting` (its recording is not stored yet), becomes `pending`
once the recording is stored (transcription queued), then `done` (the text is on the case and
screening ran on it) or `failed` (corrupt or empty audio, nothing intelligible said): then the
case keeps its one-hour clock and waits for an intake agent, who listens to the recording.
The casebook imports no speech code: transcripts arrive as this plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

WAITING, PENDING, DONE, FAILED = "waiting", "pending", "done", "failed"
STATES = (WAITING, PENDING, DONE, FAILED)
# file: the stored recording; live: the message as it was said; menu: said at the menu instead of a
# key; call: the rest of the call (to an agent)
Source = Literal["file", "live", "menu", "call"]


@dataclass(frozen=True, slots=True)
class SpeechText:
    """What speech recognition heard, in the casebook's terms."""

    source: Source
    text: str
    language: str
    model: str
    words: list[dict[str, Any]] = field(default_factory=list)  # {word, start, end, conf}
    confidence: float | None = None
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class TranscriptionJob:
    """What the transcription of one call needs to know (read in one query)."""

    call_id: str
    number: str
    status: str
    state: str | None
    recording_name: str | None
    recording_path: str | None
    live: SpeechText | None  # the live transcript of the recording, if the call had one
    screened: bool
