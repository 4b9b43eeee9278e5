"""API schemas of callbacks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CallbackOut(BaseModel):
    id: int
    case_number: str
    reason: str = Field(
        description="satisfaction (after a reply), agent (one click on the case page) or queue (a caller "
        "waiting in a queue pressed 2: called back when an agent of that queue is free)"
    )
    queue: str | None = Field(None, description="The queue a keep-my-place callback returns the citizen to.")
    requested_by: str
    state: str = Field(description="due, calling, done, no_verdict, failed, cancelled")
    attempts: int = Field(description="Calls placed so far.")
    next_attempt_at: datetime = Field(description="When the next call may be placed (inside the calling hours).")
    last_result: str | None = Field(description="busy, no-answer, no-input, satisfied, ... of the last call")
    verdict: str | None
    created_at: datetime
    updated_at: datetime


class CallbackAccepted(CallbackOut):
    placing: bool = Field(description="Whether this installation places calls now (a carrier is configured).")
    note: str = ""
