"""What the agent page's live socket (/api/v1/desk/live) carries: the desk's whole state at
each change, the live transcript as it is heard, or `Closed`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from hotline.pages.messages import Closed, LiveMessage


class DeskView(BaseModel):
    """The agent's desk as the page shows it (also the answer of every /api/v1/desk action)."""

    username: str
    extension: str
    status: str  # logged_out, available, paused, ringing, on_call, wrap_up
    queues: dict[str, int]
    paused: bool
    reason: str
    phone_online: bool
    call: dict[str, Any] | None  # the call on screen (hotline/features/desk/screenpop.py, DeskCall.to_json)
    pause_reasons: list[dict[str, str]] = []  # what the page offers to pause for (the agent's queues'): code, zh, en


class StateMessage(LiveMessage, DeskView):
    """The agent's whole desk (each message complete: a page that missed one is repaired by the next)."""

    type: Literal["state"] = "state"
    phone: str  # desk or browser
    wrapup_since: float | None
    cancelled: str | None = None  # why the ringing call left the agent (no-answer, the caller left...)


class TranscriptMessage(LiveMessage):
    """What the caller said: a `partial` guess while they speak, then the `final` utterance with
    the whole `transcript` so far."""

    type: Literal["transcript"] = "transcript"
    partial: str | None = None
    final: str | None = None
    transcript: str | None = None


DeskMessage = Annotated[StateMessage | TranscriptMessage | Closed, Field(discriminator="type")]
