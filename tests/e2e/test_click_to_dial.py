"""An agent calls a case's citizen from the case (issue 19, click-to-dial): the agent's phone rings
first, then, answered, the citizen's through the carrier; the call is recorded and kept with the case.

Real parts: Asterisk with a carrier trunk pointing at a pjsua2 "citizen" (`hotline citizen`, as
the satisfaction callbacks use), a pjsua2 desk phone for the agent that answers and speaks.

Expected: agent.dialled; the agent's desk is on that call at once (a second click is refused: the
citizen is not called twice); the agent's phone rings (its screen shows the case's number) and
answers (call.agent-answered); the citizen's phone rings and answers; the call ends
(call.agent-ended) and the desk is in wrap-up; conversation.stored for the call; the case's history
has "dialled", its conversations the recording, with the agent's voice on the agent's side.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from casebook.auth.policy import Actor, Role
from casebook.cases.intake import NewAppeal
from hotline.features.desk.errors import NoCall
from hotline.platform import Platform
from tests.e2e.browser import screenshot
from tests.e2e.helpers import Phone, agent_with_phone, speech_seconds, wait_for
from tests.e2e.test_agent_page import _in_browser, _wait, browser  # noqa: F401
from tests.e2e.test_callbacks import CITIZEN, Citizen, trunk_platform  # noqa: F401
from tests.speech import speak

AGENT_SAYS_KO = "안녕하세요. 열두삼사오 센터입니다. 처리 결과를 알려 드리겠습니다."


async def test_an_agent_calls_the_citizen_from_the_case_and_the_call_is_recorded_on_it(
    trunk_platform: tuple[Platform, object],  # noqa: F811
    tmp_path: Path,
) -> None:
    platform, settings = trunk_platform
    stamp = time.strftime("%H%M%S")
    name, extension = f"dialler-{stamp}", f"9{stamp[-4:]}"
    password = agent_with_phone(platform.sessions, name, extension)
    from common.paths import prompts_dir
    from hotline.services import asterisk_process, lines_book

    await asyncio.to_thread(asterisk_process(settings).reload, lines_book(settings), prompts_dir(settings))  # type: ignore[arg-type]
    agent = Actor(name, Role.INTAKE_AGENT)
    citizen_number = f"139{stamp}01"
    number = platform.book.open(
        NewAppeal(channel="line-12345", description="路灯坏了", caller_phone=citizen_number), agent
    ).number
    words = speak(AGENT_SAYS_KO, tmp_path / "agent.wav")
    phone = await Phone.start(settings, extension, password, hold=60, answer_after=1, talk=10, say=words)  # type: ignore[arg-type]
    citizen = await Citizen.start(settings, "answer 1; until-hangup 30")  # type: ignore[arg-type]
    desk = platform.state["desk"]
    log: list = []
    try:
        with platform.bus.subscribe() as sub:
            _, call_id = await desk.dial_case(agent, number)
            assert desk.states[name].status == "ringing"
            refused = ""
            try:
                await desk.dial_case(agent, number)  # a double click
            except NoCall as exc:
                refused = str(exc)
            incoming = await phone.next_line(20)
            assert incoming["event"] == "incoming" and number in incoming["remote"], incoming
            answered = await wait_for(sub, "call.agent-answered", timeout=10, log=log)
            assert answered.call_id == call_id and answered.data["member"] == name
            assert desk.states[name].status == "on_call"
            assert (await citizen.next_line(30))["event"] == "incoming"  # after the agent answered
            assert (await citizen.next_line(10))["event"] == "answered"
            ended = await wait_for(sub, "call.agent-ended", timeout=40, log=log)
            assert ended.call_id == call_id and desk.states[name].status == "wrap_up"
            stored = await wait_for(sub, "conversation.stored", timeout=60, log=log)
            while stored.call_id != call_id:
                stored = await wait_for(sub, "conversation.stored", timeout=60, log=log)
    finally:
        await phone.stop()
        await citizen.stop()
    assert "you are on a call" in refused
    assert [e.data["case"] for e in log if e.name == "agent.dialled"] == [number]  # once, not twice
    [conversation] = platform.book.conversations.of_case(number, agent)
    assert conversation.agent == name and conversation.case_number == number
    assert conversation.duration_s and conversation.duration_s > 5
    agent_side = Path(platform.book.conversations.audio_path(conversation.id, "agent", agent))
    assert speech_seconds(agent_side) > 2.0  # the agent's words on the agent's side
    with platform.book.sessions() as s:
        kinds = [e.kind for e in platform.book.get(s, number).events]
    assert "dialled" in kinds and "conversation_stored" in kinds, kinds


async def test_the_case_page_offers_the_call_and_says_why_not_without_a_carrier(
    serving: Platform,
    browser: WebDriver,  # noqa: F811
) -> None:
    # expected: no agent.dialled; the page's "致电市民" answers in words that no carrier is configured
    platform = serving
    stamp = time.strftime("%H%M%S")
    name = f"page-dial-{stamp}"
    agent_with_phone(platform.sessions, name, f"9{stamp[-4:]}")
    number = platform.book.open(
        NewAppeal(channel="line-12345", description="路灯坏了", caller_phone=f"139{stamp}02"),
        Actor(name, Role.INTAKE_AGENT),
    ).number
    settings = platform.settings
    url = f"http://{settings.api_host}:{settings.api_port}/cases/{number}"

    def open_and_dial() -> str:
        browser.get(url)
        browser.execute_script("sessionStorage.clear(); localStorage.clear()")
        browser.refresh()
        form = _wait(browser, lambda d: d.find_element(By.ID, "login-form"))
        form.find_element(By.NAME, "username").send_keys(name)
        form.find_element(By.NAME, "password").send_keys("a-long-password")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        button = _wait(browser, lambda d: d.find_element(By.ID, "dial-citizen"))
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        _wait(browser, lambda d: d.find_element(By.ID, "dial-said").text.strip())
        screenshot(browser, "case-dial-without-carrier")
        return str(browser.find_element(By.ID, "dial-said").text)

    said = await _in_browser(open_and_dial)
    assert "未配置外呼线路" in said and "no carrier is configured" in said, said
