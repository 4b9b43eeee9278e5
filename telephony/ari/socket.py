"""The ARI event socket, which reconnects by itself.

Asterisk delivers events for an application to exactly one websocket. When that socket drops
(Asterisk restarted, a proxy cut it, the network blinked) the channels stay in Stasis and wait;
events raised meanwhile are lost. So this socket reconnects quickly (first retry after 50 ms,
backing off to 1 s) and, on every (re)connection, calls `on_connected` so the application can
resynchronise its view of the calls from `GET /channels` before handling new events.

The same socket carries REST requests and their answers (Asterisk 22.4 and later, "ARI REST
over WebSocket"): a request costs the application a thirtieth of an HTTP exchange (0.03 against
0.83 ms of CPU, measured against this Asterisk, issue 18) and no connection pool. So events are
read by one task and delivered in order by another: a handler that waits for a request's answer
never stops the socket from reading that answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import websockets
from websockets.asyncio.client import ClientConnection, connect

from telephony.ari.events import AriEvent, parse_event

log = logging.getLogger(__name__)

EventHandler = Callable[[AriEvent], Awaitable[None]]
ConnectionHook = Callable[[], Awaitable[None]]

BACKOFF_START_S = 0.05
BACKOFF_MAX_S = 1.0
PING_TIMEOUT_S = 20.0  # a busy Asterisk answers pings late (seen 5 s under overload); a dead one closes


class SocketRequestFailed(Exception):
    """A request over the socket got no answer: not connected, the connection was lost before the
    answer (Asterisk may or may not have acted), or no answer in time."""

    def __init__(self, reason: str, *, sent: bool) -> None:
        super().__init__(reason)
        self.sent = sent  # False: it never left, so sending it another way is safe


@dataclass(frozen=True, slots=True)
class SocketAnswer:
    """Asterisk's RESTResponse: an HTTP answer in a websocket message."""

    status: int
    reason: str
    content_type: str
    body: str


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
        self.answers = 0  # REST answers received over this socket (0: Asterisk may not offer it)
        self._ws: ClientConnection | None = None
        self._waiting: dict[str, asyncio.Future[SocketAnswer]] = {}
        self._ids = itertools.count(1)

    async def request(self, method: str, uri: str, timeout: float) -> SocketAnswer:
        """Send a REST request (`uri` relative to /ari, query string included) and wait for its answer."""
        ws = self._ws
        if ws is None or not self.connected.is_set():
            raise SocketRequestFailed("the event socket is not connected", sent=False)
        request_id = str(next(self._ids))
        answer: asyncio.Future[SocketAnswer] = asyncio.get_running_loop().create_future()
        answer.add_done_callback(_seen)  # failed after its requester gave up: not an unhandled error
        self._waiting[request_id] = answer
        try:
            message = {"type": "RESTRequest", "request_id": request_id, "method": method, "uri": uri}
            try:
                await ws.send(json.dumps(message))
            except websockets.exceptions.WebSocketException as exc:
                raise SocketRequestFailed(f"the event socket closed: {exc}", sent=False) from exc
            try:
                async with asyncio.timeout(timeout):
                    return await answer
            except TimeoutError:
                raise SocketRequestFailed(f"no answer over the event socket in {timeout:g} s", sent=True) from None
        finally:
            self._waiting.pop(request_id, None)

    def _answered(self, data: dict[str, Any]) -> None:
        self.answers += 1
        answer = self._waiting.pop(str(data.get("request_id", "")), None)
        if answer is not None and not answer.done():
            body = data.get("message_body")
            answer.set_result(
                SocketAnswer(
                    int(data.get("status_code", 0)),
                    str(data.get("reason_phrase", "")),
                    str(data.get("content_type", "")),
                    body if isinstance(body, str) else "",
                )
            )

    def _fail_waiting(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for answer in waiting.values():
            if not answer.done():
                answer.set_exception(SocketRequestFailed("the event socket was lost before the answer", sent=True))

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
                async with connect(
                    self._url, open_timeout=3, ping_interval=5, ping_timeout=PING_TIMEOUT_S, max_size=2**22
                ) as ws:
                    self._ws = ws
                    self.connections += 1
                    delay = BACKOFF_START_S
                    log.info("ARI event socket connected (app=%s, connection #%d)", self.app, self.connections)
                    self.connected.set()
                    await self._serve(ws, on_event, on_connected)
            except asyncio.CancelledError:
                raise
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as exc:
                if self.connected.is_set():
                    log.warning("ARI event socket lost: %s; reconnecting", exc or type(exc).__name__)
                else:
                    log.debug("ARI event socket not available: %s", exc or type(exc).__name__)
            finally:
                self._ws = None
                self._fail_waiting()
                if self.connected.is_set():
                    self.connected.clear()
                    if on_disconnected is not None:
                        await on_disconnected()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def _serve(self, ws: ClientConnection, on_event: EventHandler, on_connected: ConnectionHook | None) -> None:
        """Read until the connection ends: answers to their requests at once, events to the
        delivering task (in order, `on_connected` first). Events read are all delivered, even
        when the connection ends."""
        events: asyncio.Queue[AriEvent | None] = asyncio.Queue()
        delivering = asyncio.create_task(self._deliver(events, on_event, on_connected))
        try:
            async for message in ws:
                try:
                    data = json.loads(message)
                except ValueError:
                    log.warning("ARI sent a message that is not JSON; ignored")
                    continue
                if isinstance(data, dict) and data.get("type") == "RESTResponse":
                    self._answered(data)
                    continue
                if delivering.done():
                    break  # `on_connected` failed: its error is raised below
                events.put_nowait(parse_event(data))
        except asyncio.CancelledError:
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivering
            raise
        finally:
            if not delivering.cancelled():
                # the connection ended (or broke): requests now go another way, and what was
                # read is delivered before the socket says it is down
                self._ws = None
                self._fail_waiting()
                events.put_nowait(None)
                await delivering

    @staticmethod
    async def _deliver(
        events: asyncio.Queue[AriEvent | None], on_event: EventHandler, on_connected: ConnectionHook | None
    ) -> None:
        if on_connected is not None:
            await on_connected()
        while (event := await events.get()) is not None:
            try:
                await on_event(event)
            except Exception:
                log.exception("handling ARI event %s failed", event.type)

    async def drop(self) -> None:
        """Close the current connection (it will be re-established): used by operators and tests."""
        if self._ws is not None:
            await self._ws.close()


def _seen(answer: asyncio.Future[SocketAnswer]) -> None:
    if not answer.cancelled():
        answer.exception()
