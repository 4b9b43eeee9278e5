"""Bad input never crashes anything: garbage and malformed SIP, calls from strangers, odd keys.

Expected: Asterisk answers malformed requests with an error or ignores them and keeps running;
a caller from an address that is not the carrier is refused (no StasisStart); afterwards a normal
call works and the application has logged no unhandled error.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.helpers import AriObserver, assert_events, place_call, wait_for

GARBAGE = [
    b"\x00\xff" * 300,
    b"INVITE\r\n\r\n",
    b"INVITE sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999\r\nContent-Length: 99999\r\n\r\nv=0",
    b"OPTIONS sip:x SIP/2.0\r\nVia: broken\r\nFrom: <>\r\nTo: <>\r\nCall-ID: \r\nCSeq: x\r\n\r\n",
    'INVITE sip:12345@127.0.0.1 SIP/2.0\r\nFrom: "\u5783\u573e" <sip:\u00e9@x>\r\n\r\n'.encode(),
]


def _invite(source: str, port: int, call_id: str) -> bytes:
    return (
        f"INVITE sip:12345@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {source}:5998;branch=z9hG4bK{call_id}\r\n"
        f"From: <sip:13800000000@{source}>;tag=1\r\nTo: <sip:12345@127.0.0.1>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:x@{source}:5998>\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


async def test_malformed_sip_is_survived_and_the_next_call_works(
    platform: Platform, asterisk: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    for payload in GARBAGE * 20:
        sock.sendto(payload, ("127.0.0.1", asterisk.sip_port))
    sock.close()
    await asyncio.sleep(1)
    log: list = []
    with platform.bus.subscribe() as sub:
        result = await place_call(asterisk, "12345", "wait 1; keys 9; wait 1; hangup")
        ended = await wait_for(sub, "call.ended", log=log)
    assert result["answered"]
    assert_events(log, {"ivr.menu": 2}, ended.call_id)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_call_from_an_address_that_is_not_the_carrier_is_refused(
    platform: Platform, asterisk: Settings
) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.2", 5998))
    sock.settimeout(3)
    async with AriObserver(asterisk).running() as ari:
        sock.sendto(_invite("127.0.0.2", asterisk.sip_port, "stranger-1"), ("127.0.0.1", asterisk.sip_port))
        answers = []
        try:
            while True:
                data, _ = await asyncio.get_running_loop().run_in_executor(None, sock.recvfrom, 4096)
                answers.append(data.split(b"\r\n", 1)[0].decode())
                if not answers[-1].startswith("SIP/2.0 1"):
                    break
        except TimeoutError:
            pass
        finally:
            sock.close()
        await asyncio.sleep(0.5)
    assert answers and answers[-1].split()[1] in ("401", "403", "404"), answers
    assert ari.count("StasisStart") == 0 and ari.count("ChannelCreated") == 0
