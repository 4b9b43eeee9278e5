"""The ARI event socket, which reconnects by itself.

Asterisk delivers events for an application to exactly one websocket. When that socket drops
(Asterisk restarted, a proxy cut it, the network blinked) the channels stay in Stasis and wait;
events raised meanwhile are lost. So this socket reconnects quickly (first retry after 50 ms,
backing off to 1 s) and, on every (re)connection, calls `on_connected` so the application can
resynchronise its view of the calls from `GET /channels` before handling new events.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlencode

import websockets
from websockets.asyncio.client import ClientConnection, connect

from telephony.ari.events import AriEvent, parse_event

log = logging.getLogger(__name__)

EventHandler = Callable[[AriEvent], Awaitable[None]]
ConnectionHook = Callable[[], Awaitable[None]]

BACKOFF_START_S = 0.05
BACKOFF_MAX_S = 1.0


class AriEventSocket:
    """Reads events for one application forever, reconnecting as needed."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        app: str,
        *,
        subscribe_all: bool = False,
    ) -> None:
        ws_base = base_url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/")
        query = urlencode(
            {"app": app, "api_key": f"{user}:{password}", "subscribeAll": str(subscribe_all).lower()},
            quote_via=quote,
        )
        self._url = f"{ws_base}/ari/events?{query}"
        self.app = app
        self.connected = asyncio.Event()
        self.connections = 0
        self._ws: ClientConnection | None = None

    async def run(
        self,
        on_event: EventHandler,
        on_connected: ConnectionHook | None = None,
        on_disconnected: ConnectionHook | None = None,
    ) -> None:
        """Connect, deliver events in order, reconnect on any failure; returns only when cancelled."""
        delay = BACKOFF_START_S
        while True:
            try:
                async with connect(self._url, open_timeout=3, ping_interval=5, ping_timeout=5, max_size=2**22) as ws:
                    self._ws = ws
                    self.connections += 1
                    delay = BACKOFF_START_S
                    log.info("ARI event socket connected (app=%s, connection #%d)", self.app, self.connections)
                    self.connected.set()
                    if on_connected is not None:
                        await on_connected()
                    async for message in ws:
                        try:
                            data = json.loads(message)
                        except ValueError:
                            log.warning("ARI sent a message that is not JSON; ignored")
                            continue
                        event = parse_event(data)
                        try:
                            await on_event(event)
                        except Exception:
                            log.exception("handling ARI event %s failed", event.type)
            except asyncio.CancelledError:
                raise
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as exc:
                if self.connected.is_set():
                    log.warning("ARI event socket lost: %s; reconnecting", exc or type(exc).__name__)
                else:
                    log.debug("ARI event socket not available: %s", exc or type(exc).__name__)
            finally:
                self._ws = None
                if self.connected.is_set():
                    self.connected.clear()
                    if on_disconnected is not None:
                        await on_disconnected()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def drop(self) -> None:
        """Close the current connection (it will be re-established): used by operators and tests."""
        if self._ws is not None:
            await self._ws.close()
