"""The wallboard's page and its live channel.

- `GET /wallboard` (and its assets): the page, for the center's big screens and the managers;
- `WebSocket /api/v1/wallboard/live`: the page sends `{"token": ...}` first (as the agent page
  does: no token in URLs, which end up in access logs), then gets a `board` message at once and
  after every change (at most two a second, at least one a second while anything is shown);
- `GET /api/v1/wallboard`: the same board once, as JSON.
Supervisors, leaders and administrators (the `reports` permission).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, WebSocket
from fastapi.responses import FileResponse

from casebook.api.deps import allowed
from casebook.api.problems import NO_TELEPHONY, Refusal
from casebook.auth.policy import ACTIONS, Actor
from hotline.features.wallboard.messages import BoardMessage
from hotline.features.wallboard.services import Wallboard
from hotline.pages import live as live_socket
from hotline.pages.files import page_file

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(tags=["wallboard"])
page_router = APIRouter(include_in_schema=False)


def _board(request: Request) -> Wallboard:
    board: Wallboard | None = getattr(request.app.state, "wallboard", None)
    if board is None:
        raise Refusal(503, "the wallboard runs with the telephony application (hotline serve)", NO_TELEPHONY)
    return board


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
