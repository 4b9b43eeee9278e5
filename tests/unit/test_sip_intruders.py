"""SIP password guessers are counted per address and blocked for a while; agents' SIP passwords
are strong because nobody chooses them.

The counting, the window and the expiry are pure (the test passes the time); the guard is driven
with an AMI stand-in that records the actions it is sent (the real Asterisk is in
tests/e2e/test_sip_intruders.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import string
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from casebook.agents.services import SIP_REALM
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.services import CaseBook
from casebook.db.models import Agent
from common.bus import EventBus
from common.settings import Settings
from ivr.lines import load_lines
from telephony.ami.client import AmiClient, AmiError
from telephony.calls.notifier import CallNotifier
from telephony.runtime.config import render_configuration
from telephony.runtime.layout import AsteriskLayout
from telephony.sip.guard import RELOAD_PJSIP, SIP_BLOCKED, SipGuard
from telephony.sip.intruders import (
    ACL_FILE_NAME,
    Block,
    IntruderTracker,
    exempt_networks,
    failure_address,
    read_acl,
    remote_address,
    render_acl,
)

T0 = 1_800_000_000.0  # a fixed "now" (2027-01-15)
CARRIER = "192.0.2.10"


def tracker(after: int = 5, window_s: float = 60, block_for_s: float = 3600, **kw: Any) -> IntruderTracker:
    networks, _ = exempt_networks([CARRIER, "10.8.0.0/16"])
    return IntruderTracker(after=after, window_s=window_s, block_for_s=block_for_s, exempt=networks, **kw)


def security_event(name: str, address: str, service: str = "PJSIP") -> dict[str, str]:
    return {
        "Event": name,
        "Service": service,
        "AccountID": "1001",
        "RemoteAddress": f"IPV4/UDP/{address}/5060",
        "LocalAddress": "IPV4/UDP/127.0.0.1/5060",
    }


# --- reading Asterisk's security events ---------------------------------------------------------------
def test_the_remote_address_is_read_from_asterisks_notation() -> None:
    assert remote_address("IPV4/UDP/127.0.0.5/5060") == "127.0.0.5"
    assert remote_address("IPV4/TCP/203.0.113.7/40312") == "203.0.113.7"
    assert remote_address("IPV6/UDP/2001:db8::7/5060") == "2001:db8::7"
    assert remote_address("IPV6/UDP/[2001:db8::7]/5060") == "2001:db8::7"
    assert remote_address("IPV6/UDP/::ffff:198.51.100.4/5060") == "198.51.100.4"  # one spelling per address
    for unreadable in ("", "127.0.0.5", "IPV4/UDP/not-an-address/5060", "IPV4/UDP//5060"):
        assert remote_address(unreadable) is None, unreadable


def test_only_failed_sip_authentications_count() -> None:
    for name in ("ChallengeResponseFailed", "InvalidAccountID", "InvalidPassword", "FailedACL"):
        assert failure_address(security_event(name, "203.0.113.7")) == "203.0.113.7"
    # every registration is challenged first and then succeeds: neither is a failure
    assert failure_address(security_event("ChallengeSent", "203.0.113.7")) is None
    assert failure_address(security_event("SuccessfulAuth", "203.0.113.7")) is None
    # AMI's own failed logins are security events too, but a SIP ACL is no answer to them
    assert failure_address(security_event("InvalidPassword", "203.0.113.7", service="AMI")) is None
    assert failure_address({"Event": "ChallengeResponseFailed", "Service": "PJSIP"}) is None


# --- counting, window, expiry --------------------------------------------------------------------------
def test_an_address_is_blocked_at_the_nth_failure_within_the_window() -> None:
    guard = tracker()
    for i in range(4):
        assert guard.failure("203.0.113.7", T0 + i) is None
    block = guard.failure("203.0.113.7", T0 + 4)
    assert block == Block("203.0.113.7", T0 + 4 + 3600, 5)
    assert guard.is_blocked("203.0.113.7", T0 + 5) and guard.blocks == [block]
    # other addresses are counted on their own
    assert guard.failure("198.51.100.4", T0 + 5) is None and guard.failures("198.51.100.4", T0 + 5) == 1


def test_failures_spread_wider_than_the_window_never_block() -> None:
    guard = tracker()
    for i in range(20):  # one every 15 s: at most 4 within any 60 s
        assert guard.failure("203.0.113.7", T0 + i * 15) is None
    assert guard.failures("203.0.113.7", T0 + 19 * 15) == 4 and guard.blocks == []


def test_the_carrier_and_exempt_networks_are_never_blocked() -> None:
    guard = tracker()
    for i in range(50):
        assert guard.failure(CARRIER, T0 + i) is None
        assert guard.failure("10.8.3.4", T0 + i) is None  # an office behind one NAT address, made exempt
    assert guard.blocks == []


def test_a_block_expires_and_counting_starts_afresh() -> None:
    guard = tracker(after=3, block_for_s=600)
    for i in range(3):
        guard.failure("203.0.113.7", T0 + i)
    # failures while blocked (Asterisk's FailedACL) neither extend nor renew the block
    assert guard.failure("203.0.113.7", T0 + 100) is None
    assert guard.next_expiry() == T0 + 2 + 600
    assert guard.expire(T0 + 601) == []
    assert [b.address for b in guard.expire(T0 + 602)] == ["203.0.113.7"]
    assert not guard.is_blocked("203.0.113.7", T0 + 602) and guard.next_expiry() is None
    assert guard.failure("203.0.113.7", T0 + 603) is None and guard.failures("203.0.113.7", T0 + 603) == 1


def test_blocking_is_off_with_zero_and_memory_stays_bounded() -> None:
    off = tracker(after=0)
    assert all(off.failure("203.0.113.7", T0 + i) is None for i in range(10)) and off.blocks == []
    small = tracker(after=2, max_tracked=3, max_blocked=1)
    for i in range(10):  # a scanner from ten addresses, one failure each
        small.failure(f"198.51.100.{i}", T0 + i)
    assert len(small._failures) <= 3  # the stalest addresses forgotten first
    small.failure("203.0.113.1", T0 + 20)
    assert small.failure("203.0.113.1", T0 + 21) is not None
    small.failure("203.0.113.2", T0 + 22)
    assert small.failure("203.0.113.2", T0 + 23) is None and small.refused_full == 1  # the ACL is full


# --- the ACL file ---------------------------------------------------------------------------------------
def test_the_acl_file_holds_each_block_until_its_end_and_reads_back() -> None:
    blocks = [Block("203.0.113.7", T0 + 3600, 5), Block("2001:db8::7", T0 + 60, 9)]
    text = render_acl(blocks)
    assert "[hotline-intruders]\ntype = acl\n" in text
    assert "deny = 2001:db8::7/128 ; until=2027-01-15T08:01:00Z failures=9\n" in text
    assert text.index("2001:db8::7") < text.index("203.0.113.7")  # soonest over first
    assert read_acl(text) == sorted(blocks, key=lambda b: b.until)
    empty = render_acl([])
    assert "type = acl" not in empty and "deny" not in empty.replace("; ", "")  # no rule: no ACL at all
    assert read_acl(empty) == []
    assert read_acl("deny = 203.0.113.9/32\ndeny = nonsense ; until=2027-01-15T08:00:00Z\n") == []


def test_blocks_taken_back_after_a_restart_drop_the_ones_over_and_the_exempt() -> None:
    guard = tracker()
    found = [Block("203.0.113.7", T0 + 10, 5), Block("198.51.100.4", T0 - 1, 5), Block(CARRIER, T0 + 10, 5)]
    assert guard.restore(found, T0) == [found[0]]
    assert guard.is_blocked("203.0.113.7", T0 + 1)


def test_the_rendered_configuration_includes_the_acl_reads_security_events_and_logs_them(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, ari_password="a" * 20, ami_password="b" * 20)  # type: ignore[call-arg,arg-type]
    etc = render_configuration(settings.asterisk, AsteriskLayout(tmp_path, "unit"), load_lines())
    pjsip = (etc / "pjsip.conf").read_text()
    assert f'#tryinclude "{ACL_FILE_NAME}"' in pjsip
    assert "[carrier]\ntype = endpoint" in pjsip and "identify_by = ip\n" in pjsip  # not by a From user "carrier"
    manager = (etc / "manager.conf").read_text()
    read = next(line for line in manager.splitlines() if line.startswith("read ="))
    assert "security" in read.split("=", 1)[1].replace(" ", "").split(",")
    assert "security.log => security" in (etc / "logger.conf").read_text()
    assert not (etc / ACL_FILE_NAME).exists()  # written by the guard, never by a render


def test_the_block_settings_have_their_defaults_and_names(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.sip_block_after, settings.sip_block_window_s, settings.sip_block_for_s) == (5, 60.0, 3600.0)
    monkeypatch.setenv("HOTLINE_SIP_BLOCK_AFTER", "3")
    monkeypatch.setenv("HOTLINE_SIP_BLOCK_EXEMPT", '["10.8.0.0/16"]')
    changed = Settings(_env_file=None)  # type: ignore[call-arg]
    assert changed.sip_block_after == 3 and changed.sip_block_exempt == ["10.8.0.0/16"]


# --- the guard: events in, file and reload out ------------------------------------------------------
class RecordingAmi:
    """Stands in for the guard's AMI session: records the actions; `refuse` makes them fail."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.refuse = False

    def on_event(self, pattern: str, callback: Any) -> None:
        pass

    async def connect(self) -> None:
        pass

    def close(self) -> None:
        pass

    async def send(self, action: dict[str, str], *, as_list: bool | None = None) -> dict[str, str]:
        if self.refuse:
            raise AmiError("AMI is not connected")
        self.sent.append(action)
        return {"Response": "Success", "Message": "Module Reloaded"}


