"""The pages' live channels (agent page, wallboard): one WebSocket protocol for both.

The page sends `{"token": ...}` first: a browser cannot put a header on a WebSocket, and a token
in the URL would end up in access logs. Then the server relays messages from an outbox (one
bounded queue per open page) and checks the token again every `TOKEN_RECHECK_S`, so a page
finds out soon that its session ended. Refusals are a `closed` message and a close code:
4400 (no token sent), 4401 (session ended), 4403 (role), 4404, 4503 (not served here).
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


async def accept(websocket: WebSocket) -> tuple[Services, Actor, str] | None:
    """Accept the socket and read who is there; None when refused (already closed)."""
    await websocket.accept()
    services: Services = websocket.app.state.services
    try:
        first = json.loads(await asyncio.wait_for(websocket.receive_text(), 10))
        token = str(first.get("token", "")) if isinstance(first, dict) else ""
    except (TimeoutError, ValueError, WebSocketDisconnect):
        await refuse(websocket, 4400, 'send {"token": ...} first')
        return None
    actor = await asyncio.to_thread(services.auth.actor_for_token, token) if token else None
    if actor is None:
        await refuse(websocket, 4401, "your session has ended: log in again")
        return None
    if actor.is_system:  # as over HTTP: the platform's own role is never a person's token
        await refuse(websocket, 4403, "the system role is the platform's own; no person's token carries it")
        return None
    return services, actor, token


async def relay(websocket: WebSocket, outbox: asyncio.Queue[str], services: Services, token: str) -> None:
    """Send what arrives in the outbox until the page closes or its session ends."""
    loop = asyncio.get_running_loop()

    async def send() -> None:
        checked = loop.time()
        while True:
            text: str | None = None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TOKEN_RECHECK_S):  # not wait_for: it can lose a cancellation
                    text = await outbox.get()
            if loop.time() - checked >= TOKEN_RECHECK_S:
                checked = loop.time()
                if await asyncio.to_thread(services.auth.actor_for_token, token) is None:
                    await refuse(websocket, 4401, "your session has ended: log in again")
                    return
            if text is not None:
                await websocket.send_text(text)

    async def receive() -> None:
        while True:  # pages send only keep-alives; reading notices a closed page at once
            await websocket.receive_text()

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
