"""The pages' live channels (agent page, wallboard, case list): one WebSocket protocol for all.

The page sends `{"token": ...}` first: a browser cannot put a header on a WebSocket, and a token
in the URL would end up in access logs. Then the server relays messages from an outbox (one
bounded queue per open page) and checks the token again every `TOKEN_RECHECK_S`, so a page
finds out soon that its session ended; a page that refreshed its token sends the new one
(`{"token": ...}` again). Refusals are a `closed` message and a close code: 4400 (no token
sent, or not a small JSON text), 4401 (session ended), 4403 (role, or a page of another site),
4404, 4503 (not served here).

What a socket is sent before its login is checked as an HTTP request is (security trial of
issue 16: a binary frame and a deeply nested first frame crashed the handler without a close
code, and 10 MB first frames were read): only a text frame of at most `FIRST_FRAME_MAX`
characters, an object of plain values. A page of another site (its `Origin` is not this
platform's) is refused before anything is read: a browser sends any site's page's socket here
with the person's cookies, and although the platform uses none, nothing is given away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import WebSocket, WebSocketDisconnect

from casebook.api.deps import Services
from casebook.api.problems import error_id
from casebook.auth.policy import Actor
from hotline.pages.messages import Closed

TOKEN_RECHECK_S = 30.0
FIRST_FRAME_MAX = 4096  # {"token": "<43 characters>"} is 55
FRAME_MAX = 4096  # what a page sends later: keep-alives and a refreshed token


def _same_site(websocket: WebSocket) -> bool:
    """A browser's page of this platform (its Origin is the host it connected to), or a client
    that is no browser (no Origin: it cannot ride on a person's browser)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/").lower() == host.lower()


def token_in(text: str | None, limit: int) -> str | None:
    """The token of a `{"token": "..."}` text frame; None for anything else (a binary frame, a
    long one, a nested one, not JSON)."""
    if text is None or len(text) > limit or not text.lstrip().startswith("{"):
        return None
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    token = message.get("token") if isinstance(message, dict) else None
    return token if isinstance(token, str) and len(token) <= 200 else None


async def accept(websocket: WebSocket) -> tuple[Services, Actor, list[str]] | None:
    """Accept the socket and read who is there; None when refused (already closed). The token
    comes back in a list: `relay` puts a refreshed one in its place."""
    await websocket.accept()
    services: Services = websocket.app.state.services
    if not _same_site(websocket):
        await refuse(websocket, 4403, "this live channel serves the platform's own pages only")
        return None
    try:
        frame = await asyncio.wait_for(websocket.receive(), 10)
    except (TimeoutError, WebSocketDisconnect):
        frame = {}
    if frame.get("type") == "websocket.disconnect":
        return None
    token = token_in(frame.get("text"), FIRST_FRAME_MAX)
    if token is None:
        await refuse(websocket, 4400, 'send {"token": ...} first, as a short JSON text')
        return None
    actor = await asyncio.to_thread(services.auth.actor_for_token, token) if token else None
    if actor is None:
        await refuse(websocket, 4401, "your session has ended: log in again")
        return None
    if actor.is_system:  # as over HTTP: the platform's own role is never a person's token
        await refuse(websocket, 4403, "the system role is the platform's own; no person's token carries it")
        return None
    return services, actor, [token]


async def relay(websocket: WebSocket, outbox: asyncio.Queue[str], services: Services, token: list[str]) -> None:
    """Send what arrives in the outbox until the page closes or its session ends. `token` holds
    the page's token: a refreshed one the page sends replaces it (if it is the same person's)."""
    loop = asyncio.get_running_loop()
    person = await asyncio.to_thread(services.auth.actor_for_token, token[0])

    async def send() -> None:
        checked = loop.time()
        while True:
            text: str | None = None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TOKEN_RECHECK_S):  # not wait_for: it can lose a cancellation
                    text = await outbox.get()
            if loop.time() - checked >= TOKEN_RECHECK_S:
                checked = loop.time()
                if await asyncio.to_thread(services.auth.actor_for_token, token[0]) is None:
                    await refuse(websocket, 4401, "your session has ended: log in again")
                    return
            if text is not None:
                await websocket.send_text(text)

    async def receive() -> None:
        while True:  # keep-alives and refreshed tokens; reading notices a closed page at once
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            text = frame.get("text")
            if text is None or len(text) > FRAME_MAX:
                await refuse(websocket, 4400, "a page sends short text frames only")
                return
            fresh = token_in(text, FRAME_MAX)
            if fresh is None or fresh == token[0]:
                continue
            if await asyncio.to_thread(services.auth.actor_for_token, fresh) == person:
                token[0] = fresh

    sender, receiver = asyncio.create_task(send()), asyncio.create_task(receive())
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task


async def refuse(websocket: WebSocket, code: int, reason: str, error: str | None = None) -> None:
    """Say why (the reason, and the error id pages translate: casebook/api/problems.py), then close."""
    message = Closed(code=code, reason=reason, error=error or error_id(code - 4000))
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_text(message.model_dump_json())
        await websocket.close(code, reason)
