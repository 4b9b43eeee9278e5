"""What the API says of recorded conversations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casebook.conversations.services import ConversationView


class ConversationOut(BaseModel):
    id: int
    case_number: str | None = Field(description="The case the call opened, if it opened one.")
    agent: str | None = Field(description="The agent who answered.")
    started_at: datetime
    duration_s: float | None
    audio: dict[str, str] = Field(
        description="Each side that can be played (mixed, caller, agent) -> its path; empty once purged."
    )
    caller_text: str | None = Field(description="What speech recognition heard the caller say.")
    agent_text: str | None = Field(description="What speech recognition heard the agent say.")
    transcript_state: str = Field(description="pending, done or failed.")
    purged_at: datetime | None = Field(description="When retention deleted its audio (the record stays).")

    @classmethod
    def of(cls, view: ConversationView) -> ConversationOut:
        return cls(
            id=view.id,
            case_number=view.case_number,
            agent=view.agent,
            started_at=view.started_at,
            duration_s=view.duration_s,
            audio={side: f"/api/v1/conversations/{view.id}/audio/{side}" for side in view.sides},
            caller_text=view.caller_text,
            agent_text=view.agent_text,
            transcript_state=view.transcript_state,
            purged_at=view.purged_at,
        )


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        description="Why the recordings are held (a dispute, a complaint about an agent); null releases the hold."
    )


class HoldOut(BaseModel):
    number: str
    held: bool
    reason: str | None