def _guard(tmp_path: Path, ami: RecordingAmi, bus: EventBus, now: list[float]) -> SipGuard:
    return SipGuard(
        tracker(after=3),
        tmp_path / ACL_FILE_NAME,
        cast(AmiClient, ami),
        CallNotifier(bus),
        clock=lambda: now[0],
        settle_s=0,
        retry_s=0.05,
    )


async def test_the_guard_blocks_writes_the_acl_reloads_pjsip_then_announces_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # expected: three ChallengeResponseFailed from 203.0.113.7 -> one WARNING, the ACL file, one Reload of
    # res_pjsip.so, one sip.blocked; AMI refusing the reload delays the event until a retry succeeds
    ami, bus, now = RecordingAmi(), EventBus(), [T0]
    guard = _guard(tmp_path, ami, bus, now)
    ami.refuse = True
    with bus.subscribe() as sub:
        task = asyncio.create_task(guard.run())
        for _ in range(3):
            guard.on_event(None, security_event("ChallengeResponseFailed", "203.0.113.7"))
        guard.on_event(None, security_event("ChallengeSent", "203.0.113.7"))
        await asyncio.sleep(0.2)
        assert sub.queue.empty() and ami.sent == []  # not announced while Asterisk does not enforce it
        assert "deny = 203.0.113.7/32" in (tmp_path / ACL_FILE_NAME).read_text()
        ami.refuse = False
        event = await sub.get(timeout=5)
        task.cancel()
    assert event.name == SIP_BLOCKED and event.data["address"] == "203.0.113.7" and event.data["failures"] == 3
    assert ami.sent == [RELOAD_PJSIP] and guard.failures_seen == {"ChallengeResponseFailed": 3}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name == "telephony.sip.guard"]
    assert warnings == [
        "SIP: blocking 203.0.113.7 after 3 authentication failures within 60 s, for 3600 s (until 2027-01-15T09:00:00Z)"
    ]


