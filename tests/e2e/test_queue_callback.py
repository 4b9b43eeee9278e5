"""Keep my place: a caller waiting in a queue presses 2, says briefly what it is about, hangs up,
and is called back through the real trunk once an agent of that queue is free; answering, they
join the queue ahead of later callers and the agent takes them.

Real parts: Asterisk, pjsua2 callers, the agent's pjsua2 desk phone, the pjsua2 "citizen" behind
the carrier trunk (`hotline citizen`, tests/e2e/test_callbacks.py), PostgreSQL, the Vosk model.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import select

from casebook.auth.policy import Actor, Role
from casebook.db.models import Callback, Caller, Case
from common.bus import PlatformEvent
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.helpers import (
    Phone,
    agent_with_phone,
    notice_seconds,
    place_call,
    prompt_seconds,
    until_reachable,
    wait_for,
)
from tests.e2e.test_callbacks import Citizen, trunk_platform  # noqa: F401 - the fixture

BUSY_CALLER, WAITING_CALLER = "13700000041", "13700000042"


def _case_and_callbacks(platform: Platform, phone: str) -> tuple[Case, list[Callback]]:
    with platform.sessions() as s:
        case = s.scalar(select(Case).join(Caller).where(Caller.phone == phone).order_by(Case.id.desc()))
        assert case is not None, "the message of the caller who kept their place is no case"
        rows = list(s.scalars(select(Callback).where(Callback.case_id == case.id)))
        return case, rows


async def test_a_caller_who_keeps_their_place_is_called_back_when_the_agent_is_free_and_joins_the_queue(
    trunk_platform: tuple[Platform, Settings],  # noqa: F811
    speech_wav: Path,
) -> None:
    # expected: the busy caller: ivr.transfer, queue.joined, queue.answered (the agent talks 45 s);
    # the waiting caller: queue.joined, key 2: queue.left, ivr.queue-callback, ivr.report,
    # ivr.case-opened, callback.scheduled (reason queue), ivr.queue-callback-kept (kept);
    # no callback.dialling while the agent talks; then queue.completed of the busy call,
    # callback.dialling (the waiting caller's number), callback.answered, queue.joined and
    # queue.answered of the callback's call, callback.verdict (result queued); the callback done
    platform, settings = trunk_platform
    password = agent_with_phone(platform.sessions, "keep-place", "1043")
    phone = await Phone.start(settings, "1043", password, hold=180, answer_after=1, talk=45)
    agent = Actor("keep-place", Role.INTAKE_AGENT)
    citizen = await Citizen.start(settings, "answer 1; until-hangup 80", hold=180)
    await platform.state["desk"].login(agent)
    handed = prompt_seconds(settings, "transfer") + notice_seconds(settings) + 2  # then in the queue
    intro = prompt_seconds(settings, "queue-callback-intro") + 1.5
    log: list[PlatformEvent] = []
    try:
        await until_reachable(platform.ami, "1043")
        with platform.bus.subscribe() as sub:
            busy = asyncio.create_task(
                place_call(settings, "12345", "wait 1; keys 3; until-hangup 80", caller=BUSY_CALLER)
            )
            taken = await wait_for(sub, "queue.answered", log=log, timeout=40)
            waiting = asyncio.create_task(
                place_call(
                    settings,
                    "12345",
                    f"wait 1; keys 3; wait {handed:.1f}; keys 2; wait {intro:.1f}; say {speech_wav}; keys #; "
                    "until-hangup 40",
                    caller=WAITING_CALLER,
                )
            )
            verdict = await wait_for(sub, "callback.verdict", log=log, timeout=150)
            answered = next((e for e in log if e.name == "queue.answered" and e.call_id == verdict.call_id), None)
            answered = answered or await wait_for(sub, "queue.answered", log=log, timeout=40)
            await asyncio.gather(busy, waiting)
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(agent)
        await phone.stop()
        await citizen.stop()
    names = [e.name for e in log]
    [asked] = [e for e in log if e.name == "ivr.queue-callback"]
    [kept] = [e for e in log if e.name == "ivr.queue-callback-kept"]
    [scheduled] = [e for e in log if e.name == "callback.scheduled"]
    [freed] = [e for e in log if e.name == "queue.completed" and e.call_id == taken.call_id]
    [dialling] = [e for e in log if e.name == "callback.dialling"]
    [joined] = [e for e in log if e.name == "queue.joined" and e.call_id == dialling.call_id]
    assert asked.data["queue"] == "intake" and kept.data["kept"] is True, names
    assert scheduled.at < freed.at, "the message took longer than the agent's call: nothing was shown"
    assert scheduled.data["reason"] == "queue"
    assert freed.call_id == taken.call_id and dialling.at >= freed.at, names  # not while the agent talked
    assert dialling.data["reason"] == "queue" and dialling.data["to"] != WAITING_CALLER  # masked in the log
    assert joined.call_id == answered.call_id == dialling.call_id == verdict.call_id, names
    assert joined.data["caller"] == "137****0042"  # the agent sees the citizen, not the line that called
    assert verdict.data["result"] == "queued" and verdict.data["state"] == "done"
    case, [callback] = await asyncio.to_thread(_case_and_callbacks, platform, WAITING_CALLER)
    assert (callback.reason, callback.queue, callback.state, callback.attempts) == ("queue", "intake", "done", 1)
    assert case.line_number == "12345" and case.origin == "ivr"
