"""The live sockets' doors (security trial of issue 16): what a socket is sent before its login.

The trial crashed the handler with a binary frame (`KeyError: 'text'`) and a deeply nested first
frame (`RecursionError`), both without a close code, had 10 MB first frames read, and connected
from a page of another site. Each is now a `closed` message with its reason and a close code.
The platform's own application (`Platform.api`), its case list socket, over the real PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from hotline.pages.live import FIRST_FRAME_MAX, token_in
from hotline.platform import Platform
from tests.unit.conftest import api_platform

LIVE = "/api/v1/cases/live"


@pytest.fixture
def client(seeded_pg: str, tmp_path: Path) -> Iterator[tuple[TestClient, Platform]]:
    platform = api_platform(seeded_pg, tmp_path / "data")
    with TestClient(platform.api(telephony=False)) as test_client:
        yield test_client, platform
    platform.casebook.close()


def _token(platform: Platform) -> str:
    name = f"live-{time.time_ns()}"
    platform.auth.create_user(name, "supervisor", password="a-long-password")
    return platform.auth.login(name, "a-long-password") or ""


def _refused(client: TestClient, send: Any, headers: dict[str, str] | None = None) -> tuple[dict[str, Any], int]:
    with client.websocket_connect(LIVE, headers=headers or {}) as socket:
        send(socket)
        message = socket.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    return message, closed.value.code


def test_security_a_binary_first_frame_is_refused_with_a_close_code(client: tuple[TestClient, Platform]) -> None:
    message, code = _refused(client[0], lambda s: s.send_bytes(b'{"token": "x"}'))
    assert message["type"] == "closed" and message["code"] == 4400 and code == 4400


def test_security_a_deeply_nested_first_frame_is_refused_with_a_close_code(
    client: tuple[TestClient, Platform],
) -> None:
    nested = '{"": ' + "[" * 2000 + "]" * 2000 + "}"  # within the size, deeper than Python's parser goes
    assert len(nested) <= FIRST_FRAME_MAX
    message, code = _refused(client[0], lambda s: s.send_text(nested))
    assert message["code"] == 4400 and code == 4400 and "short JSON text" in message["reason"]


def test_security_a_large_first_frame_is_refused_unread(client: tuple[TestClient, Platform]) -> None:
    """Refused by its length (uvicorn's `ws_max_size`, 64 kB, stops a 10 MB frame before it is read)."""
    message, code = _refused(client[0], lambda s: s.send_text('{"token": "' + "x" * 100_000 + '"}'))
    assert message["code"] == 4400 and code == 4400


def test_security_a_page_of_another_site_is_refused(client: tuple[TestClient, Platform]) -> None:
    token = _token(client[1])
    foreign = {"origin": "https://evil.example", "host": "testserver"}
    message, code = _refused(client[0], lambda s: s.send_json({"token": token}), headers=foreign)
    assert message["code"] == 4403 and code == 4403 and "own pages" in message["reason"]
    with client[0].websocket_connect(LIVE, headers={"origin": "http://testserver"}) as socket:
        socket.send_json({"token": token})
        assert socket.receive_json()["type"] == "following"  # the platform's own page


def test_security_a_binary_frame_after_login_is_refused_with_a_close_code(
    client: tuple[TestClient, Platform],
) -> None:
    token = _token(client[1])
    with client[0].websocket_connect(LIVE) as socket:
        socket.send_json({"token": token})
        assert socket.receive_json()["type"] == "following"
        socket.send_bytes(b"\x00" * 10)
        message = socket.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert message["code"] == 4400 and closed.value.code == 4400


@pytest.mark.parametrize(
    ("frame", "token"),
    [
        ('{"token": "abc"}', "abc"),
        ('{"token": 5}', None),
        ('["token"]', None),
        ("ping", None),
        ("{" * 3000, None),
        ('{"token": "' + "a" * 300 + '"}', None),
        (None, None),
    ],
)
def test_only_a_short_token_message_is_read_as_one(frame: str | None, token: str | None) -> None:
    assert token_in(frame, FIRST_FRAME_MAX) == token
