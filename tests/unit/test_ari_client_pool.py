"""The ARI client keeps its connections when calls end in the middle of a request.

A call's flow is cancelled when its channel ends, often while it waits for its own
`DELETE /channels/{id}` (Asterisk sends StasisEnd before the HTTP answer). The load bench of
issue 7 lost one connection of the pool per such race until nothing could be sent
(httpcore#1093). Here a small HTTP server answers in 0-3 ms and the "channel gone" comes at a
random moment around the answer, in the session's shape (a task group whose watcher raises);
after two thousand such calls a new request still goes through at once.

The same pool must survive requests that give up waiting for a connection: httpcore 1.0.9 loses
the connection it had just opened for such a request (found 2026-12-03, all 50 lost under load).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from telephony.ari.client import AriClient
from telephony.ari.errors import AriNotFound, AriUnavailable


class CallEnded(Exception):
    pass


def _answer_204_within(
    span: list[float],
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine[Any, Any, None]]:
    """A server that answers each request after a random delay between span[0] and span[1] s
    (the list may be changed while it runs)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = await reader.read(4096)
                    if not chunk:
                        return
                    head += chunk
                await asyncio.sleep(random.uniform(span[0], span[1]))
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    return answer


async def _one_call(client: AriClient) -> None:
    gone = asyncio.Event()

    async def watcher() -> None:
        await gone.wait()
        raise CallEnded

    async def stasis_end_soon() -> None:
        await asyncio.sleep(random.uniform(0, 0.004))
        gone.set()

    ender = asyncio.get_running_loop().create_task(stasis_end_soon())
    try:
        async with asyncio.TaskGroup() as group:
            watch = group.create_task(watcher())
            await client.hangup("channel-1")  # the flow's last step
            watch.cancel()
    except* CallEnded:
        pass
    await ender


async def test_calls_ending_mid_request_leave_the_pool_whole() -> None:
    server = await asyncio.start_server(_answer_204_within([0.0, 0.003]), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    # a timeout long enough never to strike on a loaded machine: a request that times out inside
    # httpcore can keep its connection too (the same cancellation path, found 2026-12-03 under
    # xdist: an open finding, noted for the next session); this test is about calls that end
    client = AriClient(f"http://127.0.0.1:{port}", "user", "secret", "hotline", timeout=30.0)
    try:

        async def caller() -> None:
            for _ in range(100):
                await _one_call(client)

        await asyncio.gather(*(caller() for _ in range(20)))
        # the exchanges of cancelled callers run on to their end (shielded): on a loaded machine
        # some are still going; once they are done, every connection must be back in the pool
        if client._inflight:
            await asyncio.wait(set(client._inflight), timeout=60)
        assert not client._inflight
        # a pool with room: a lost connection would leave the request waiting for the pool until
        # its timeout (AriUnavailable: PoolTimeout); the outer limit only keeps a hang from lasting
        await asyncio.wait_for(client.request("GET", "/asterisk/info"), 45.0)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def test_requests_that_give_up_waiting_for_a_connection_leave_the_pool_whole() -> None:
    span = [0.27, 0.33]  # Asterisk as slow as the client's timeout: requests queue, and many give up
    server = await asyncio.start_server(_answer_204_within(span), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = AriClient(f"http://127.0.0.1:{port}", "user", "secret", "hotline", timeout=0.3, max_connections=4)
    gave_up = 0
    try:

        async def caller() -> None:
            nonlocal gave_up
            for _ in range(10):
                try:
                    await client.request("GET", "/asterisk/info")
                except AriUnavailable:
                    gave_up += 1

        await asyncio.gather(*(caller() for _ in range(24)))  # six callers for each connection
        assert gave_up > 120  # most did (the point of the drill)
        if client._inflight:
            await asyncio.wait(set(client._inflight), timeout=30)
        # httpcore's own view of its pool (private: the only witness of a lost connection)
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        assert [c.info() for c in pool.connections if c.info() == "CONNECTING"] == []
        span[:] = [0.0, 0.0]  # Asterisk answers at once again: so must every connection of the pool
        await asyncio.gather(*(client.request("GET", "/asterisk/info") for _ in range(8)))
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


def _answers(replies: list[bytes]) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine[Any, Any, None]]:
    """A server that gives these answers in turn, one per request, the last one from then on."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = await reader.read(4096)
                    if not chunk:
                        return
                    head += chunk
                writer.write(replies.pop(0) if len(replies) > 1 else replies[0])
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    return answer


def _reply(status: str, content_type: str, body: bytes) -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


HTML_404 = _reply("404 Not Found", "text/html", b"<html><h1>Not Found</h1></html>")
NOT_BOOTED = _reply("503 Service Unavailable", "application/json", b'{"message":"Asterisk not booted"}')
NO_RECORDING = _reply("404 Not Found", "application/json", b'{"message":"Recording not found"}')
TAPE = _reply("200 OK", "audio/wav", b"RIFF....WAVE")


async def _client_of(replies: list[bytes], retry_window_s: float) -> tuple[AriClient, asyncio.Server]:
    server = await asyncio.start_server(_answers(replies), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return AriClient(f"http://127.0.0.1:{port}", "u", "p", "hotline", retry_window_s=retry_window_s), server


async def test_asterisk_starting_is_waited_for_not_taken_for_a_missing_recording() -> None:
    # Asterisk's start as seen from outside (tests/e2e/test_faults.py): its HTTP server's own
    # 404 page, then ARI's 503 "not booted", then ARI itself
    client, server = await _client_of([HTML_404, HTML_404, NOT_BOOTED, TAPE], retry_window_s=2.0)
    try:
        assert await client.fetch_recording("rec-1") == b"RIFF....WAVE"
    finally:
        await client.aclose()
        server.close()


async def test_ari_saying_no_such_recording_is_believed_at_once() -> None:
    client, server = await _client_of([NO_RECORDING], retry_window_s=2.0)
    try:
        with pytest.raises(AriNotFound, match="Recording not found"):
            await client.fetch_recording("rec-1")
    finally:
        await client.aclose()
        server.close()


async def test_asterisk_that_never_finishes_starting_is_unavailable_not_missing() -> None:
    client, server = await _client_of([HTML_404], retry_window_s=0.2)
    try:
        with pytest.raises(AriUnavailable, match="not serving"):
            await client.fetch_recording("rec-1")
    finally:
        await client.aclose()
        server.close()
