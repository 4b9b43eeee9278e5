"""A SIP password guesser is blocked, for a while, without shutting out the agents' phones.

Expected: SIPp registers 5 times as an agent's extension from 127.0.0.9 (not the carrier's
address) with a wrong password; each time REGISTER, 401 (challenge), REGISTER with the wrong
digest, 401. Asterisk raises 5 ChallengeResponseFailed security events for 127.0.0.9 (to AMI and
to its security.log; the 5 ChallengeSent are the normal path and do not count); the platform
writes the address into PJSIP's ACL, reloads res_pjsip and publishes one `sip.blocked`
(address 127.0.0.9, failures 5). Then a REGISTER from 127.0.0.9 is refused at once (403, no
challenge), while the agent's real phone (pjsua2 from 127.0.0.2) registers with its password
(200). After HOTLINE_SIP_BLOCK_FOR_S (20 s here) one `sip.unblocked`, and 127.0.0.9 is
challenged (401) again.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from casebook.auth.policy import Actor, Role
from common.bus import PlatformEvent
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from telephony.runtime.layout import resolve_layout
from telephony.sip.intruders import ACL_FILE_NAME
from tests.e2e.conftest import SLOT, running_platform
from tests.e2e.helpers import (
    ROOT,
    AriObserver,
    Phone,
    agent_with_phone,
    assert_events,
    drain,
    place_call,
    until_known,
    wait_for,
)

ADMIN = Actor("admin", Role.ADMIN)
SCENARIO = ROOT / "bench" / "sipp" / "register_auth.xml"
INTRUDER = "127.0.0.9"  # not the carrier (127.0.0.1), not the desk phones (127.0.0.2), not the callbacks' citizen
EXTENSION = "1091"
ATTEMPTS = 5


@pytest.fixture
async def guarded(asterisk: Settings) -> AsyncIterator[Platform]:
    """The platform blocking after 5 failures within 60 s, for 20 s (long enough to look, short to wait)."""
    settings = asterisk.model_copy(
        update={
            "sip_block_after": ATTEMPTS,
            "sip_block_window_s": 60.0,
            "sip_block_for_s": 20.0,
            "sip_block_exempt": [],  # the desk phones' address too is guarded here: it must stay unblocked
        }
    )
    async with running_platform(settings) as platform:
        await platform.sip_guard.unblock(INTRUDER)  # a block left by an interrupted run
        try:
            yield platform
        finally:
            await platform.sip_guard.unblock(INTRUDER)


async def _agent_phone(platform: Platform, settings: Settings, username: str, extension: str) -> str:
    """An agent with a desk phone, Asterisk reloaded with it; its SIP password."""
    sip_password = agent_with_phone(platform.sessions, username, extension)
    await asyncio.to_thread(asterisk_process(settings).reload, lines_book(settings), prompts_dir(settings))
    await until_known(settings, extension)
    return sip_password


async def _sipp(
    settings: Settings,
    password: str,
    calls: int,
    folder: Path,
    *,
    source: str = INTRUDER,
    extension: str = EXTENSION,
) -> tuple[int, list[str]]:
    """Register `calls` times from `source` (SIPp); its exit code and the status codes it got."""
    trace = folder / f"sipp-{len(list(folder.glob('sipp-*')))}.log"
    argv = ["sipp", f"127.0.0.1:{settings.sip_port}", "-sf", str(SCENARIO), "-s", extension, "-au", extension]
    argv += ["-ap", password, "-i", source, "-p", str(5098 + SLOT * 10), "-t", "u1", "-m", str(calls), "-l", "1"]
    argv += ["-nostdin", "-timeout", "30s", "-timeout_error", "-trace_msg", "-message_file", str(trace)]
    proc = await asyncio.create_subprocess_exec(*argv, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    code = await asyncio.wait_for(proc.wait(), 60)
    text = trace.read_text(errors="replace") if trace.exists() else ""
    return code, [line.split()[1] for line in text.splitlines() if line.startswith("SIP/2.0 ")]


def _security_log(settings: Settings) -> Path:
    layout = resolve_layout(settings.asterisk)
    return layout.host_path(layout.dir("log")) / "security.log"


async def _failures_logged(settings: Settings, since: int, want: int) -> int:
    """ChallengeResponseFailed lines of Asterisk's security.log for the intruder, written after `since`."""
    needle = f'RemoteAddress="IPV4/UDP/{INTRUDER}/'
    found = 0
    for _ in range(50):  # Asterisk's logger writes from its own thread
        with _security_log(settings).open("rb") as log:
            log.seek(since)
            lines = log.read().decode(errors="replace").splitlines()
        found = sum(1 for line in lines if 'SecurityEvent="ChallengeResponseFailed"' in line and needle in line)
        if found >= want:
            break
        await asyncio.sleep(0.1)
    return found


