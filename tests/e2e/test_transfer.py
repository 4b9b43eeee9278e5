"""An agent hands the caller on from the agent page (issue 19): into another queue, or to another
agent's phone, without talking first (a blind transfer: AMI BlindTransfer of the agent's leg).

Real parts: Asterisk's queues, pjsua2 desk phones for two agents (one of the intake queue, one of
the efficiency queue), a pjsua2 caller who stays on the line.

Expected: queue.answered (intake, desk A); agent.transferred (A, to queue efficiency);
queue.transferred (A) and A in wrap-up; queue.joined and queue.answered (efficiency, desk B);
agent.transferred (B, to agent C, in no queue); call.agent-ringing (C: C's screen pops up with the
caller), C's phone rings and answers, call.agent-answered (C); the caller hangs up:
call.agent-ended (C) and C in wrap-up; the caller was on the line throughout, and one
conversation is recorded, in the history of each of A, B and C.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.errors import Conflict
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from tests.e2e.browser import screenshot
from tests.e2e.helpers import Phone, drain, notice_seconds, place_call, until_reachable, wait_for
from tests.e2e.test_agent_page import _in_browser, _open_page, _status, _wait, browser  # noqa: F401

ADMIN = Actor("admin", Role.ADMIN)


def _agent(platform: Platform, name: str, extension: str, skills: dict[str, int]) -> str:
    with contextlib.suppress(Conflict):
        AuthService(platform.sessions).create_user(name, Role.INTAKE_AGENT, password="a-long-password")
    directory = AgentDirectory(platform.sessions)
    if directory.phone_of(name) is not None:
        return directory.new_password(ADMIN, extension).sip_password
    return directory.create(ADMIN, name, extension, skills).sip_password


async def _until(phone: Phone, event: str, timeout: float) -> float:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await phone.next_line(deadline - loop.time()))["event"] != event:
        pass
    return time.monotonic()


async def test_an_agent_transfers_the_caller_into_another_queue_and_then_to_an_agent(
    platform: Platform, asterisk: Settings
) -> None:
    stamp = time.strftime("%H%M%S")
    a_name, a_ext = f"xfer-a-{stamp}", f"3{stamp[-4:]}"
    b_name, b_ext = f"xfer-b-{stamp}", f"4{stamp[-4:]}"
    a_password = _agent(platform, a_name, a_ext, {"intake": 0})
    b_password = _agent(platform, b_name, b_ext, {"efficiency": 0})
    c_name, c_ext = f"xfer-c-{stamp}", f"6{stamp[-4:]}"
    c_password = _agent(platform, c_name, c_ext, {})  # a specialist in no queue
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone_a = await Phone.start(asterisk, a_ext, a_password, hold=80, answer_after=1, talk=0)
    phone_b = await Phone.start(asterisk, b_ext, b_password, hold=80, answer_after=1, talk=0)
    phone_c = await Phone.start(asterisk, c_ext, c_password, hold=80, answer_after=1, talk=0)
    desk = platform.state["desk"]
    agent_a, agent_b = Actor(a_name, Role.INTAKE_AGENT), Actor(b_name, Role.INTAKE_AGENT)
    agent_c = Actor(c_name, Role.INTAKE_AGENT)
    log: list = []
    try:
        await desk.login(agent_a)
        await desk.login(agent_b)
        await desk.state(agent_c)  # C's page is open: at the desk, in no queue
        await until_reachable(platform.ami, a_ext)
        await until_reachable(platform.ami, b_ext)
        with platform.bus.subscribe() as sub:
            script = f"wait 1; keys 3; wait {32 + notice_seconds(asterisk):.1f}; hangup"
            call = asyncio.create_task(place_call(asterisk, "12345", script, caller="13912345603"))
            answered = await wait_for(sub, "queue.answered", timeout=40, log=log)
            assert answered.data["member"] == a_name and answered.data["queue"] == "intake"
            await asyncio.sleep(1)

            asked = time.monotonic()
            state = await desk.transfer(agent_a, "queue", "efficiency")
            assert state.call is not None
            rang_b = await _until(phone_b, "incoming", 20)
            again = await wait_for(sub, "queue.answered", timeout=20, log=log)
            assert again.call_id == answered.call_id and again.data["member"] == b_name, again.data
            assert again.data["queue"] == "efficiency"
            assert desk.states[a_name].status == "wrap_up"

            await asyncio.sleep(1)
            asked_agent = time.monotonic()
            await desk.transfer(agent_b, "agent", c_name)
            ringing = await wait_for(sub, "call.agent-ringing", timeout=10, log=log)
            assert ringing.call_id == answered.call_id and ringing.data["member"] == c_name, ringing.data
            c_call = desk.states[c_name].call
            assert c_call is not None and c_call.call_id == answered.call_id and c_call.line == "12345"
            rang_c = await _until(phone_c, "incoming", 20)
            await _until(phone_c, "answered", 10)
            taken = await wait_for(sub, "call.agent-answered", timeout=10, log=log)
            assert taken.data["member"] == c_name and desk.states[c_name].status == "on_call"
            result = await call
            ended = await wait_for(sub, "call.agent-ended", timeout=10, log=log)
            assert ended.data["member"] == c_name and desk.states[c_name].status == "wrap_up"
            stored = await wait_for(sub, "conversation.stored", timeout=30, log=log)
            while stored.call_id != answered.call_id:  # another test's call, stored meanwhile
                stored = await wait_for(sub, "conversation.stored", timeout=30, log=log)
            await asyncio.sleep(1)
            drain(sub, log)
    finally:
        for agent in (agent_a, agent_b, agent_c):
            with contextlib.suppress(Exception):
                await desk.logout(agent)
        await phone_a.stop()
        await phone_b.stop()
        await phone_c.stop()
    names = [e.name for e in log]
    assert names.count("agent.transferred") == 2 and "queue.transferred" in names, names
    assert result["ended_by"] == "caller", result  # on the line to the end, through both transfers
    stored_here = [e for e in log if e.name == "conversation.stored" and e.call_id == answered.call_id]
    assert len(stored_here) == 1  # one recording of the call, through both transfers
    [conversation] = [c for c in platform.book.conversations.of_agent(a_name) if c.call_id == answered.call_id]
    assert conversation.duration_s and conversation.duration_s > 20, conversation  # through both transfers
    for other in (b_name, c_name):  # each agent who took the caller finds the conversation in their history
        assert [c.id for c in platform.book.conversations.of_agent(other) if c.call_id == answered.call_id] == [
            conversation.id
        ], other
    print(f"transfer to a queue: {rang_b - asked:.2f} s to the ring; to an agent: {rang_c - asked_agent:.2f} s")


async def test_a_transfer_without_a_call_or_to_nowhere_is_refused_in_words(platform: Platform) -> None:
    stamp = time.strftime("%H%M%S")
    name = f"xfer-idle-{stamp}"
    _agent(platform, name, f"5{stamp[-4:]}", {"intake": 0})
    desk = platform.state["desk"]
    actor = Actor(name, Role.INTAKE_AGENT)
    from hotline.features.desk.errors import NoCall

    try:
        await desk.transfer(actor, "queue", "efficiency")
    except NoCall as exc:
        assert "no call in progress" in str(exc)
    else:
        raise AssertionError("a transfer without a call was taken")


async def test_the_agent_page_transfers_the_call_on_screen_and_says_so(
    serving: Platform,
    asterisk: Settings,
    browser: WebDriver,  # noqa: F811
) -> None:
    # expected: queue.answered (intake, page agent); agent.transferred (to queue efficiency) from the
    # page's form; desk B's phone rings; the page says where the call went and shows wrap-up
    platform = serving
    stamp = time.strftime("%H%M%S")
    a_name, a_ext = f"xfer-page-{stamp}", f"3{stamp[-4:]}"
    b_name, b_ext = f"xfer-eff-{stamp}", f"4{stamp[-4:]}"
    a_password = _agent(platform, a_name, a_ext, {"intake": 0})
    b_password = _agent(platform, b_name, b_ext, {"efficiency": 0})
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone_a = await Phone.start(asterisk, a_ext, a_password, hold=60, answer_after=1, talk=0)
    phone_b = await Phone.start(asterisk, b_ext, b_password, hold=60, answer_after=1, talk=0)
    desk = platform.state["desk"]
    try:
        await desk.login(Actor(b_name, Role.INTAKE_AGENT))
        await _in_browser(_open_page, browser, asterisk, a_name)
        await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")
        await _in_browser(lambda: browser.find_element(By.ID, "btn-login").click())
        await _in_browser(_wait, browser, lambda d: _status(d) == "available")
        await until_reachable(platform.ami, a_ext)
        await until_reachable(platform.ami, b_ext)
        with platform.bus.subscribe() as sub:
            script = f"wait 1; keys 3; wait {24 + notice_seconds(asterisk):.1f}; hangup"
            call = asyncio.create_task(place_call(asterisk, "12345", script))
            await wait_for(sub, "queue.answered", timeout=40, member=a_name)
            await _in_browser(_wait, browser, lambda d: d.find_element(By.ID, "transfer").is_displayed(), 20)
            choice = "#transfer-target option[value='queue:efficiency']"
            await _in_browser(_wait, browser, lambda d: d.find_elements(By.CSS_SELECTOR, choice))
            await _in_browser(
                browser.execute_script, "document.getElementById('transfer-target').value = 'queue:efficiency'"
            )
            await _in_browser(lambda: browser.find_element(By.CSS_SELECTOR, "#transfer button").click())
            said = "已转接到 efficiency"
            await _in_browser(_wait, browser, lambda d: said in d.find_element(By.ID, "transfer-said").text)
            await _until(phone_b, "incoming", 20)
            await wait_for(sub, "queue.answered", timeout=20, member=b_name)
            await _in_browser(_wait, browser, lambda d: _status(d) == "wrap_up", 20)
            screenshot(browser, "agent-transferred")
            await call
    finally:
        for name in (a_name, b_name):
            with contextlib.suppress(Exception):
                await desk.logout(Actor(name, Role.INTAKE_AGENT))
        await phone_a.stop()
        await phone_b.stop()


async def _consulting(
    platform: Platform, asterisk: Settings, tmp_path: Path, stamp: str, how: str
) -> tuple[list, float, str]:
    """A caller answered by agent A (intake); A consults agent B (in no queue), whose phone answers
    after 0.5 s and says an 8-second 1500 Hz tone; 3 s after B answers, A ends the consultation
    with `how`. Returns the events, the seconds of B's tone the caller heard, and A's desk status."""
    from tests.e2e.test_supervision import tone_seconds
    from tests.speech import tone

    a_name, a_ext = f"cons-a-{how[:4]}-{stamp}", f"3{stamp[-4:]}"
    b_name, b_ext = f"cons-b-{how[:4]}-{stamp}", f"4{stamp[-4:]}"
    a_password = _agent(platform, a_name, a_ext, {"intake": 0})
    b_password = _agent(platform, b_name, b_ext, {})
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone_a = await Phone.start(asterisk, a_ext, a_password, hold=80, answer_after=1, talk=14)
    says = tone(tmp_path / "b.wav", 1500, 8.0)
    phone_b = await Phone.start(asterisk, b_ext, b_password, hold=80, answer_after=0.5, talk=16, say=says)
    desk = platform.state["desk"]
    agent_a = Actor(a_name, Role.INTAKE_AGENT)
    heard = tmp_path / "caller.wav"
    log: list = []
    try:
        await desk.login(agent_a)
        await desk.state(Actor(b_name, Role.INTAKE_AGENT))  # B's page is open: at the desk, in no queue
        await until_reachable(platform.ami, a_ext)
        with platform.bus.subscribe() as sub:
            script = "wait 1; keys 3; until-hangup 60"
            call = asyncio.create_task(place_call(asterisk, "12345", script, caller="13912345605", record=heard))
            taken = await wait_for(sub, "queue.answered", timeout=40, log=log, member=a_name)
            await asyncio.sleep(1)
            state = await desk.consult(agent_a, "agent", b_name)
            assert state.call is not None and state.call.consulting == f"agent:{b_name}"
            rung = await wait_for(sub, "call.agent-ringing", timeout=20, log=log, member=b_name)
            b_call = desk.states[b_name].call  # B's screen pops with the caller the consultation is about
            assert rung.call_id == taken.call_id and b_call is not None and b_call.caller == "13912345605"
            await _until(phone_b, "answered", 20)
            await asyncio.sleep(3)  # A and B talk; the caller hears music
            await desk.finish_consult(agent_a, how)
            await asyncio.sleep(1)
            status = desk.states[a_name].status
            assert desk.states[b_name].status == "on_call", (how, desk.states[b_name].status)
            await call
            drain(sub, log)
    finally:
        with contextlib.suppress(Exception):
            await desk.logout(agent_a)
        await phone_a.stop()
        await phone_b.stop()
    return log, tone_seconds(heard, 1500), status


async def test_an_agent_consults_a_colleague_then_all_three_talk(
    platform: Platform, asterisk: Settings, tmp_path: Path
) -> None:
    # expected: queue.answered (A); agent.consulting (to agent B): B's phone rings and answers while
    # the caller hears music, not B; agent.consult-three-way: the caller hears B from then on
    # (about 5 of B's 8 s of tone, none of the 3 s A and B talked alone); A stays on the call
    stamp = time.strftime("%H%M%S")
    log, caller_heard_b, status = await _consulting(platform, asterisk, tmp_path, stamp, "three-way")
    names = [e.name for e in log]
    assert "agent.consulting" in names and "agent.consult-three-way" in names, names
    assert status == "on_call"  # A is still in the call with both
    assert 2.5 < caller_heard_b < 6.5, f"the caller heard B for {caller_heard_b} s of 8 (3 s were A and B alone)"


async def test_an_agent_consults_a_colleague_then_hands_the_caller_over(
    platform: Platform, asterisk: Settings, tmp_path: Path
) -> None:
    # expected: agent.consulting; agent.consult-complete: A leaves the call (queue.transferred, A in
    # wrap-up) and the caller talks with B (hears the rest of B's tone, not what B said to A)
    stamp = time.strftime("%H%M%S")
    log, caller_heard_b, status = await _consulting(platform, asterisk, tmp_path, stamp, "complete")
    names = [e.name for e in log]
    assert "agent.consult-complete" in names, names
    assert status == "wrap_up", status
    assert 2.5 < caller_heard_b < 6.5, f"the caller heard B for {caller_heard_b} s of 8"
