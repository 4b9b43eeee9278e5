"""Every conversation between a caller and an agent recorded, both sides apart (issue 19).

Real parts: Asterisk's queue and MixMonitor, a pjsua2 desk phone that answers and speaks, a
pjsua2 caller who speaks after it, the platform's conversation keeper fetching the files over
ARI, the casebook storing them and the packaged Korean model transcribing each side.

Expected: ivr.transfer; queue.joined, queue.ringing, queue.answered, queue.completed;
conversation.stored (sides agent, caller, mixed); the conversation linked to the case the agent
saved, its agent the one who answered, the caller's words on the caller's side only and the
agent's on the agent's side only; Asterisk's copies deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import numpy as np
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from casebook.auth.policy import Actor, Role
from casebook.cases.desk import CallDraft, save_call
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from tests.e2e.browser import chromium, click, screenshot, served, text_of, wait
from tests.e2e.helpers import (
    Phone,
    agent_with_phone,
    eventually,
    loud_times,
    notice_seconds,
    person,
    place_call,
    read_wav,
    until_reachable,
    wait_for,
)
from tests.speech import REPORT_KO, speak, with_silence

AGENT_SAYS_KO = "안녕하세요. 상담원입니다. 무엇을 도와드릴까요?"


def _voiced(path: Path) -> np.ndarray:
    """Start times (s) of the 20 ms frames of a WAV louder than -40 dBFS."""
    return loud_times(*read_wav(path))


async def test_a_conversation_is_recorded_both_sides_apart_and_joins_the_case_the_agent_saved(
    platform: Platform, asterisk: Settings, tmp_path: Path
) -> None:
    stamp = time.strftime("%H%M%S")
    name, extension = f"rec-{stamp}", f"5{stamp[-4:]}"
    password = agent_with_phone(platform.sessions, name, extension)
    agent = Actor(name, Role.INTAKE_AGENT)
    agent_words = speak(AGENT_SAYS_KO, tmp_path / "agent.wav")
    caller_words = with_silence(speak(REPORT_KO, tmp_path / "caller.wav"), after_s=0.5)
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone = await Phone.start(asterisk, extension, password, hold=60, answer_after=1, talk=0, say=agent_words)
    log: list = []
    try:
        await platform.state["desk"].login(agent)
        await until_reachable(platform.ami, extension)
        with platform.bus.subscribe() as sub:
            # the agent speaks as they answer (about 5 s); the caller waits, then says the report
            wait = 11 + notice_seconds(asterisk)  # key 3 in the greeting: the notice before the queue
            script = f"wait 1; keys 3; wait {wait:.1f}; say {caller_words}; wait 1; hangup"
            call = asyncio.create_task(place_call(asterisk, "12345", script, caller="13912345601"))
            answered = await wait_for(sub, "queue.answered", timeout=40, log=log)
            call_id = answered.call_id
            await call
            path = ("menu", "key:3")
            draft = CallDraft(call_id, "13912345601", "12345", path, "河边有死猪", "environment.dead-animals")
            case = await asyncio.to_thread(save_call, platform.book, agent, draft)
            stored = await wait_for(sub, "conversation.stored", timeout=30, log=log)
            while stored.call_id != call_id:  # another test's call, stored meanwhile
                stored = await wait_for(sub, "conversation.stored", timeout=30, log=log)
        assert stored.call_id == call_id and stored.data["sides"] == ["agent", "caller", "mixed"], stored.data
        assert 8 < stored.data["seconds"] < 30, stored.data

        views = platform.book.conversations.of_case(case.number, agent)
        assert len(views) == 1 and views[0].agent == name and views[0].case_number == case.number
        assert views[0].sides == ("mixed", "caller", "agent")
        assert platform.book.conversations.of_agent(name)[0].id == views[0].id
        book = platform.book.conversations
        paths = {side: Path(book.audio_path(views[0].id, side, agent)) for side in views[0].sides}
        said_by_agent, said_by_caller = _voiced(paths["agent"]), _voiced(paths["caller"])
        assert len(said_by_agent) * 0.02 > 1.5 and len(said_by_caller) * 0.02 > 3.0
        # apart: the caller's side is silent while the agent alone speaks (the first seconds), the
        # agent's while the caller alone speaks (the last seconds)
        assert said_by_caller.min() > said_by_agent.min() + 2.0, (said_by_agent.min(), said_by_caller.min())
        assert said_by_agent.max() < said_by_caller.max() - 4.0, (said_by_agent.max(), said_by_caller.max())
        assert len(_voiced(paths["mixed"])) * 0.02 > 4.5  # both voices in the mix
        names = {str(r.get("name")) for r in await platform.ari.list_stored_recordings()}
        assert not {n for n in names if n.startswith("conv-")}, names  # Asterisk's copies deleted

        def transcribed() -> bool:
            return platform.book.conversations.of_case(case.number, agent)[0].transcript_state != "pending"

        await eventually(transcribed, "both sides transcribed", timeout=90)
        done = platform.book.conversations.of_case(case.number, agent)[0]
        assert done.transcript_state == "done" and done.caller_text and done.agent_text, done
        assert done.caller_text != done.agent_text
        await asyncio.to_thread(_seen_in_the_pages, platform, case.number, name, done.id)
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(agent)
        await phone.stop()


def _seen_in_the_pages(platform: Platform, number: str, agent: str, conversation_id: int) -> None:
    """The case page plays the conversation (both voices, each side alone) with what each side said,
    and a supervisor holds its recordings there; the agent finds it in their own history."""
    person(platform.sessions, "rec-sup", Role.SUPERVISOR)
    with served(platform) as url, chromium(size="1366,900") as driver:
        _sign_in(driver, url + f"/cases/{number}", "rec-sup")
        box = f"#conversations [data-conversation='{conversation_id}']"
        wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, box + " audio")) == 3)
        sides = [a.get_attribute("data-side") for a in driver.find_elements(By.CSS_SELECTOR, box + " audio")]
        assert sides == ["mixed", "caller", "agent"]
        words = text_of(driver, box)
        assert "只听市民" in words and "市民说：" in words and "话务员说：" in words and agent in words, words
        playable = driver.execute_script(  # the browser fetches the mixed audio itself, with its ticket
            "const a = arguments[0]; return fetch(a.src).then((r) => r.status + ' ' + r.headers.get('content-type'));",
            driver.find_element(By.CSS_SELECTOR, box + " audio[data-side=mixed]"),
        )
        assert playable == "200 audio/wav", playable
        driver.find_element(By.CSS_SELECTOR, "#recording-hold input[name=reason]").send_keys("市民投诉话务员态度")
        click(driver, "#recording-hold button")
        wait(driver, lambda d: "已保全" in d.find_element(By.ID, "done").text)
        assert "市民投诉话务员态度" in text_of(driver, "#recording-hold")
        screenshot(driver, "case-conversation-held")
        _sign_in(driver, url + "/agent", agent, form_shown="#desk")
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#my-calls tr[data-conversation='{conversation_id}']"))
        row = text_of(driver, f"#my-calls tr[data-conversation='{conversation_id}']")
        assert number in row and "收听 Listen" in row, row
        click(driver, f"#my-calls tr[data-conversation='{conversation_id}'] button")
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#my-calls audio"))
        screenshot(driver, "agent-my-recorded-calls")


def _sign_in(driver: WebDriver, address: str, name: str, *, form_shown: str = "#work") -> None:
    driver.get(address)
    driver.execute_script("sessionStorage.clear(); localStorage.clear()")
    driver.refresh()
    form = wait(driver, lambda d: d.find_element(By.ID, "login-form"))
    wait(driver, lambda d: form.is_displayed())
    form.find_element(By.NAME, "username").send_keys(name)
    form.find_element(By.NAME, "password").send_keys("a-long-password")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, form_shown).is_displayed())
