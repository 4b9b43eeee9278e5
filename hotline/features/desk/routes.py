"""`/api/v1/desk`: the logged-in agent's own queue state, the call on screen, and the live
channel (WebSocket) the agent page listens to."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Literal

from fastapi import APIRouter, Request, WebSocket
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casebook.agents.services import SIP_REALM
from casebook.api.deps import ActorDep
from casebook.api.problems import NO_TELEPHONY, Refusal
from casebook.cases.schemas import Code, Text4000
from hotline.features.desk.errors import DeskError
from hotline.features.desk.messages import DeskView, StateMessage
from hotline.features.desk.services import AgentDesk, DeskState
from hotline.pages import live as live_socket

router = APIRouter(prefix="/api/v1/desk", tags=["agent desk"])


class DeskOut(DeskView):
    """The desk after an action (the same view as the live socket's `state`)."""


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: Literal["desk", "browser"] = Field(
        default="desk", description="Answer on the desk SIP phone, or on the page's browser softphone."
    )


class SoftphoneOut(BaseModel):
    """What the page's browser softphone (JsSIP) needs; the password is the agent's SIP password."""

    uri: str
    authorization_user: str
    realm: str
    ws_url: str


class CallCaseIn(BaseModel):
    """The case of the call on screen, as the agent saves it."""

    model_config = ConfigDict(extra="forbid")
    description: Text4000 = Field(min_length=1)
    category: Code
    place: Code | None = None
    urgency: str | None = Field(default=None, pattern="^(normal|urgent|critical)$")
    lead_unit: Code | None = Field(default=None, description="Omit to let the routing rules choose.")
    co_units: list[Code] = Field(default_factory=list, max_length=20)


class CallCaseOut(BaseModel):
    case_number: str
    desk: DeskOut


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _desk(request: Request) -> AgentDesk:
    desk: AgentDesk | None = getattr(request.app.state, "desk", None)
    if desk is None:
        raise Refusal(503, "the agent desk runs with the telephony application (hotline serve)", NO_TELEPHONY)
    return desk


def _out(state: DeskState) -> DeskOut:
    return DeskOut(
        username=state.username,
        extension=state.extension,
        status=state.status,
        queues=state.queues,
        paused=state.paused,
        reason=state.reason,
        phone_online=state.phone_online,
        call=state.call.to_json() if state.call is not None else None,
        pause_reasons=state.pause_reasons,
    )


async def _do(action: Awaitable[DeskState]) -> DeskOut:
    try:
        return _out(await action)
    except DeskError as exc:
        raise Refusal(exc.status_code, str(exc), exc.error_id) from exc


@router.get("", response_model=DeskOut)
async def desk_state(request: Request, actor: ActorDep) -> DeskOut:
    return await _do(_desk(request).state(actor))


@router.post("/login", response_model=DeskOut)
async def desk_login(request: Request, actor: ActorDep, body: LoginIn | None = None) -> DeskOut:
    """Join the queues of one's skills (penalties as set by the administrator)."""
    return await _do(_desk(request).login(actor, (body or LoginIn()).phone))


@router.get("/softphone", response_model=SoftphoneOut)
async def softphone(request: Request, actor: ActorDep) -> SoftphoneOut:
    desk = _desk(request)
    state = await _do(desk.state(actor))
    return SoftphoneOut(
        uri=f"sip:{state.extension}-web@{desk.sip_domain}",
        authorization_user=state.extension,
        realm=SIP_REALM,
        ws_url=desk.softphone_ws_url,
    )


@router.post("/logout", response_model=DeskOut)
async def desk_logout(request: Request, actor: ActorDep) -> DeskOut:
    return await _do(_desk(request).logout(actor))


@router.post("/pause", response_model=DeskOut)
async def desk_pause(request: Request, actor: ActorDep, body: PauseIn) -> DeskOut:
    """Stop getting calls (a break, training, paperwork), with the reason the manager sees."""
    return await _do(_desk(request).pause(actor, body.reason))


@router.post("/resume", response_model=DeskOut)
async def desk_resume(request: Request, actor: ActorDep) -> DeskOut:
    return await _do(_desk(request).resume(actor))


@router.post("/ready", response_model=DeskOut)
async def desk_ready(request: Request, actor: ActorDep) -> DeskOut:
    """Wrap-up done: take the next call."""
    return await _do(_desk(request).ready(actor))


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal["queue", "agent", "unit"] = Field(
        description="Into another queue, to another agent's phone, or to a unit's duty phone (needs a carrier)."
    )
    target: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The queue's name, the agent's user name, or the unit's code."
    )


class ConsultEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    how: Literal["complete", "three-way", "cancel"] = Field(
        description="complete: the caller goes to the one consulted; three-way: all three talk (会办); "
        "cancel: back to the caller."
    )


