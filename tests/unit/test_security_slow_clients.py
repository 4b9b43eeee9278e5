"""Slow clients (security trial of issue 16: no header timeout, bodies read whole before login).

The platform's API in its own server (`hotline.server.api_server`: uvicorn with the header
deadline) on a free port, over the real PostgreSQL; raw sockets play the slow clients. The
deadlines are shortened here (1 s) so the test does not wait 10 or 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from casebook.api import doors
from hotline.server import HeaderDeadline, api_server
from tests.unit.conftest import api_platform


@pytest.fixture
def address(seeded_pg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    monkeypatch.setattr(HeaderDeadline, "header_timeout_s", 1.0)
    monkeypatch.setattr(doors, "BODY_TIMEOUT_S", 1.0)
    platform = api_platform(seeded_pg, tmp_path / "data")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = api_server(platform.api(telephony=False), "127.0.0.1", port, lifespan="off")
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    DATABASES[("127.0.0.1", port)] = seeded_pg
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(10)
    platform.casebook.close()


DATABASES: dict[tuple[str, int], str] = {}


def database_of(address: tuple[str, int]) -> str:
    return DATABASES[address]


def _read_all(conn: socket.socket, within: float = 5.0) -> bytes:
    conn.settimeout(within)
    got = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return got
        got += chunk


def test_security_headers_that_trickle_are_cut_with_a_408(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as conn:
        conn.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n")  # ...and the rest never comes
        started = time.monotonic()
        answer = _read_all(conn)
    assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 4


def test_security_the_next_request_on_a_kept_connection_has_the_same_deadline(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as conn:
        conn.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(5)
        first = conn.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        conn.sendall(b"GET /status HTTP/1.1\r\n")
        assert b"HTTP/1.1 408" in _read_all(conn)


def test_security_a_body_that_trickles_is_cut_with_a_408_and_its_reason(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as conn:
        conn.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b'content-length: 100\r\n\r\n{"username": '
        )
        answer = _read_all(conn)
    assert answer.startswith(b"HTTP/1.1 408") and b"did not arrive within" in answer


def test_a_request_in_time_is_served(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as conn:
        conn.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _read_all(conn).startswith(b"HTTP/1.1 200")


def test_security_headers_past_their_size_are_refused_with_a_431(address: tuple[str, int]) -> None:
    sent, answer = 0, b""
    with socket.create_connection(address) as conn:
        try:
            conn.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nX-Long: ")
            for _ in range(4096):  # 4 MB of one header, unless the server closes first
                conn.sendall(b"a" * 1024)
                sent += 1
            answer = _read_all(conn)
        except OSError:  # closed while this was still sending: the 431 may be lost in the reset
            with contextlib.suppress(OSError):
                answer = _read_all(conn)
    assert sent < 4096 or answer.startswith(b"HTTP/1.1 431"), (sent, answer[:60])
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431")
    with socket.create_connection(address) as conn:  # and the server serves the next one
        conn.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _read_all(conn).startswith(b"HTTP/1.1 200")


def test_security_a_forwarded_address_is_not_believed_from_an_untrusted_peer(address: tuple[str, int]) -> None:
    body = b'{"username": "nobody-forwarded", "password": "xxxx"}'
    request = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"X-Forwarded-For: 198.51.100.7\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with socket.create_connection(address) as conn:
        conn.sendall(request)
        assert _read_all(conn).startswith(b"HTTP/1.1 401")
    from sqlalchemy import select

    from casebook.db.engine import make_engine, make_sessionmaker
    from casebook.db.models import AuditEntry

    engine = make_engine(database_of(address))
    try:
        with make_sessionmaker(engine)() as s:
            entry = s.scalar(select(AuditEntry).where(AuditEntry.actor == "nobody-forwarded"))
        assert entry is not None and entry.address == "127.0.0.1"
    finally:
        engine.dispose()
