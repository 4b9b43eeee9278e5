"""Named states of a call as the platform sees it."""

from __future__ import annotations

from enum import StrEnum


class CallState(StrEnum):
    RINGING = "ringing"  # in Stasis, not answered yet
    IN_IVR = "in_ivr"  # answered, prompts and keys
    RECORDING = "recording"  # a message is being recorded
    TRANSFERRED = "transferred"  # handed to a queue (left Stasis alive)
    ENDED = "ended"  # hung up (by either side) or vanished
