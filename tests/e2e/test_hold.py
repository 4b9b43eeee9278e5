"""Hold plays music to the caller (issue 19): the agent's phone puts the call on hold (a SIP
re-INVITE, as a desk phone's hold key or the browser phone's "保持 Hold" does), Asterisk plays the
caller music on hold, and the call comes back when the agent takes it back.

Real parts: Asterisk's queue and music on hold, a pjsua2 desk phone that answers, says nothing,
holds 3 s after answering for 6 s, takes the call back and hangs up 14 s after answering; a
pjsua2 caller recording what it hears.

Expected: queue.answered; the phone's own held and resumed; at the caller, the hold window loud
(music) and the talk after it quiet (the silent agent); queue.completed (the agent hung up).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import numpy as np

from casebook.auth.policy import Actor, Role
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from tests.e2e.helpers import Phone, agent_with_phone, loud_times, place_call, read_wav, until_reachable, wait_for

TALK_S, HOLD_AT_S, HOLD_FOR_S = 14.0, 3.0, 6.0


def _loud_seconds(samples: np.ndarray, rate: int, start_s: float, end_s: float) -> float:
    return len(loud_times(samples[int(start_s * rate) : int(end_s * rate)], rate)) * 0.02


async def test_hold_plays_music_to_the_caller_and_the_call_comes_back(
    platform: Platform, asterisk: Settings, tmp_path: Path
) -> None:
    stamp = time.strftime("%H%M%S")
    name, extension = f"holder-{stamp}", f"2{stamp[-4:]}"
    password = agent_with_phone(platform.sessions, name, extension)
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone = await Phone.start(
        asterisk, extension, password, hold=60, answer_after=1, talk=TALK_S, hold_at=HOLD_AT_S, hold_for=HOLD_FOR_S
    )
    agent = Actor(name, Role.INTAKE_AGENT)
    heard = tmp_path / "caller.wav"
    try:
        await platform.state["desk"].login(agent)
        await until_reachable(platform.ami, extension)
        with platform.bus.subscribe() as sub:
            script = "wait 1; keys 3; until-hangup 60"
            call = asyncio.create_task(place_call(asterisk, "12345", script, caller="13912345604", record=heard))
            await wait_for(sub, "queue.answered", timeout=40)
            result = await call
            completed = await wait_for(sub, "queue.completed", timeout=20)
        events = phone.events()
        while "resumed" not in events:
            await phone.next_line(5)
            events = phone.events()
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(agent)
        await phone.stop()
    assert completed.data["reason"] == "agent" and result["ended_by"] != "caller", (completed.data, result)
    assert events.index("held") < events.index("resumed")
    samples, rate = read_wav(heard)
    end = len(samples) / rate  # the agent hung up TALK_S after answering: the recording's end
    talk_start = end - TALK_S
    on_hold = _loud_seconds(samples, rate, talk_start + HOLD_AT_S + 1, talk_start + HOLD_AT_S + HOLD_FOR_S - 1)
    after = _loud_seconds(samples, rate, talk_start + HOLD_AT_S + HOLD_FOR_S + 1.5, end - 0.5)
    assert on_hold > 2.5, f"music on hold at the caller: {on_hold} s of {HOLD_FOR_S - 2} s"
    assert after < 0.5, f"after taking the call back, the silent agent: {after} s loud"
