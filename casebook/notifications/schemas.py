"""API schemas of the bell."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(
        description="dispatched, due_soon, unsatisfied, leader_duty, extension_asked, extension_decided, "
        "back_to_unit (the case comes back to the unit), leader_decision"
    )
    case_number: str
    detail: dict[str, Any]
    at: datetime
    read: bool


class Bell(BaseModel):
    unread: int
    items: list[NotificationOut]


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] | None = Field(default=None, max_length=500, description="Omit to mark every one read.")


Address = Annotated[str, StringConstraints(max_length=128, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")]


class UnitMailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Address | None = None
    by_email: bool = Field(description="Send the unit's notifications to `email` too.")


class UnitMailOut(BaseModel):
    unit: str
    email: str | None
    by_email: bool
