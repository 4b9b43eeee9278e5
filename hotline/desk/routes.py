"""`/api/v1/desk`: the logged-in agent's own queue state, the call on screen, and the live
channel (WebSocket) the agent page listens to."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casebook.agents.services import SIP_REALM
from casebook.api.deps import ActorDep, Services
from casebook.cases.schemas import Code, Text4000
from hotline.desk.errors import DeskError
from hotline.desk.services import AgentDesk, DeskState

router = APIRouter(prefix="/api/v1/desk", tags=["agent desk"])
TOKEN_RECHECK_S = 30.0  # an open page finds out this soon that its session has ended


class DeskOut(BaseModel):
    username: str
    extension: str
    status: str  # logged_out, available, paused, ringing, on_call, wrap_up
    queues: dict[str, int]
    paused: bool
    reason: str
    phone_online: bool
    call: dict[str, Any] | None


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
        raise HTTPException(503, "the agent desk runs with the telephony application (hotline serve)")
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
    )


async def _do(action: Awaitable[DeskState]) -> DeskOut:
    try:
        return _out(await action)
    except DeskError as exc:
        raise HTTPException(exc.status_code, str(exc)) from exc


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


@router.post("/calls/{call_id}/case", response_model=CallCaseOut, status_code=201)
async def save_call_case(request: Request, actor: ActorDep, call_id: str, body: CallCaseIn) -> CallCaseOut:
    """Register and dispatch the case of the call on screen in one step (saving twice gives the
    same case)."""
    try:
        state, number = await _desk(request).save_case(actor, call_id, body.model_dump())
    except DeskError as exc:
        raise HTTPException(exc.status_code, str(exc)) from exc
    return CallCaseOut(case_number=number, desk=_out(state))


@router.websocket("/live")
async def desk_live(websocket: WebSocket) -> None:
    """The agent page's live channel. The page sends `{"token": ...}` first (a browser cannot
    put a header on a WebSocket, and a token in the URL would end up in access logs); then it
    receives `state` and `transcript` messages. Closed with 4401 when the session ends."""
    await websocket.accept()
    services: Services = websocket.app.state.services
    desk: AgentDesk | None = getattr(websocket.app.state, "desk", None)
    try:
        first = json.loads(await asyncio.wait_for(websocket.receive_text(), 10))
        token = str(first.get("token", "")) if isinstance(first, dict) else ""
    except (TimeoutError, ValueError, WebSocketDisconnect):
        await _refuse(websocket, 4400, 'send {"token": ...} first')
        return
    actor = await asyncio.to_thread(services.auth.actor_for_token, token) if token else None
    if actor is None:
        await _refuse(websocket, 4401, "your session has ended: log in again")
        return
    if desk is None:
        await _refuse(websocket, 4503, "the agent desk runs with the telephony application (hotline serve)")
        return
    try:
        state = await desk.state(actor)
    except DeskError as exc:
        await _refuse(websocket, 4404, str(exc))
        return
    with desk.live.page(actor.name) as outbox:
        await websocket.send_text(json.dumps({"type": "state", **state.to_json()}, ensure_ascii=False, default=str))
        await _relay(websocket, outbox, services, token)


async def _relay(websocket: WebSocket, outbox: asyncio.Queue[str], services: Services, token: str) -> None:
    async def send() -> None:
        while True:
            try:
                text = await asyncio.wait_for(outbox.get(), TOKEN_RECHECK_S)
            except TimeoutError:
                if await asyncio.to_thread(services.auth.actor_for_token, token) is None:
                    await _refuse(websocket, 4401, "your session has ended: log in again")
                    return
                continue
            await websocket.send_text(text)

    async def receive() -> None:
        while True:  # the page sends only keep-alives; reading notices a closed page at once
            await websocket.receive_text()

    sender, receiver = asyncio.create_task(send()), asyncio.create_task(receive())
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task


async def _refuse(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_text(json.dumps({"type": "closed", "code": code, "reason": reason}))
        await websocket.close(code, reason)
