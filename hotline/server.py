"""The HTTP server the platform's API runs in (uvicorn), with the deadlines uvicorn lacks.

uvicorn closes an idle kept-alive connection after `timeout_keep_alive`, but waits for ever for
the headers of a request that has begun (a "slowloris" client sends one header line a minute and
holds a connection; a few hundred of them hold them all: security trial of issue 16). Here the
headers of each request must be complete within `HEADER_TIMEOUT_S` of its first byte (or of the
connection, or of the previous answer): otherwise the client is answered 408 and the connection
closed. A body that trickles is cut by casebook/api/doors.py (`BODY_TIMEOUT_S`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_S = 10.0
HEADER_MAX_BYTES = 64 * 1024  # a browser's headers are 1-4 kB; the second trial sent 200 MB of one header
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 35\r\n\r\nthe request's headers are too large"
)
TOO_SLOW = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    b"content-length: 43\r\n\r\nthe request's headers took too long to come"
)


class HeaderDeadline(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools), with a deadline on every request's headers."""

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_bytes = 0
        self._deadline = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def data_received(self, data: bytes) -> None:
        if self._deadline is not None:  # the headers are still coming: they have a size, too
            self._header_bytes += len(data)
            if self._header_bytes > HEADER_MAX_BYTES:
                self._disarm()
                if not self.transport.is_closing():
                    self.transport.write(TOO_LARGE)
                    self.transport.close()
                return
        super().data_received(data)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            assert self._deadline is not None
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.write(TOO_SLOW)
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection: its headers in time too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def api_server(app: Any, host: str, port: int, *, trusted_proxies: str = "", **options: Any) -> uvicorn.Server:
    """The uvicorn server of the platform's API: header deadline and size, small WebSocket frames
    (a page's are a few hundred bytes: hotline/pages/live.py), short keep-alive. `X-Forwarded-For`
    is believed only from `trusted_proxies` (HOTLINE_TRUSTED_PROXIES): by default from nobody,
    so nobody can write another address into the audit log or escape the per-address count."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=HeaderDeadline,
        ws_max_size=64 * 1024,
        timeout_keep_alive=5,
        log_level="warning",
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
        **options,
    )
    return uvicorn.Server(config)
