"""ARI REST calls, over the event socket when it is connected, else on httpx.

Only the operations the platform uses are wrapped, each returning plain dicts or strings:
nothing of httpx leaks out of this module. Errors become `AriError` subclasses so callers can
tell "the channel is gone" (404, the caller hung up) from "Asterisk is down".

Once `route_through(socket)` is called, requests travel over the ARI event socket (see
`telephony.ari.socket`: a thirtieth of the CPU of an HTTP exchange); HTTP carries them while the
socket is down (starting, reconnecting), when Asterisk does not answer REST over its socket
(before 22.4), and for recordings' bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from telephony.ari.errors import AriError, AriNotFound, AriUnavailable
from telephony.ari.socket import AriEventSocket, SocketAnswer, SocketRequestFailed

log = logging.getLogger(__name__)

Params = Mapping[str, str | int | float | bool | None]
LATENCY_WEIGHT = 0.05  # of each request in the moving average of answer times (about the last twenty)


class AriClient:
    """A small asynchronous ARI client bound to one Asterisk and one application name."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        app: str,
        *,
        timeout: float = 5.0,
        retry_window_s: float = 2.0,
        max_connections: int = 50,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry_window_s = retry_window_s
        self.app = app
        self._auth = (user, password)
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/ari",
            auth=self._auth,
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
        )
        # Requests wait for a free connection here, never in httpcore's pool: see `_exchange`.
        # (Keeping all 50 connections alive was measured worse: httpcore checks every idle
        # connection on each request; issue 18.)
        self._slots = asyncio.Semaphore(max_connections)
        self._inflight: set[asyncio.Task[httpx.Response]] = set()
        self._socket: AriEventSocket | None = None
        self.sent_over_socket = 0  # requests answered over the event socket (the rest: HTTP)
        self.latency_s = 0.0  # how long requests take to be answered, a moving average

    def route_through(self, socket: AriEventSocket) -> None:
        """Send requests over this application's event socket while it is connected."""
        self._socket = socket

    @property
    def credentials(self) -> tuple[str, str]:
        return self._auth

    async def aclose(self) -> None:
        if self._inflight:  # requests whose callers were cancelled: let them end first
            await asyncio.wait(self._inflight, timeout=2)
        await self._http.aclose()

    async def _send(self, method: str, path: str, params: dict[str, str | int | float]) -> httpx.Response:
        """One HTTP exchange, run to its end in a task of its own even if the caller is cancelled.

        A call's flow is cancelled the moment its channel ends, often while it waits for its own
        `DELETE /channels/{id}` (Asterisk sends StasisEnd before the HTTP answer). httpcore 1.0
        can keep the connection of a request cancelled mid-flight for ever (encode/httpcore#1093):
        under load every such hangup took one connection of the pool until no request could be
        sent at all, and no call answered. Shielded, the exchange finishes (within the timeout)
        and gives its connection back; the cancelled caller simply does not wait for it."""
        task = asyncio.ensure_future(self._exchange(method, path, params))
        self._inflight.add(task)
        task.add_done_callback(_forget(self._inflight))
        return await asyncio.shield(task)

    async def _exchange(self, method: str, path: str, params: dict[str, str | int | float]) -> httpx.Response:
        """Wait for one of the pool's connections here, then send.

        httpcore 1.0.9 leaks a connection when a request that waited in its pool gives up
        (PoolTimeout) just after the pool created a connection for it: that connection stays
        "CONNECTING" with no request for ever. Found with 80 callers on a pool of 50 and a server
        as slow as the timeout: all 50 were lost, and every request after failed. A request that
        holds a slot always finds a connection free or room for a new one, so it never waits in
        httpcore's pool; a request that finds no slot in time fails the same way (PoolTimeout)."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout(f"all connections to Asterisk busy for {self._timeout:g} s") from None
        try:
            return await self._http.request(method, path, params=params)
        finally:
            self._slots.release()

    async def request(self, method: str, path: str, params: Params | None = None, *, binary: bool = False) -> Any:
        """Send one request; return the decoded JSON body (or None for an empty answer);
        `binary`: the answer is bytes (a recording), which only HTTP carries."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            return await self._request(method, path, params, binary=binary)
        finally:  # how long Asterisk takes to answer, on average: it slows down before it fails
            self.latency_s += (loop.time() - started - self.latency_s) * LATENCY_WEIGHT

    async def _request(self, method: str, path: str, params: Params | None, *, binary: bool) -> Any:
        clean = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        socket = self._socket
        if socket is not None and not binary and socket.connected.is_set():
            try:
                return await self._over_socket(socket, method, path, clean)
            except SocketRequestFailed as exc:
                if exc.sent and socket.answers == 0:  # never an answer: an Asterisk without REST over it
                    log.warning("Asterisk does not answer ARI requests over its event socket; using HTTP")
                    self._socket = None
                elif exc.sent and method != "GET":  # it may have been done: not sent twice
                    raise AriUnavailable(0, str(exc), method=method, path=path) from exc
        return await self._over_http(method, path, clean)

    async def _over_socket(
        self, socket: AriEventSocket, method: str, path: str, params: dict[str, str | int | float]
    ) -> Any:
        query = f"?{urlencode(params, quote_via=quote)}" if params else ""
        answer = await socket.request(method, path.lstrip("/") + query, self._timeout)
        self.sent_over_socket += 1
        if answer.status >= 400:
            cls = AriNotFound if answer.status == 404 else AriError
            raise cls(answer.status, _socket_error(answer), method=method, path=path)
        if not answer.body:
            return None
        if answer.content_type.startswith("application/json"):
            return json.loads(answer.body)
        return answer.body

    async def _over_http(self, method: str, path: str, clean: dict[str, str | int | float]) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_window_s
        delay = 0.05
        while True:
            try:
                response = await self._send(method, path, clean)
                if not _not_serving(response):
                    break
                # Asterisk is starting or stopping: its HTTP server answers before (or after) ARI
                # is there. Nothing was done, so asking again is safe, like a refused connection.
                if loop.time() + delay > deadline:
                    raise AriUnavailable(
                        response.status_code, _NOT_SERVING + _error_message(response), method=method, path=path
                    )
            except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
                # The request never reached Asterisk (refused, or a kept-alive connection that the
                # server or a network device had closed): retrying is safe. A short outage (a
                # restart of the HTTP server, a blink) is bridged instead of failing the call.
                if loop.time() + delay > deadline:
                    raise AriUnavailable(0, str(exc) or type(exc).__name__, method=method, path=path) from exc
            except httpx.HTTPError as exc:
                raise AriUnavailable(0, str(exc) or type(exc).__name__, method=method, path=path) from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
        if response.status_code >= 400:
            message = _error_message(response)
            cls = AriNotFound if response.status_code == 404 else AriError
            raise cls(response.status_code, message, method=method, path=path)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    # --- asterisk --------------------------------------------------------------------------------
    async def asterisk_info(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", "/asterisk/info")
        return result

    async def get_variable(self, expression: str) -> str:
        """Read a global variable or evaluate a dialplan function such as `DB(family/key)`."""
        result = await self.request("GET", "/asterisk/variable", {"variable": expression})
        return str(result.get("value", "")) if result else ""

    async def application(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", f"/applications/{self.app}")
        return result

    # --- channels --------------------------------------------------------------------------------
    async def list_channels(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.request("GET", "/channels")
        return result

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str,
        app_args: Iterable[str],
        caller_id: str,
        timeout_s: int,
    ) -> dict[str, Any]:
        """Dial `endpoint` (e.g. `PJSIP/13800000000@carrier`); when it answers the channel enters
        this application with `app_args`. The application is subscribed from the start, so a
        call that is never answered still reports its end (ChannelDestroyed, with the cause)."""
        params: dict[str, str | int | float | bool | None] = {
            "endpoint": endpoint,
            "channelId": channel_id,
            "app": self.app,
            "appArgs": ",".join(app_args),
            "callerId": caller_id,
            "timeout": timeout_s,
        }
        result: dict[str, Any] = await self.request("POST", "/channels", params)
        return result

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.request("DELETE", f"/channels/{channel_id}", {"reason": reason})

    async def continue_in_dialplan(self, channel_id: str, context: str, extension: str, priority: int = 1) -> None:
        await self.request(
            "POST",
            f"/channels/{channel_id}/continue",
            {"context": context, "extension": extension, "priority": priority},
        )

    async def set_channel_variable(self, channel_id: str, name: str, value: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/variable", {"variable": name, "value": value})

    async def play(self, channel_id: str, media: Iterable[str], playback_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST", f"/channels/{channel_id}/play/{playback_id}", {"media": ",".join(media)}
        )
        return result

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{playback_id}")

    async def get_playback(self, playback_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", f"/playbacks/{playback_id}")
        return result

    # --- media taps -------------------------------------------------------------------------------
    async def snoop(self, channel_id: str, snoop_id: str, *, spy: str = "in", purpose: str = "tap") -> dict[str, Any]:
        """A channel that hears `channel_id` (spy=in: what the caller says), placed in this app with
        the Stasis argument `purpose` (a live-speech "tap" or a message "tape")."""
        result: dict[str, Any] = await self.request(
            "POST",
            f"/channels/{channel_id}/snoop/{snoop_id}",
            {"spy": spy, "whisper": "none", "app": self.app, "appArgs": purpose},
        )
        return result

    async def detect_talking(self, channel_id: str, *, silence_ms: int) -> None:
        """Have Asterisk raise ChannelTalkingStarted/Finished for what this channel's caller says
        (Finished after `silence_ms` of silence): its own DSP, no audio leaves Asterisk. Set afresh
        (removed first), so a caller talking right now is reported as talking."""
        with contextlib.suppress(AriError):  # not set yet: nothing to remove
            await self.set_channel_variable(channel_id, "TALK_DETECT(remove)", "")
        await self.set_channel_variable(channel_id, "TALK_DETECT(set)", str(silence_ms))

    async def external_media(self, channel_id: str, external_host: str, *, fmt: str = "slin16") -> dict[str, Any]:
        """An externalMedia channel sending its audio as RTP (UDP) to `external_host` (host:port)."""
        result: dict[str, Any] = await self.request(
            "POST",
            "/channels/externalMedia",
            {
                "channelId": channel_id,
                "app": self.app,
                "external_host": external_host,
                "format": fmt,
                "encapsulation": "rtp",
                "transport": "udp",
                "connection_type": "client",
                "direction": "both",
            },
        )
        return result

    async def create_bridge(self, bridge_id: str, kind: str = "mixing") -> dict[str, Any]:
        result: dict[str, Any] = await self.request("POST", f"/bridges/{bridge_id}", {"type": kind})
        return result

    async def add_to_bridge(self, bridge_id: str, channel_ids: Iterable[str]) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/addChannel", {"channel": ",".join(channel_ids)})

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.request("DELETE", f"/bridges/{bridge_id}")

    # --- recordings ------------------------------------------------------------------------------
    async def record(
        self,
        channel_id: str,
        name: str,
        *,
        max_duration_s: int,
        max_silence_s: int,
        beep: bool = True,
        terminate_on: str = "#",
        fmt: str = "wav",
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST",
            f"/channels/{channel_id}/record",
            {
                "name": name,
                "format": fmt,
                "maxDurationSeconds": max_duration_s,
                "maxSilenceSeconds": max_silence_s,
                "ifExists": "fail",
                "beep": beep,
                "terminateOn": terminate_on,
            },
        )
        return result

    async def stop_recording(self, name: str) -> None:
        await self.request("POST", f"/recordings/live/{name}/stop")

    async def live_recording(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", f"/recordings/live/{name}")
        return result

    async def stored_recording(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", f"/recordings/stored/{name}")
        return result

    async def list_stored_recordings(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.request("GET", "/recordings/stored")
        return result

    async def fetch_recording(self, name: str) -> bytes:
        """The stored recording's bytes, fetched over HTTP so no shared disk is needed."""
        result = await self.request("GET", f"/recordings/stored/{name}/file", binary=True)
        if not isinstance(result, bytes):
            raise AriError(500, "recording file answer was not binary", method="GET", path=name)
        return result

    async def delete_recording(self, name: str) -> None:
        await self.request("DELETE", f"/recordings/stored/{name}")


def _param(value: str | int | float | bool) -> str | int | float:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


_NOT_SERVING = "ARI is not serving (Asterisk starting or stopping): "


def _not_serving(response: httpx.Response) -> bool:
    """An answer of Asterisk's HTTP server, not of ARI: while Asterisk starts, every ARI path is
    "404 Not Found" (an HTML page) for a moment, then "503 Asterisk not booted"; while it stops,
    503. ARI's own answers are JSON. Taken for "no such recording", the first would make a tape
    that is there look lost (a caller's case opened without their words)."""
    if response.status_code == 503:
        return True
    return response.status_code == 404 and not response.headers.get("content-type", "").startswith("application/json")


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return str(body)[:200]


def _socket_error(answer: SocketAnswer) -> str:
    try:
        body = json.loads(answer.body) if answer.body else None
    except ValueError:
        return answer.body[:200] or answer.reason
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return str(body)[:200] if body is not None else answer.reason


def _forget(inflight: set[asyncio.Task[httpx.Response]]) -> Callable[[asyncio.Task[httpx.Response]], None]:
    """Drop a finished exchange; an error nobody awaited any more is read, not reported as lost."""

    def done(task: asyncio.Task[httpx.Response]) -> None:
        inflight.discard(task)
        if not task.cancelled():
            task.exception()

    return done