async def test_a_password_guesser_is_blocked_while_an_agents_phone_still_registers(
    guarded: Platform, asterisk: Settings, tmp_path: Path
) -> None:
    # expected events: sip.blocked x1 (127.0.0.9, 5 failures), sip.unblocked x1; Asterisk's security
    # events: ChallengeResponseFailed x5 from 127.0.0.9 (and one more after the block is over)
    platform = guarded
    password = await _agent_phone(platform, asterisk, "guard-desk", EXTENSION)
    security_log_size = _security_log(asterisk).stat().st_size
    log: list[PlatformEvent] = []
    with platform.bus.subscribe() as sub:
        # the guesser: 5 registrations with a wrong password, each challenged and refused
        code, answers = await _sipp(asterisk, password + "x", ATTEMPTS, tmp_path)
        assert code == 0 and answers == ["401"] * (2 * ATTEMPTS), answers
        blocked = await wait_for(sub, "sip.blocked", log=log, timeout=30, address=INTRUDER)
        assert blocked.data["failures"] == ATTEMPTS
        assert await _failures_logged(asterisk, security_log_size, ATTEMPTS) == ATTEMPTS
        assert platform.sip_guard.failures_seen["ChallengeResponseFailed"] == ATTEMPTS
        acl = resolve_layout(asterisk.asterisk).host_path(resolve_layout(asterisk.asterisk).dir("etc")) / ACL_FILE_NAME
        assert f"deny = {INTRUDER}/32" in acl.read_text()

        # blocked: refused before any challenge, whatever it sends
        code, answers = await _sipp(asterisk, password, 1, tmp_path)
        assert code != 0 and answers and set(answers) == {"403"}, answers  # (403 again to a retransmission)

        # the agent's own phone, from its desk, is not affected
        phone = await Phone.start(asterisk, EXTENSION, password, hold=5)
        await phone.stop()

        # the block is over by itself: challenged again like anyone
        await wait_for(sub, "sip.unblocked", log=log, timeout=60, address=INTRUDER)
        assert f"deny = {INTRUDER}/32" not in acl.read_text()
        code, answers = await _sipp(asterisk, password + "x", 1, tmp_path)
        assert code == 0 and answers == ["401", "401"], answers
    assert_events(log, {"sip.blocked": 1, "sip.unblocked": 1})


def _invite_naming_the_carrier(source: tuple[str, int], port: int) -> bytes:
    host, local = source
    return (
        f"INVITE sip:12345@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {host}:{local};branch=z9hG4bKfakecarrier\r\n"
        f"From: <sip:carrier@{host}>;tag=1\r\nTo: <sip:12345@127.0.0.1>\r\n"
        f"Call-ID: fake-carrier-1\r\nCSeq: 1 INVITE\r\nContact: <sip:carrier@{host}:{local}>\r\n"
        "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def test_the_carriers_address_is_never_blocked_and_nobody_passes_for_the_carrier(
    guarded: Platform, asterisk: Settings, tmp_path: Path
) -> None:
    # expected events: none from the guard (5 failures from the carrier's 127.0.0.1 block nothing), then
    # the carrier's call reaches the IVR (call.ended); Asterisk: 5 ChallengeResponseFailed from 127.0.0.1,
    # and an INVITE from 127.0.0.9 naming itself `carrier` is challenged (401), never a call (no StasisStart)
    platform = guarded
    extension = "1092"  # a desk phone's extension from the carrier's address: a desk on the carrier's machine
    await _agent_phone(platform, asterisk, "guard-carrier-desk", extension)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    source = (INTRUDER, 5997 + SLOT * 10)
    sock.bind(source)
    sock.settimeout(3)
    answers: list[str] = []
    async with AriObserver(asterisk).running() as ari:
        sock.sendto(_invite_naming_the_carrier(source, asterisk.sip_port), ("127.0.0.1", asterisk.sip_port))
        try:
            while not answers or answers[-1].startswith("1"):
                data = await asyncio.get_running_loop().run_in_executor(None, sock.recv, 4096)
                answers.append(data.split(b"\r\n", 1)[0].decode().split()[1])
        except TimeoutError:
            pass
        finally:
            sock.close()
        await asyncio.sleep(0.5)
    assert answers and answers[-1] in ("401", "403", "404"), answers
    assert ari.count("StasisStart") == 0

    log: list[PlatformEvent] = []
    with platform.bus.subscribe() as sub:
        code, answers = await _sipp(
            asterisk, "not-the-password", ATTEMPTS, tmp_path, source="127.0.0.1", extension=extension
        )
        assert code == 0 and answers == ["401"] * (2 * ATTEMPTS), answers
        await asyncio.sleep(2)  # what a block would take
        assert platform.sip_guard.failures_seen["ChallengeResponseFailed"] == ATTEMPTS
        assert platform.sip_guard.blocks == []
        result = await place_call(asterisk, "12345", "wait 1; hangup")
        await wait_for(sub, "call.ended", log=log)
        drain(sub, log)
    assert result["answered"]
    assert_events(log, {"sip.blocked": 0})
