"""`/api/v1/cases/{number}/callback(s)`: an agent's one-click callback, and a case's callbacks.

The request is accepted (202) and the call is placed by the telephony process at the next
calling hour; the answer says when, and whether this installation places calls at all.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path

from casebook.api.deps import ActorDep, ServicesDep
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
