"""The ARI client keeps its connections when calls end in the middle of a request.

A call's flow is cancelled when its channel ends, often while it waits for its own
`DELETE /channels/{id}` (Asterisk sends StasisEnd before the HTTP answer). The load bench of
issue 7 lost one connection of the pool per such race until nothing could be sent
(httpcore#1093). Here a small HTTP server answers in 0-3 ms and the "channel gone" comes at a
random moment around the answer, in the session's shape (a task group whose watcher raises);
after two thousand such calls a new request still goes through at once.
"""

from __future__ import annotations

import asyncio
import random

from telephony.ari.client import AriClient


class CallEnded(Exception):
    pass


async def _answer_204(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = await reader.read(4096)
                if not chunk:
                    return
                head += chunk
            await asyncio.sleep(random.uniform(0, 0.003))
            writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


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
    server = await asyncio.start_server(_answer_204, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = AriClient(f"http://127.0.0.1:{port}", "user", "secret", "hotline", timeout=5.0)
    try:

        async def caller() -> None:
            for _ in range(100):
                await _one_call(client)

        await asyncio.gather(*(caller() for _ in range(20)))
        await asyncio.wait_for(client.request("GET", "/asterisk/info"), 2.0)  # a pool with room
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
