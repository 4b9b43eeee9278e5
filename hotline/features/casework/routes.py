"""The case workspace's live socket: `WebSocket /api/v1/cases/live`. The page sends
`{"token": ...}` first (hotline/pages/live.py), then receives a `case` message for each case it
may see that was opened or changed; it reads the case itself from the API."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from hotline.features.casework.live import CaseFeed
from hotline.features.casework.messages import Following
from hotline.pages import live as live_socket

router = APIRouter(tags=["casework"])


@router.websocket("/api/v1/cases/live")
async def cases_live(websocket: WebSocket) -> None:
    accepted = await live_socket.accept(websocket)
    if accepted is None:
        return
    services, actor, token = accepted
    feed: CaseFeed = websocket.app.state.case_feed
    with feed.reader(actor) as outbox:
        await websocket.send_text(Following().model_dump_json())
        await live_socket.relay(websocket, outbox, services, token)
