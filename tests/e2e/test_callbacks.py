"""Satisfaction callbacks through the real trunk: Asterisk dials a real pjsua2 "citizen".

The citizen (`hotline citizen`, a separate process on 127.0.0.5) is where HOTLINE_CARRIER_URI
points; Asterisk's configuration is re-rendered with the carrier's AOR for these tests and put
back afterwards. A reply recorded on a case with the citizen's number schedules the callback; the
platform's loop places it (ARI originate, PJSIP/<number>@carrier) within a second.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from casebook.auth.policy import Actor, Role
from casebook.cases.intake import NewAppeal
from casebook.db.models import Callback, Case, CaseEvent, SatisfactionVerdict
from common.bus import PlatformEvent
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from tests.e2e.conftest import SLOT, running_platform
from tests.e2e.helpers import ROOT, JsonLinesProcess, assert_events, prompt_seconds, settings_env, wait_for

AGENT = Actor("agent-e2e", Role.INTAKE_AGENT)
ENV = Actor("handler-env", Role.UNIT_HANDLER, "env")
CITIZEN = ("127.0.0.5", 5070 + SLOT * 10)  # not the README's 127.0.0.3: a developer's make up may use it


@pytest.fixture
async def trunk_platform(asterisk: Settings) -> AsyncIterator[tuple[Platform, Settings]]:
    """The platform with a carrier to call out through (Asterisk reloaded with its AOR)."""
    settings = asterisk.model_copy(
        update={
            "carrier_uri": f"sip:{CITIZEN[0]}:{CITIZEN[1]}",
            "callback_hours": "00:00-24:00",
            "callback_scan_interval_s": 0.5,
            "callback_retry_delay_min": 0.05,  # 3 s
            "callback_ring_timeout_s": 5,
            "callback_max_attempts": 2,
        }
    )
    await asyncio.to_thread(asterisk_process(settings).reload, lines_book(settings), prompts_dir(settings))
    try:
        async with running_platform(settings) as platform:
            yield platform, settings
    finally:
        await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))


class Citizen(JsonLinesProcess):
    """`hotline citizen`: answers, refuses or ignores the calls that ring, printing JSON lines."""

    @classmethod
    async def start(cls, settings: Settings, *plans: str, hold: float = 120) -> Citizen:
        argv = [sys.executable, "-m", "hotline", "citizen", "--bind", CITIZEN[0], "--port", str(CITIZEN[1])]
        argv += ["--hold", str(hold)] + [arg for plan in plans for arg in ("--call", plan)]
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=ROOT, env=settings_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        citizen = cls(proc)
        assert (await citizen.next_line(20))["event"] == "listening"
        return citizen


def _replied_case(platform: Platform, phone: str) -> str:
    """A case of this citizen, dispatched, accepted and answered by the environment bureau."""
    book = platform.book
    number = book.open(
        NewAppeal(channel="line-12345", line_number="12345", description="河边有死猪，很臭", caller_phone=phone),
        AGENT,
    ).number
    book.register(number, AGENT, category="environment.noise", place="township-wujin")
    book.dispatch(number, AGENT, lead="env", deadline_hours=48)
    book.accept(number, ENV, section="pollution")
    book.reply(number, ENV, text="已清理并消毒。")
    return number


def _notice_seconds(settings: Settings, number: str) -> float:
    """How long the citizen hears before the question: greeting, intro, the number, the reply."""
    names = ["greeting-mayor", "callback-intro", *(f"digit-{d}" for d in number), "callback-replied"]
    return sum(prompt_seconds(settings, name) for name in names)


def _state(platform: Platform, number: str) -> tuple[Case, list[Callback], list[str]]:
    with platform.sessions() as s:
        case = platform.book.get(s, number)
        rows = list(s.scalars(select(Callback).where(Callback.case_id == case.id).order_by(Callback.id)))
        kinds = list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))
        return case, rows, kinds


async def _stored(platform: Platform, call_id: str, last: str) -> list[str]:
    for _ in range(50):
        names = [e.name for e in platform.call_log.of_call(call_id)]
        if last in names:
            return names
        await asyncio.sleep(0.1)
    return names


async def test_a_citizen_who_keys_2_on_the_callback_reopens_the_case(
    trunk_platform: tuple[Platform, Settings],
) -> None:
    # expected: callback.scheduled (-), then for the call: callback.dialling 1, call.started 1,
    # callback.answered 1, callback.key 1 (2), call.ended 1, callback.verdict 1 (unsatisfied, reopened);
    # no callback.failed; the citizen sees incoming, answered, keys 2, ended (the platform hangs up)
    platform, settings = trunk_platform
    log: list[PlatformEvent] = []
    with platform.bus.subscribe() as sub:
        number = await asyncio.to_thread(_replied_case, platform, "13800000071")
        wait = round(_notice_seconds(settings, number) + 1.0, 1)
        citizen = await Citizen.start(settings, f"answer 1; wait {wait}; keys 2; until-hangup 30")
        try:
            scheduled = await wait_for(sub, "callback.scheduled", log=log, timeout=10, case=number)
            verdict = await wait_for(sub, "callback.verdict", log=log, timeout=90, case=number)
            while (await citizen.next_line(15))["event"] != "ended":
                pass
        finally:
            await citizen.stop()
    assert verdict.data["verdict"] == "unsatisfied" and verdict.data["case_status"] == "reopened", verdict.data
    assert verdict.data["callback"] == scheduled.data["callback"]
    call_id = verdict.call_id
    assert_events(
        log,
        {
            "callback.dialling": 1,
            "call.started": 1,
            "callback.answered": 1,
            "callback.key": 1,
            "call.ended": 1,
            "callback.verdict": 1,
            "callback.failed": 0,
        },
        call_id=call_id,
    )
    assert [e.data["key"] for e in log if e.name == "callback.key"] == ["2"]
    assert citizen.events()[:5] == ["listening", "incoming", "answered", "keys", "ended"]
    case, [row], kinds = _state(platform, number)
    assert (case.status, case.satisfaction, case.reopened_count) == ("reopened", "unsatisfied", 1)
    assert (row.state, row.attempts, row.verdict, row.last_call_id) == ("done", 1, "unsatisfied", call_id)
    assert "callback_scheduled" in kinds and "unsatisfied" in kinds
    with platform.sessions() as s:
        source = s.scalar(select(SatisfactionVerdict.source).where(SatisfactionVerdict.case_id == case.id))
    assert source == "callback"
    stored = await _stored(platform, call_id, "callback.verdict")
    assert stored[0] == "callback.dialling" and "callback.answered" in stored and stored[-1] == "callback.verdict"


async def test_a_busy_then_unanswered_citizen_is_retried_then_left_to_a_person(
    trunk_platform: tuple[Platform, Settings],
) -> None:
    # expected: attempt 1: callback.dialling, callback.failed (busy); the callback waits 3 s (due,
    # attempts 1); attempt 2: callback.dialling, callback.failed (no-answer, after the 5 s ring);
    # callback.given_up (just before that last failure); no call.started (nobody answered); the case
    # stays replied, with a callback_no_verdict event for a person to follow up
    platform, settings = trunk_platform
    log: list[PlatformEvent] = []
    citizen = await Citizen.start(settings, "reject 486", "ignore")
    try:
        with platform.bus.subscribe() as sub:
            number = await asyncio.to_thread(_replied_case, platform, "13800000072")
            first = await wait_for(sub, "callback.failed", log=log, timeout=30, case=number)
            _case, [row], _kinds = _state(platform, number)
            assert (row.state, row.attempts) == ("due", 1) and row.last_result is not None
            assert row.next_attempt_at > row.updated_at
            second = await wait_for(sub, "callback.failed", log=log, timeout=40, case=number)
    finally:
        await citizen.stop()
    assert (first.data["cause"], first.data["attempt"]) == ("busy", 1), first.data
    assert (second.data["cause"], second.data["attempt"]) == ("no-answer", 2), second.data
    assert first.call_id != second.call_id and (first.data["code"], second.data["code"]) == (17, 19)
    assert (first.data["state"], second.data["state"]) == ("due", "no_verdict")
    assert [e.data["attempts"] for e in log if e.name == "callback.given_up"] == [2]  # published before
    for event in (first, second):
        assert_events(log, {"callback.dialling": 1, "callback.failed": 1, "call.started": 0}, call_id=event.call_id)
    case, [row], kinds = _state(platform, number)
    assert (case.status, row.state, row.attempts) == ("replied", "no_verdict", 2)
    assert "no-answer" in (row.last_result or "") and "callback_no_verdict" in kinds
    assert await _stored(platform, second.call_id, "callback.failed") == ["callback.dialling", "callback.failed"]


async def test_a_wrong_key_then_silence_and_a_hangup_mid_question_give_no_verdict(
    trunk_platform: tuple[Platform, Settings],
) -> None:
    # expected: attempt 1 answered: callback.key 7, callback.key None (silence), callback.verdict
    # (verdict None, result no-input, state due); attempt 2 answered, the citizen hangs up during the
    # question: callback.verdict (verdict None, result hangup, state no_verdict); the case stays replied
    platform, settings = trunk_platform
    log: list[PlatformEvent] = []
    with platform.bus.subscribe() as sub:
        number = await asyncio.to_thread(_replied_case, platform, "13800000073")
        wait = round(_notice_seconds(settings, number) + 1.0, 1)
        citizen = await Citizen.start(
            settings, f"answer 1; wait {wait}; keys 7; until-hangup 60", f"answer 1; wait {wait}; hangup"
        )
        try:
            first = await wait_for(sub, "callback.verdict", log=log, timeout=90, case=number)
            second = await wait_for(sub, "callback.verdict", log=log, timeout=90, case=number)
        finally:
            await citizen.stop()
    assert (first.data["verdict"], first.data["result"], first.data["state"]) == (None, "no-input", "due"), first.data
    assert [e.data["key"] for e in log if e.name == "callback.key" and e.call_id == first.call_id] == ["7", None]
    assert (second.data["verdict"], second.data["result"], second.data["state"]) == (None, "hangup", "no_verdict")
    case, [row], _kinds = _state(platform, number)
    assert (case.status, case.satisfaction, row.state, row.attempts) == ("replied", None, "no_verdict", 2)
