"""The wallboard's page and its live channel.

- `GET /wallboard` (and its assets): the page, for the center's big screens and the managers;
- `WebSocket /api/v1/wallboard/live`: the page sends `{"token": ...}` first (as the agent page
  does: no token in URLs, which end up in access logs), then gets a `board` message at once and
  after every change (at most two a second, at least one a second while anything is shown);
- `GET /api/v1/wallboard`: the same board once, as JSON.
Supervisors, leaders and administrators (the `reports` permission). Supervisors also act on an
agent from it (`POST /api/v1/wallboard/agents/{agent}/join|pause|sign-out`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, WebSocket
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casebook.api.deps import allowed
from casebook.api.problems import NO_TELEPHONY, Refusal
from casebook.auth.policy import ACTIONS, Actor
from hotline.features.wallboard.messages import BoardMessage
from hotline.features.wallboard.services import Wallboard
from hotline.features.wallboard.supervision import Supervision, SupervisionRefused
from hotline.pages import live as live_socket
from hotline.pages.files import page_file
from telephony.ami.spy import Mode

STATIC = FilePath(__file__).resolve().parent / "static"

router = APIRouter(tags=["wallboard"])
page_router = APIRouter(include_in_schema=False)


def _board(request: Request) -> Wallboard:
    board: Wallboard | None = getattr(request.app.state, "wallboard", None)
    if board is None:
        raise Refusal(503, "the wallboard runs with the telephony application (hotline serve)", NO_TELEPHONY)
    return board


class JoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Mode = Field(description="listen (nobody hears you), whisper (the agent hears you), barge (both do)")


class AgentPauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=48)]


Agent = Annotated[str, Path(pattern=r"^[A-Za-z0-9._@-]{1,64}$", description="The agent's user name.")]
Supervisor = Annotated[Actor, Depends(allowed("supervise"))]


def _supervision(request: Request) -> Supervision:
    found: Supervision | None = getattr(request.app.state, "supervision", None)
    if found is None:
        raise Refusal(503, "supervising agents runs with the telephony application (hotline serve)", NO_TELEPHONY)
    return found


async def _supervise(action: Awaitable[dict[str, Any]], request: Request, agent: str) -> dict[str, Any]:
    request.state.audit = {"target": f"agent:{agent}"}
    try:
        return await action
    except SupervisionRefused as exc:
        raise Refusal(exc.status_code, str(exc), exc.error_id) from exc


@router.post("/api/v1/wallboard/agents/{agent}/join")
async def join_call(request: Request, actor: Supervisor, agent: Agent, body: JoinIn) -> dict[str, Any]:
    """Your phone rings; answered, you are on the agent's call: listening, whispering to the agent,
    or joining both (switch on the phone's keys: 4 listen, 5 whisper, 6 barge)."""
    return await _supervise(_supervision(request).join(actor, agent, body.mode), request, agent)


@router.post("/api/v1/wallboard/agents/{agent}/pause")
async def pause_agent(request: Request, actor: Supervisor, agent: Agent, body: AgentPauseIn) -> dict[str, Any]:
    """Stop the agent's calls, with the reason (your name is added to it)."""
    return await _supervise(_supervision(request).pause(actor, agent, body.reason), request, agent)


@router.post("/api/v1/wallboard/agents/{agent}/sign-out")
async def sign_out_agent(request: Request, actor: Supervisor, agent: Agent) -> dict[str, Any]:
    """Take the agent out of the queues (an agent who left without signing out)."""
    return await _supervise(_supervision(request).sign_out(actor, agent), request, agent)


@router.get("/api/v1/wallboard/agents/{agent}/transcript")
async def agent_call_transcript(request: Request, actor: Supervisor, agent: Agent) -> dict[str, Any]:
    """What the caller on the agent's screen has said so far, as the platform heard it."""
    try:
        return _supervision(request).transcript(agent)
    except SupervisionRefused as exc:
        raise Refusal(exc.status_code, str(exc), exc.error_id) from exc


@router.get("/api/v1/wallboard")
def board_now(request: Request, actor: Annotated[Actor, Depends(allowed("reports"))]) -> BoardMessage:
    """The board as the screens see it now."""
    return _board(request).message()


@router.websocket("/api/v1/wallboard/live")
async def board_live(websocket: WebSocket) -> None:
    accepted = await live_socket.accept(websocket)
    if accepted is None:
        return
    services, actor, token = accepted
    if actor.role not in ACTIONS["reports"]:
        await live_socket.refuse(websocket, 4403, f"the role {actor.role} may not see the wallboard")
        return
    board: Wallboard | None = getattr(websocket.app.state, "wallboard", None)
    if board is None:
        await live_socket.refuse(
            websocket, 4503, "the wallboard runs with the telephony application (hotline serve)", NO_TELEPHONY
        )
        return
    with board.screen() as outbox:
        await websocket.send_text(board.message().model_dump_json())
        await live_socket.relay(websocket, outbox, services, token)


@page_router.get("/wallboard")
def wallboard_page() -> FileResponse:
    return page_file(STATIC, "wallboard.html")


@page_router.get("/wallboard/{name}")
def wallboard_asset(name: str) -> FileResponse:
    return page_file(STATIC, name)
