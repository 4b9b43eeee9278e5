"""ARI requests over the event socket (Asterisk's "REST over WebSocket"), HTTP when it is down.

Against the session's real Asterisk, with an application of the test's own. Events expected:
none of a call; the socket's own connection, and Asterisk's RESTResponse messages, which never
reach the event handler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from common.settings import Settings
from telephony.ari.client import AriClient
from telephony.ari.errors import AriNotFound
from telephony.ari.events import AriEvent
from telephony.ari.socket import AriEventSocket

APP = "test-transport"


@pytest.fixture
async def client(asterisk: Settings) -> AsyncIterator[AriClient]:
    client = AriClient(asterisk.ari_url, asterisk.ari_user, asterisk.secret("ari_password"), APP)
    yield client
    await client.aclose()


@contextlib.asynccontextmanager
async def socket_for(client: AriClient, asterisk: Settings, on_connected=None):  # type: ignore[no-untyped-def]
    socket = AriEventSocket(asterisk.ari_url, asterisk.ari_user, asterisk.secret("ari_password"), APP)
    events: list[AriEvent] = []

    async def on_event(event: AriEvent) -> None:
        events.append(event)

    client.route_through(socket)
    task = asyncio.create_task(socket.run(on_event, on_connected))
    await asyncio.wait_for(socket.connected.wait(), 10)
    try:
        yield socket, events
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_requests_travel_over_the_event_socket_once_it_is_connected(
    client: AriClient, asterisk: Settings
) -> None:
    assert (await client.asterisk_info())["system"]  # no socket yet: HTTP
    assert client.sent_over_socket == 0
    async with socket_for(client, asterisk) as (_socket, events):
        bridge = await client.create_bridge("transport-bridge")
        assert bridge["id"] == "transport-bridge"
        assert await client.get_variable("EPOCH")
        await client.destroy_bridge("transport-bridge")
        assert client.sent_over_socket == 3
        assert not [e for e in events if e.type == "RESTResponse"]  # answers are not events


async def test_errors_over_the_socket_are_the_same_as_over_http(client: AriClient, asterisk: Settings) -> None:
    with pytest.raises(AriNotFound, match="Channel not found") as over_http:
        await client.hangup("no-such-channel")
    async with socket_for(client, asterisk):
        with pytest.raises(AriNotFound, match="Channel not found") as over_socket:
            await client.hangup("no-such-channel")
        assert client.sent_over_socket == 1
    assert over_socket.value.status == over_http.value.status == 404


async def test_a_handler_waiting_for_an_answer_does_not_stop_the_socket_reading_it(
    client: AriClient, asterisk: Settings
) -> None:
    resynced = asyncio.Event()

    async def on_connected() -> None:  # the platform's resync: GET /channels before any event
        await client.list_channels()
        resynced.set()

    async with socket_for(client, asterisk, on_connected):
        await asyncio.wait_for(resynced.wait(), 3)  # read inline, this answer would never come
        assert client.sent_over_socket == 1


async def test_while_the_socket_is_down_requests_go_over_http(client: AriClient, asterisk: Settings) -> None:
    async with socket_for(client, asterisk) as (socket, _events):
        await socket.drop()
        results = await asyncio.gather(*(client.get_variable("EPOCH") for _ in range(20)))
        assert all(results)  # every one answered, over whichever way was up
        await asyncio.wait_for(socket.connected.wait(), 5)
        before = client.sent_over_socket
        await client.get_variable("EPOCH")
        assert client.sent_over_socket == before + 1  # back over the socket
