"""A unit's duty phone through the real carrier trunk: an agent hands the caller to the unit, or
calls the unit's clerk into the call (会办, three-way), from the agent's desk.

Real parts: Asterisk, the pjsua2 caller and the agent's pjsua2 desk phone, and the unit's clerk as
the pjsua2 "citizen" behind the carrier trunk (`hotline citizen`, tests/e2e/test_callbacks.py),
who answers and says a 1500 Hz tone: the caller's recording shows whether they heard the clerk.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from casebook.auth.policy import Actor, Role
from casebook.db.models import Unit
from common.bus import PlatformEvent
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from tests.e2e.helpers import Phone, drain, place_call, until_reachable, wait_for
from tests.e2e.test_callbacks import Citizen, trunk_platform  # noqa: F401 - the fixture
from tests.e2e.test_supervision import tone_seconds
from tests.e2e.test_transfer import _agent
from tests.speech import tone

CLERK_PHONE = "+86 28-8200 0099"  # as an administrator types it: the carrier dials its digits


def _unit_with_a_duty_phone(platform: Platform, code: str) -> None:
    with platform.sessions() as s:
        s.merge(Unit(code=code, kind="department", name_zh="值班科室", name_en="Duty office", phone=CLERK_PHONE))
        s.commit()


async def _handing_to_the_unit(
    platform: Platform, settings: Settings, tmp_path: Path, how: str
) -> tuple[list[PlatformEvent], float, dict[str, object], str]:
    """A caller answered by an agent, who hands them to the unit (`transfer`) or calls the unit in
    and joins all three (`three-way`). Returns the events, the seconds of the clerk's tone the caller
    heard, the clerk's first line (what rang) and the agent's desk status after."""
    stamp = time.strftime("%H%M%S")
    name, extension, code = f"unit-{how[:4]}-{stamp}", f"5{stamp[-4:]}", f"duty-{how[:4]}-{stamp}"
    password = _agent(platform, name, extension, {"intake": 0})
    _unit_with_a_duty_phone(platform, code)
    await asyncio.to_thread(asterisk_process(settings).reload, lines_book(settings), prompts_dir(settings))
    phone = await Phone.start(settings, extension, password, hold=90, answer_after=1, talk=30)
    says = tone(tmp_path / "clerk.wav", 1500, 6.0)
    clerk = await Citizen.start(settings, f"answer 1; say {says}; until-hangup 40", hold=90)
    desk, agent = platform.state["desk"], Actor(name, Role.INTAKE_AGENT)
    heard = tmp_path / "caller.wav"
    log: list[PlatformEvent] = []
    try:
        await desk.login(agent)
        await until_reachable(platform.ami, extension)
        with platform.bus.subscribe() as sub:
            script = "wait 1; keys 3; wait 25; hangup"
            call = asyncio.create_task(place_call(settings, "12345", script, caller="13912345607", record=heard))
            await wait_for(sub, "queue.answered", timeout=40, log=log, member=name)
            await asyncio.sleep(1)
            if how == "transfer":
                await desk.transfer(agent, "unit", code)
            else:
                await desk.consult(agent, "unit", code)
            rang = await clerk.next_line(20)  # the clerk's phone, through the carrier
            if how == "three-way":
                await asyncio.sleep(1)
                await desk.finish_consult(agent, "three-way")
            await asyncio.sleep(1)
            status = desk.states[name].status
            await call
            drain(sub, log)
    finally:
        with contextlib.suppress(Exception):
            await desk.logout(agent)
        await phone.stop()
        await clerk.stop()
    return log, tone_seconds(heard, 1500), rang, status


async def test_an_agent_hands_the_caller_to_a_units_duty_phone_through_the_carrier(
    trunk_platform: tuple[Platform, Settings],  # noqa: F811
    tmp_path: Path,
) -> None:
    # expected: queue.answered (the agent), agent.transferred (to unit): the carrier rings the
    # unit's duty phone (its digits), the clerk answers and the caller hears them (the clerk's
    # tone); the agent leaves the call (queue.transferred, wrap-up)
    platform, settings = trunk_platform
    log, heard_s, rang, status = await _handing_to_the_unit(platform, settings, tmp_path, "transfer")
    names = [e.name for e in log]
    assert "agent.transferred" in names, names
    assert rang["event"] == "incoming" and "862882000099" in str(rang["to"]), rang  # the digits dialled
    assert heard_s > 3.0, f"the caller heard the unit's clerk for {heard_s} s of 6"
    assert status == "wrap_up", status


async def test_an_agent_calls_a_units_clerk_into_the_call_and_all_three_talk(
    trunk_platform: tuple[Platform, Settings],  # noqa: F811
    tmp_path: Path,
) -> None:
    # expected: agent.consulting (to unit): the clerk's phone rings through the carrier while the
    # caller hears music; agent.consult-three-way: the caller hears the clerk from then on; the
    # agent stays on the call (会办)
    platform, settings = trunk_platform
    log, heard_s, rang, status = await _handing_to_the_unit(platform, settings, tmp_path, "three-way")
    names = [e.name for e in log]
    assert "agent.consulting" in names and "agent.consult-three-way" in names, names
    assert rang["event"] == "incoming" and "862882000099" in str(rang["to"]), rang
    assert heard_s > 1.5, f"the caller heard the unit's clerk for {heard_s} s"
    assert status == "on_call", status