class TransferTargets(BaseModel):
    queues: list[str]
    units: list[dict[str, str]] = Field(
        default_factory=list, description="Units with a duty phone (only when calls out are possible): code, names."
    )
    answering: dict[str, int] = Field(
        description="Per queue, the agents signed in whose phone answers (0: a caller sent there finds nobody)."
    )
    agents: list[dict[str, str | bool]] = Field(
        description="Other agents with a phone: username, extension, status, phone_online (false: nobody would answer)."
    )


@router.get("/transfer-targets", response_model=TransferTargets)
async def transfer_targets(request: Request, actor: ActorDep) -> TransferTargets:
    """Where the call on screen can be handed: the queues, and the other agents with their state."""
    desk = _desk(request)
    await _do(desk.state(actor))
    queues = list(desk.lines.queues) if desk.lines is not None else []
    agents: list[dict[str, str | bool]] = [
        {"username": s.username, "extension": s.extension, "status": s.status, "phone_online": s.phone_online}
        for s in sorted(desk.states.values(), key=lambda s: s.username)
        if s.username != actor.name
    ]
    answering = {
        queue: sum(1 for s in desk.states.values() if queue in s.queues and s.phone_online and s.username != actor.name)
        for queue in queues
    }
    units = await desk.units_with_phones()
    return TransferTargets(queues=queues, agents=agents, answering=answering, units=units)


@router.post("/transfer", response_model=DeskOut)
async def transfer(request: Request, actor: ActorDep, body: TransferIn) -> DeskOut:
    """Hand the caller on without talking first (a blind transfer); you are in wrap-up after."""
    request.state.audit = {"target": f"agent:{actor.name}"}
    return await _do(_desk(request).transfer(actor, body.to, body.target))


@router.post("/consult", response_model=DeskOut)
async def consult(request: Request, actor: ActorDep, body: TransferIn) -> DeskOut:
    """Talk to a queue's agent, an agent or a unit before handing the caller on (an attended
    transfer): the caller hears music meanwhile. Finish with /consult/end."""
    request.state.audit = {"target": f"agent:{actor.name}"}
    return await _do(_desk(request).consult(actor, body.to, body.target))


@router.post("/consult/end", response_model=DeskOut)
async def end_consult(request: Request, actor: ActorDep, body: ConsultEndIn) -> DeskOut:
    """Hand the caller to the one consulted, talk all three together (会办), or go back to the caller."""
    request.state.audit = {"target": f"agent:{actor.name}"}
    return await _do(_desk(request).finish_consult(actor, body.how))


class DialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")] = Field(
        description="The case whose citizen to call."
    )


class DialOut(BaseModel):
    call_id: str
    status: str


@router.post("/dial", response_model=DialOut)
async def dial(request: Request, actor: ActorDep, body: DialIn) -> DialOut:
    """Call the case's citizen: your phone rings first; answer it and the citizen's rings. The call
    is recorded and kept with the case."""
    request.state.audit = {"target": f"case:{body.case}"}
    try:
        state, call_id = await _desk(request).dial_case(actor, body.case)
    except DeskError as exc:
        raise Refusal(exc.status_code, str(exc), exc.error_id) from exc
    return DialOut(call_id=call_id, status=state.status)


@router.post("/calls/{call_id}/case", response_model=CallCaseOut, status_code=201)
async def save_call_case(request: Request, actor: ActorDep, call_id: str, body: CallCaseIn) -> CallCaseOut:
    """Register and dispatch the case of the call on screen in one step (saving twice gives the
    same case)."""
    try:
        state, number = await _desk(request).save_case(actor, call_id, body.model_dump())
    except DeskError as exc:
        raise Refusal(exc.status_code, str(exc), exc.error_id) from exc
    return CallCaseOut(case_number=number, desk=_out(state))


@router.websocket("/live")
async def desk_live(websocket: WebSocket) -> None:
    """The agent page's live channel (protocol: hotline/pages/live.py): `state` and `transcript`
    messages. Closed with 4401 when the session ends."""
    accepted = await live_socket.accept(websocket)
    if accepted is None:
        return
    services, actor, token = accepted
    desk: AgentDesk | None = getattr(websocket.app.state, "desk", None)
    if desk is None:
        await live_socket.refuse(
            websocket, 4503, "the agent desk runs with the telephony application (hotline serve)", NO_TELEPHONY
        )
        return
    try:
        state = await desk.state(actor)
    except DeskError as exc:
        await live_socket.refuse(websocket, 4404, str(exc))
        return
    with desk.live.page(actor.name) as outbox:
        await websocket.send_text(StateMessage.model_validate(state.to_json()).model_dump_json())
        await live_socket.relay(websocket, outbox, services, token)
