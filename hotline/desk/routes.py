"""`/api/v1/desk`: the logged-in agent's own queue state (the agent page calls these)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, StringConstraints

from casebook.api.deps import ActorDep
from hotline.desk.errors import DeskError
from hotline.desk.services import AgentDesk, DeskState

router = APIRouter(prefix="/api/v1/desk", tags=["agent desk"])


class DeskOut(BaseModel):
    username: str
    extension: str
    status: str  # logged_out, available, paused
    queues: dict[str, int]
    reason: str


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
        reason=state.reason,
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
async def desk_login(request: Request, actor: ActorDep) -> DeskOut:
    """Join the queues of one's skills (penalties as set by the administrator)."""
    return await _do(_desk(request).login(actor))


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
