"""`GET /api/v1/calls/{call_id}/events`: what happened on one call (or to one agent), in order.

The call id is the one on a case (`call_id`), in `agent.case-saved` events, and in the platform's
events; an agent's own events are under `agent:<user name>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from casebook.api.deps import ServicesDep, allowed
from casebook.auth.policy import Actor
from casebook.calllog.services import CallLog

router = APIRouter(prefix="/api/v1/calls", tags=["call log"])
CallId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9.:_@-]+$")]


class CallEventOut(BaseModel):
    at: datetime
    name: str
    data: dict[str, Any]


@router.get("/{call_id}/events", response_model=list[CallEventOut])
def call_events(
    svc: ServicesDep, call_id: CallId, actor: Annotated[Actor, Depends(allowed("read_all"))]
) -> list[CallEventOut]:
    """Every stored event of the call, oldest first (an empty list for a call never seen)."""
    return [CallEventOut(at=e.at, name=e.name, data=e.data) for e in CallLog(svc.book.sessions).of_call(call_id)]