async def test_a_restarted_guard_takes_its_blocks_back_from_the_file_and_lifts_them_by_hand(tmp_path: Path) -> None:
    # expected: the file's running block restored and re-enforced (one Reload), the one over dropped from
    # the file; unblock() rewrites it without the address, reloads, and publishes sip.unblocked
    (tmp_path / ACL_FILE_NAME).write_text(
        render_acl([Block("203.0.113.7", T0 + 600, 5), Block("198.51.100.4", T0 - 5, 5)])
    )
    ami, bus, now = RecordingAmi(), EventBus(), [T0]
    guard = _guard(tmp_path, ami, bus, now)
    with bus.subscribe() as sub:
        task = asyncio.create_task(guard.run())
        for _ in range(50):
            if ami.sent:
                break
            await asyncio.sleep(0.02)
        text = (tmp_path / ACL_FILE_NAME).read_text()
        assert "203.0.113.7" in text and "198.51.100.4" not in text and ami.sent == [RELOAD_PJSIP]
        assert await guard.unblock("203.0.113.7") and not await guard.unblock("203.0.113.99")
        event = await sub.get(timeout=5)
        task.cancel()
    assert event.name == "sip.unblocked" and event.data == {"address": "203.0.113.7"}
    assert "deny" not in (tmp_path / ACL_FILE_NAME).read_text().replace("; ", "") and len(ami.sent) == 2


# --- agents' SIP passwords ------------------------------------------------------------------------------
def test_agents_sip_passwords_are_generated_strong_and_none_can_be_chosen(
    api: TestClient, auth: AuthService, book: CaseBook
) -> None:
    stamp = secrets.token_hex(4)  # other tests of this database add agents and extensions too
    auth.create_user(f"sipadm-{stamp}", Role.ADMIN, password="a-long-password")
    admin = {"Authorization": f"Bearer {auth.login(f'sipadm-{stamp}', 'a-long-password')}"}
    passwords = []
    for prefix, extension in (
        ("sipa", str(6000 + secrets.randbelow(1000))),
        ("sipb", str(7000 + secrets.randbelow(1000))),
    ):
        auth.create_user(f"{prefix}-{stamp}", Role.INTAKE_AGENT, password="a-long-password")
        # a password chosen by the administrator is refused, naming the field
        chosen = {"username": f"{prefix}-{stamp}", "extension": extension, "sip_password": "1234"}
        refused = api.post("/api/v1/agents", json=chosen, headers=admin)
        assert refused.status_code == 422 and "sip_password" in refused.text, refused.text
        made = api.post("/api/v1/agents", json={k: v for k, v in chosen.items() if k != "sip_password"}, headers=admin)
        assert made.status_code == 201, made.text
        passwords.append(made.json()["sip_password"])
        # a new password cannot be chosen either: whatever the body says, one is generated
        again = api.post(f"/api/v1/agents/{extension}/sip-password", json={"sip_password": "1234"}, headers=admin)
        assert again.status_code == 200 and again.json()["sip_password"] != "1234"
        passwords.append(again.json()["sip_password"])
        with book.sessions() as s:
            agent = s.scalar(select(Agent).where(Agent.extension == extension))
            assert agent is not None
            weak = hashlib.md5(f"{extension}:{SIP_REALM}:1234".encode()).hexdigest()
            assert agent.digest_md5 != weak
    alphabet = set(string.ascii_letters + string.digits + "-_")
    for password in passwords:  # secrets.token_urlsafe(18): 24 characters, 144 random bits
        assert len(password) >= 24 and set(password) <= alphabet
    assert len(set(passwords)) == len(passwords)
