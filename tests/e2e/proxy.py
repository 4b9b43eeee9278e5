"""A TCP proxy the tests can cut: it stands between the platform and Asterisk's HTTP server."""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._events: set[asyncio.StreamWriter] = set()
        self.events_blocked = False

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.readline()
        is_events = b"/ari/events" in first
        if is_events and self.events_blocked:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        up_writer.write(first)
        self._writers |= {writer, up_writer}
        if is_events:
            self._events |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def cut(self) -> int:
        """Drop every open connection at once (as a network blink would); return how many."""
        count = len(self._writers) // 2
        for writer in list(self._writers):
            transport = writer.transport
            transport.abort()
        self._writers.clear()
        return count

    def block_events(self) -> None:
        """Drop the event socket and refuse new ones; REST requests still pass."""
        self.events_blocked = True
        for writer in list(self._events):
            writer.transport.abort()
        self._events.clear()

    def unblock_events(self) -> None:
        self.events_blocked = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
