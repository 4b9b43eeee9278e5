"""`/api/v1/cases/{number}/callback(s)`: an agent's one-click callback, and a case's callbacks.

The request is accepted (202) and the call is placed by the telephony process at the next
calling hour; the answer says when, and whether this installation places calls at all.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casebook.api.deps import ActorDep, AdminDep, ServicesDep
from casebook.callbacks.schemas import CallbackAccepted, CallbackOut
from casebook.callbacks.services import CallbackService, CallbackView

router = APIRouter(prefix="/api/v1/cases", tags=["callbacks"])
Number = Annotated[str, Path(pattern=r"^[0-9]{1,20}$", description="The case number (digits).")]


def _service(svc: ServicesDep) -> CallbackService:
    return svc.callbacks or CallbackService(svc.book)


def _out(view: CallbackView) -> dict[str, Any]:
    data = asdict(view)
    data.pop("case_status")
    return data


@router.post("/{number}/callback", response_model=CallbackAccepted, status_code=202)
def request_callback(svc: ServicesDep, actor: ActorDep, number: Number) -> CallbackAccepted:
    """Call the citizen back and ask for their verdict on the reply (intake agents, supervisors)."""
    view = _service(svc).request(number, actor)
    placing, why = svc.callbacks_placing
    return CallbackAccepted(**_out(view), placing=placing, note=why)


@router.get("/{number}/callbacks", response_model=list[CallbackOut])
def list_callbacks(svc: ServicesDep, actor: ActorDep, number: Number) -> list[CallbackOut]:
    return [CallbackOut(**_out(view)) for view in _service(svc).of_case(number, actor)]


settings_router = APIRouter(prefix="/api/v1/settings", tags=["callbacks"])


class CallbackHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hours: Annotated[str, StringConstraints(min_length=11, max_length=11)] = Field(
        description="HH:MM-HH:MM in the center's time zone, within one day: when citizens may be called."
    )


class CallbackHoursOut(BaseModel):
    hours: str
    set_by_administrator: bool = Field(description="false: the installation's HOTLINE_CALLBACK_HOURS.")


@settings_router.get("/callback-hours", response_model=CallbackHoursOut)
def callback_hours(svc: ServicesDep, actor: AdminDep) -> CallbackHoursOut:
    spec, set_here = _service(svc).hours.spec()
    return CallbackHoursOut(hours=spec, set_by_administrator=set_here)


@settings_router.put("/callback-hours", response_model=CallbackHoursOut)
def set_callback_hours(svc: ServicesDep, actor: AdminDep, body: CallbackHoursIn, request: Request) -> CallbackHoursOut:
    """When satisfaction callbacks may call citizens; every process follows within half a minute."""
    hours = _service(svc).hours
    before, _ = hours.spec()
    done = hours.set(body.hours, actor.name)
    request.state.audit = {
        "target": "setting:callback_hours",
        "before": {"hours": before},
        "after": {"hours": done.spec()},
    }
    return CallbackHoursOut(hours=done.spec(), set_by_administrator=True)
