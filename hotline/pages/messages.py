"""What the live sockets carry, typed: every message is a pydantic model with a `type` that tells
it apart (the discriminator), so the contract lives here and not only in the pages' JavaScript.

Each page's socket has its own union (hotline/features/desk/messages.py, hotline/features/wallboard/messages.py),
made of its own messages and `Closed`, which every socket may send before it closes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class LiveMessage(BaseModel):
    """The base of every live message: its kind, and when it was sent (seconds since the epoch)."""

    type: str
    sent_at: float | None = None


class Closed(LiveMessage):
    """The server refuses or ends the socket: why, as a close code (4400 no token, 4401 session
    ended, 4403 role, 4404 nothing to show, 4503 not served by this process), in words, and as
    the error id pages translate (casebook/api/problems.py)."""

    type: Literal["closed"] = "closed"
    code: int
    reason: str
    error: str
