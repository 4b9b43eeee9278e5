"""The agent's page in a real browser, with real queues, a real desk phone and a real caller.

Headless Chromium (Debian's, driven by Selenium and Debian's chromedriver) opens `/agent` on a
platform serving its API; a pjsua2 desk phone is the agent's phone; `hotline call` is the
citizen. A screenshot of the pop is kept in tests/artifacts/.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import SYSTEM, Actor, Role
from casebook.auth.services import AuthService
from casebook.calllog.services import CallLog
from casebook.cases.errors import NotFound
from casebook.cases.intake import NewAppeal
from common.paths import prompts_dir
from common.settings import Settings
from hotline.pages import live as live_socket
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from tests.e2e.helpers import (
    ROOT,
    Phone,
    agent_with_phone,
    eventually,
    notice_seconds,
    person,
    place_call,
    until_reachable,
    wait_for,
)

ADMIN = Actor("admin", Role.ADMIN)
ARTIFACTS = Path(os.environ.get("HOTLINE_TEST_ARTIFACTS", ROOT / "tests" / "artifacts"))
PASSWORD = "a-long-password"


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(argument)
    # the browser softphone: a microphone that plays a test tone, allowed without asking
    for argument in ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _agent_with_phone(platform: Platform, name: str, extension: str) -> str:
    """The agent and their phone's SIP password; a test run again (decision 0019) finds them made
    already and gets a new password instead."""
    return agent_with_phone(platform.sessions, name, extension, PASSWORD)


def _open_page(driver: WebDriver, settings: Settings, name: str, password: str = PASSWORD) -> None:
    driver.get(f"http://{settings.api_host}:{settings.api_port}/agent")
    driver.execute_script("sessionStorage.clear()")  # a fresh start, as a new tab is
    driver.refresh()
    form = driver.find_element(By.ID, "login-form")
    form.find_element(By.NAME, "username").send_keys(name)
    form.find_element(By.NAME, "password").send_keys(password)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def _status(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "status").get_attribute("data-status"))


def phone_state(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "sp-status").get_attribute("data-state"))


def _connect_softphone(driver: WebDriver, sip_password: str) -> None:
    field = driver.find_element(By.ID, "sp-password")
    field.clear()
    field.send_keys(sip_password)
    driver.find_element(By.ID, "sp-connect").click()


def _wait(driver: WebDriver, condition: Any, timeout: float = 15) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


async def _in_browser(work: Any, *args: Any) -> Any:
    return await asyncio.to_thread(work, *args)


async def test_the_agents_page_pops_the_callers_number_line_path_and_history_and_saves_the_case(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: agent.login; queue.joined, queue.ringing, queue.answered, queue.completed for the call;
    # agent.wrapup, agent.case-saved, agent.ready for the agent; the case registered and dispatched
    platform = serving
    password = _agent_with_phone(platform, "page-a", "1021")
    earlier = platform.book.open(
        NewAppeal(channel="phone", description="小区路灯坏了一个月", caller_phone="13912340021"), SYSTEM
    )
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone = await Phone.start(asterisk, "1021", password, hold=60, answer_after=2, talk=6)
    try:
        await _in_browser(_open_page, browser, asterisk, "page-a")
        await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")
        await _in_browser(lambda: browser.find_element(By.ID, "btn-login").click())
        await _in_browser(_wait, browser, lambda d: _status(d) == "available")
        await until_reachable(platform.ami, "1021")
        log: list = []
        with platform.bus.subscribe() as sub:
            call = asyncio.create_task(
                place_call(asterisk, "12345", "wait 1; keys 3; wait 14; hangup", caller="13912340021")
            )
            ringing = await wait_for(sub, "queue.ringing", timeout=40, log=log)
            call_id = ringing.call_id

            def popped(driver: WebDriver) -> bool:
                pop = driver.find_element(By.ID, "pop")
                return pop.get_attribute("data-call-id") == call_id and bool(
                    driver.find_elements(By.CSS_SELECTOR, f"#pop-history tr[data-case='{earlier.number}']")
                )

            await _in_browser(_wait, browser, popped)
            assert browser.find_element(By.ID, "pop-caller").text == "13912340021"
            assert "12345" in browser.find_element(By.ID, "pop-line").text
            path = browser.find_element(By.ID, "pop-path").text  # in words, not the IVR's step names
            assert "按键 3 key 3" in path and "转人工 to an agent" in path and ":" not in path, path
            history = browser.find_element(By.ID, "pop-history").text
            assert "路灯" in history and "待登记 to register" in history and "received" not in history, history
            assert "受理坐席 intake agent" in browser.find_element(By.ID, "who").text
            link = browser.find_element(By.CSS_SELECTOR, f"#pop-history tr[data-case='{earlier.number}'] a")
            assert link.get_attribute("pathname") == f"/cases/{earlier.number}"  # the case's page, a new tab
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / "agent-screen-pop.png"))

            await _in_browser(_wait, browser, lambda d: _status(d) == "on_call", 20)
            await call
            await _in_browser(_wait, browser, lambda d: _status(d) == "wrap_up", 20)

            def save_case() -> None:
                form = browser.find_element(By.ID, "case-form")
                description = form.find_element(By.NAME, "description")
                description.clear()
                description.send_keys("五津镇河边有死猪，气味很大")
                form.find_element(By.CSS_SELECTOR, "select[name=category] option[value='environment.dead-animals']")
                browser.execute_script(
                    "const s = document.querySelector('select[name=category]'); s.value = 'environment.dead-animals';"
                    "s.dispatchEvent(new Event('change'));"
                )

            await _in_browser(save_case)
            # the lead unit follows the rules for the category now chosen (not the first suggestion's)
            place = browser.execute_script("return document.querySelector('select[name=place]').value") or None
            rules = platform.book.route_for("environment.dead-animals", place)
            assert rules is not None
            await _in_browser(_wait, browser, lambda d: _value(d, "lead_unit") == rules.lead)
            await _in_browser(lambda: browser.find_element(By.CSS_SELECTOR, "#case-form button[type=submit]").click())
            try:
                await _in_browser(_wait, browser, lambda d: "Saved" in d.find_element(By.ID, "case-saved").text)
            except TimeoutException:
                raise AssertionError(browser.find_element(By.ID, "case-error").text) from None
            await _in_browser(_wait, browser, lambda d: _status(d) == "available")
            await wait_for(sub, "agent.ready", timeout=10)
        saved = browser.find_element(By.ID, "case-saved").text.rsplit(" ", 1)[-1]
        link = browser.find_element(By.CSS_SELECTOR, "#case-saved a")  # the saved case opens its page
        assert link.get_attribute("pathname") == f"/cases/{saved}" and link.get_attribute("target") == "_blank"
        browser.save_screenshot(str(ARTIFACTS / "agent-case-saved.png"))
        with platform.book.sessions() as s:
            case = platform.book.get(s, saved)
            assert case.status == "dispatched" and case.call_id == call_id and case.lead_unit_code == rules.lead
            assert case.channel_code == "line-12345"  # the line dialled, as the menu's cases have it
        expected = {"queue.joined", "queue.ringing", "queue.answered", "queue.completed"}

        def logged() -> set[str]:  # the call log writes in batches, every second
            return expected & {e.name for e in CallLog(platform.sessions).of_call(call_id)}

        await eventually(lambda: logged() == expected, "the queue's events in the call log")
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(Actor("page-a", Role.INTAKE_AGENT))
        await phone.stop()


async def test_a_caller_who_hangs_up_in_the_queue_is_recorded_as_abandoned_and_leaves_the_screen(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: queue.joined, queue.ringing (the phone rings but is not answered), queue.abandoned
    # with position 1 and the time waited; the pop appears while ringing and goes away
    platform = serving
    password = _agent_with_phone(platform, "page-b", "1022")
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone = await Phone.start(asterisk, "1022", password, hold=60, answer_after=-1, talk=1)
    try:
        await _in_browser(_open_page, browser, asterisk, "page-b")
        await _in_browser(lambda: _wait(browser, lambda d: _status(d) == "logged_out"))
        await _in_browser(lambda: browser.find_element(By.ID, "btn-login").click())
        await _in_browser(_wait, browser, lambda d: _status(d) == "available")
        await until_reachable(platform.ami, "1022")
        log: list = []
        with platform.bus.subscribe() as sub:
            call = asyncio.create_task(
                place_call(
                    asterisk,
                    "12345",
                    f"wait 1; keys 3; wait {9 + notice_seconds(asterisk):.1f}; hangup",
                    caller="13912340022",
                )
            )
            ringing = await wait_for(sub, "queue.ringing", timeout=40, log=log)
            await _in_browser(_wait, browser, lambda d: d.find_element(By.ID, "pop").get_attribute("data-call-id"))
            abandoned = await wait_for(sub, "queue.abandoned", timeout=30)
            await call
        assert abandoned.call_id == ringing.call_id
        assert abandoned.data["position"] == 1 and abandoned.data["wait_s"] >= 3, abandoned.data
        await _in_browser(_wait, browser, lambda d: not d.find_element(By.ID, "pop").is_displayed())
        assert _status(browser) == "available"
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(Actor("page-b", Role.INTAKE_AGENT))
        await phone.stop()


async def test_the_page_pauses_with_a_reason_and_resumes(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: agent.login, agent.paused (reason meal), agent.resumed, agent.logout
    platform = serving
    _agent_with_phone(platform, "page-f", "1026")
    await _in_browser(_open_page, browser, asterisk, "page-f")
    await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")

    def click(button: str) -> None:
        browser.find_element(By.ID, button).click()

    def enabled(button: str) -> bool:
        return bool(browser.find_element(By.ID, button).is_enabled())

    with platform.bus.subscribe() as sub:
        await _in_browser(click, "btn-login")
        await _in_browser(_wait, browser, lambda d: _status(d) == "available")
        assert enabled("btn-pause") and not enabled("btn-resume")
        await _in_browser(lambda: browser.execute_script("document.getElementById('pause-reason').value = 'meal'"))
        await _in_browser(click, "btn-pause")
        await _in_browser(_wait, browser, lambda d: _status(d) == "paused")
        assert enabled("btn-resume") and not enabled("btn-pause")
        assert browser.find_element(By.ID, "reason").text == "(用餐 Meal)"  # the reason in words, not its code
        assert (await wait_for(sub, "agent.paused", timeout=5)).data["reason"] == "meal"
        await _in_browser(click, "btn-resume")
        await _in_browser(_wait, browser, lambda d: _status(d) == "available")
        await _in_browser(click, "btn-logout")
        await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")


async def test_wrong_credentials_and_an_expired_session_get_a_clear_message(
    serving: Platform, asterisk: Settings, browser: WebDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # expected: no events; the page says why and goes back to the login form
    platform = serving
    _agent_with_phone(platform, "page-c", "1023")
    monkeypatch.setattr(live_socket, "TOKEN_RECHECK_S", 1.0)
    await _in_browser(_open_page, browser, asterisk, "page-c", "not-the-password")
    await _in_browser(_wait, browser, lambda d: "Wrong user name" in d.find_element(By.ID, "login-error").text)

    await _in_browser(_open_page, browser, asterisk, "page-c")
    await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")
    token = str(browser.execute_script("return sessionStorage.getItem('token')"))
    AuthService(platform.sessions).revoke(token)  # as when it expires
    started = time.monotonic()
    try:
        await _in_browser(_wait, browser, lambda d: d.find_element(By.ID, "login").is_displayed(), 10)
    except TimeoutException:
        raise AssertionError("the page did not notice that its session ended") from None
    assert "session has ended" in browser.find_element(By.ID, "login-error").text
    assert time.monotonic() - started < 10


async def test_the_browser_softphone_registers_takes_the_queue_call_and_a_wrong_password_is_refused(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: agent.login (phone browser); queue.ringing and queue.answered on PJSIP/1024-web
    # (WebRTC: SIP over WebSocket, DTLS-SRTP, ICE); queue.completed when the page hangs up
    platform = serving
    password = _agent_with_phone(platform, "page-d", "1024")
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    # a failed try must not leave the agent logged in: a rerun would find the page "available"
    with contextlib.suppress(Exception):
        await platform.state["desk"].logout(Actor("page-d", Role.INTAKE_AGENT))
    await _in_browser(_open_page, browser, asterisk, "page-d")
    await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")

    def connect(sip_password: str) -> None:
        _connect_softphone(browser, sip_password)

    await _in_browser(connect, password + "x")
    await _in_browser(_wait, browser, lambda d: phone_state(d) == "failed", 20)
    assert "Wrong SIP password" in browser.find_element(By.ID, "sp-status").text
    await _in_browser(connect, password)
    try:
        await _in_browser(_wait, browser, lambda d: phone_state(d) == "registered", 20)
    except TimeoutException:
        raise AssertionError(_softphone_failure(browser)) from None
    try:
        await _in_browser(lambda: browser.find_element(By.ID, "btn-login").click())
        await _in_browser(_wait, browser, lambda d: _status(d) == "available")
        # the queue rings only a phone Asterisk sees as reachable (a loaded CI once took longer than
        # the call's 40 s, and the caller heard "nobody free": no queue.ringing)
        try:
            await until_reachable(platform.ami, "1024-web")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the page: {_softphone_failure(browser)}") from None
        with platform.bus.subscribe() as sub:
            call = asyncio.create_task(
                place_call(asterisk, "12345", "wait 1; keys 3; wait 20; hangup", caller="13912340024")
            )
            ringing = await wait_for(sub, "queue.ringing", timeout=40)
            assert ringing.data["extension"] == "1024-web", ringing.data
            await _in_browser(_wait, browser, lambda d: phone_state(d) == "ringing", 20)
            await _in_browser(lambda: browser.find_element(By.ID, "sp-answer").click())
            answered = await wait_for(sub, "queue.answered", timeout=20)
            assert answered.call_id == ringing.call_id
            await _in_browser(_wait, browser, lambda d: phone_state(d) == "talking", 20)
            await asyncio.sleep(2)  # media flows both ways (Asterisk would drop a call without ICE/DTLS)
            # hold and take back (a re-INVITE over the WebSocket: the caller hears music meanwhile,
            # measured with a desk phone in tests/e2e/test_hold.py), mute and unmute
            await _in_browser(lambda: browser.find_element(By.ID, "sp-hold").click())
            await _in_browser(_wait, browser, lambda d: phone_state(d) == "held", 10)
            await asyncio.sleep(1)
            await _in_browser(lambda: browser.find_element(By.ID, "sp-hold").click())
            await _in_browser(_wait, browser, lambda d: phone_state(d) == "talking", 10)
            await _in_browser(lambda: browser.find_element(By.ID, "sp-mute").click())
            await _in_browser(_wait, browser, lambda d: "已静音" in d.find_element(By.ID, "sp-status").text, 5)
            await _in_browser(lambda: browser.find_element(By.ID, "sp-mute").click())
            await _in_browser(lambda: browser.find_element(By.ID, "sp-hangup").click())
            completed = await wait_for(sub, "queue.completed", timeout=20)
            assert completed.data["reason"] == "agent" and completed.data["talk_s"] >= 2, completed.data
            await call
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(Actor("page-d", Role.INTAKE_AGENT))


def _softphone_failure(browser: WebDriver) -> str:
    """What the page's softphone says and what the browser logged (kept in tests/artifacts/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console = "\n".join(str(e["message"]) for e in browser.get_log("browser"))
    (ARTIFACTS / "softphone-console.log").write_text(console)
    return f"{browser.find_element(By.ID, 'sp-status').text!r}; console: {console[-800:]}"


async def test_an_agent_whose_browser_goes_away_mid_call_ends_in_wrap_up_not_stuck_on_the_call(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: queue.answered on PJSIP/1025-web; the page is closed mid-call (no BYE: the media
    # stops); Asterisk's rtp_timeout (15 s) ends the call: queue.completed reason agent,
    # agent.wrapup; the page opened again shows wrap-up and "Ready" takes the agent back
    platform = serving
    password = _agent_with_phone(platform, "page-e", "1025")
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    await _in_browser(_open_page, browser, asterisk, "page-e")
    await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")
    await _in_browser(_connect_softphone, browser, password)
    await _in_browser(_wait, browser, lambda d: phone_state(d) == "registered", 20)
    await _in_browser(lambda: browser.find_element(By.ID, "btn-login").click())
    await _in_browser(_wait, browser, lambda d: _status(d) == "available")
    agent = Actor("page-e", Role.INTAKE_AGENT)
    try:
        with platform.bus.subscribe() as sub:
            call = asyncio.create_task(
                place_call(asterisk, "12345", "wait 1; keys 3; until-hangup 60", caller="13912340025")
            )
            await wait_for(sub, "queue.ringing", timeout=40)
            await _in_browser(_wait, browser, lambda d: phone_state(d) == "ringing", 20)
            await _in_browser(lambda: browser.find_element(By.ID, "sp-answer").click())
            await wait_for(sub, "queue.answered", timeout=20)
            assert (await platform.state["desk"].state(agent)).status == "on_call"
            await _in_browser(browser.get, "about:blank")  # the tab is closed, the laptop lid shut...
            completed = await wait_for(sub, "queue.completed", timeout=40)
            assert completed.data["reason"] == "agent", completed.data
            await wait_for(sub, "agent.wrapup", timeout=10)
            await call
        assert (await platform.state["desk"].state(agent)).status == "wrap_up"
        await _in_browser(_open_page, browser, asterisk, "page-e")
        await _in_browser(_wait, browser, lambda d: _status(d) == "wrap_up")
        await _in_browser(lambda: browser.find_element(By.ID, "btn-ready").click())
        await _in_browser(_wait, browser, lambda d: _status(d) == "available")
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(agent)


def _value(driver: WebDriver, name: str) -> str:
    return str(driver.execute_script(f"return document.querySelector('#case-form [name={name}]').value"))


async def test_a_user_without_a_phone_is_told_so_in_words_and_offered_nothing_that_cannot_work(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: no events; GET /api/v1/desk refused (no_phone); the page explains in Chinese and
    # English, shows no queue buttons and no browser phone, opens no live link (no "reconnecting")
    platform = serving
    person(platform.sessions, "page-nophone", Role.INTAKE_AGENT)
    await _in_browser(_open_page, browser, asterisk, "page-nophone")
    await _in_browser(_wait, browser, lambda d: d.find_element(By.ID, "no-phone").is_displayed())
    said = browser.find_element(By.ID, "no-phone").text
    assert "没有登记话机" in said and "no phone" in said, said
    assert _status(browser) == "no_phone"
    shown = {b: browser.find_element(By.ID, b).is_displayed() for b in ("btn-login", "btn-pause", "btn-signout")}
    assert shown == {"btn-login": False, "btn-pause": False, "btn-signout": True}
    assert not browser.find_element(By.ID, "softphone").is_displayed()
    await asyncio.sleep(2)  # a refused live link would have put up its banner by now
    assert not browser.find_element(By.ID, "banner").is_displayed()
    assert browser.find_element(By.ID, "action-error").text == ""  # no API message in English
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "agent-without-phone.png"))


async def test_a_phone_given_in_the_admin_page_registers_within_seconds_with_no_reload_by_hand(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: no reload by hand; Asterisk knows the new endpoint within seconds (PJSIP reloaded
    # by the platform), the pjsua2 phone registers (200) with the password the page showed once;
    # taken back in the page, the same phone is refused
    platform = serving
    person(platform.sessions, "page-adm", Role.ADMIN)
    person(platform.sessions, "page-g", Role.INTAKE_AGENT)
    with contextlib.suppress(NotFound):  # a test run again (decision 0019) gives the phone again
        AgentDirectory(platform.sessions).remove(ADMIN, "1027")

    def give_phone() -> str:
        browser.get(f"http://{asterisk.api_host}:{asterisk.api_port}/admin")
        browser.execute_script("sessionStorage.clear()")
        browser.refresh()
        form = browser.find_element(By.ID, "login-form")
        form.find_element(By.NAME, "username").send_keys("page-adm")
        form.find_element(By.NAME, "password").send_keys(PASSWORD)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _wait(browser, lambda d: d.find_element(By.ID, "work").is_displayed())
        browser.find_element(By.CSS_SELECTOR, "#tabs [data-tab=phones]").click()
        new = browser.find_element(By.ID, "new-phone")
        _wait(browser, lambda d: new.find_elements(By.CSS_SELECTOR, "select[name=username] option[value='page-g']"))
        new.find_element(By.CSS_SELECTOR, "select[name=username] option[value='page-g']").click()
        new.find_element(By.NAME, "extension").send_keys("1027")
        new.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        shown = _wait(browser, lambda d: d.find_element(By.ID, "sip-shown").text)
        return str(shown).rsplit("：", 1)[1].strip()

    sip_password = await _in_browser(give_phone)
    shown_at = time.monotonic()
    phone = await Phone.start(asterisk, "1027", sip_password, hold=3)  # waits for Asterisk to know it
    took = time.monotonic() - shown_at
    await phone.stop()
    assert took < 10, f"the phone registered {took:.1f} s after the page gave it"

    def take_back() -> None:
        row = browser.find_element(By.CSS_SELECTOR, "#phone-rows tr[data-extension='1027']")
        row.find_element(By.XPATH, ".//button[.='收回']").click()
        _wait(browser, lambda d: d.switch_to.alert).accept()
        _wait(browser, lambda d: "已收回分机 1027" in d.find_element(By.ID, "said").text)

    await _in_browser(take_back)
    process = asterisk_process(asterisk)
    for _ in range(50):  # Asterisk forgets the endpoint within seconds
        if "Unable to find" in await asyncio.to_thread(process.cli, "pjsip show endpoint 1027"):
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError("Asterisk still knows the phone 10 s after it was taken back")


async def test_the_page_consults_a_colleague_then_joins_all_three_and_says_so_in_words(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: queue.answered (agent page-consult); from the page: agent.consulting (to page-consulted, whose
    # phone rings and answers while the caller hears music), the page shows who is consulted and the
    # three ways to end it; "三方通话" -> agent.consult-three-way, the page says all three talk
    platform = serving
    password = _agent_with_phone(platform, "page-consult", "1028")
    colleague = _agent_with_phone(platform, "page-consulted", "1029")
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    phone = await Phone.start(asterisk, "1028", password, hold=60, answer_after=1, talk=20)
    other = await Phone.start(asterisk, "1029", colleague, hold=60, answer_after=0.5, talk=15)
    await platform.state["desk"].state(Actor("page-consulted", Role.INTAKE_AGENT))  # the colleague's page is open
    try:
        await _in_browser(_open_page, browser, asterisk, "page-consult")
        await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")
        await _in_browser(lambda: browser.find_element(By.ID, "btn-login").click())
        await _in_browser(_wait, browser, lambda d: _status(d) == "available")
        await until_reachable(platform.ami, "1028")
        log: list = []
        with platform.bus.subscribe() as sub:
            call = asyncio.create_task(
                place_call(asterisk, "12345", "wait 1; keys 3; until-hangup 40", caller="13912340025")
            )
            await wait_for(sub, "queue.answered", timeout=40, log=log, member="page-consult")
            await _in_browser(_wait, browser, lambda d: _status(d) == "on_call", 20)
            target = "agent:page-consulted"
            await _in_browser(
                _wait, browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#transfer-target option[value='{target}']")
            )
            browser.execute_script(f"document.getElementById('transfer-target').value = '{target}';")
            await _in_browser(lambda: browser.find_element(By.ID, "consult-start").click())
            await wait_for(sub, "agent.consulting", timeout=10, log=log)
            await _in_browser(_wait, browser, lambda d: d.find_element(By.ID, "consulting").is_displayed())
            said = browser.find_element(By.ID, "transfer-said").text
            assert "正在呼叫 page-consulted" in said and "the caller hears music" in said, said
            assert "正在咨询 page-consulted" in browser.find_element(By.ID, "consulting-who").text
            assert not browser.find_element(By.ID, "transfer").is_displayed()  # no second transfer meanwhile
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / "agent-consulting.png"))
            await asyncio.sleep(2)  # the colleague answers (0.5 s) and they talk
            await _in_browser(lambda: browser.find_element(By.ID, "consult-three-way").click())
            await wait_for(sub, "agent.consult-three-way", timeout=10, log=log)
            said_now = lambda d: d.find_element(By.ID, "transfer-said").text  # noqa: E731
            await _in_browser(_wait, browser, lambda d: "All three are talking" in said_now(d))
            await _in_browser(_wait, browser, lambda d: not d.find_element(By.ID, "consulting").is_displayed())
            browser.save_screenshot(str(ARTIFACTS / "agent-three-way.png"))
            await call
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(Actor("page-consult", Role.INTAKE_AGENT))
        await phone.stop()
        await other.stop()


async def test_an_agent_who_joins_before_connecting_the_browser_phone_is_not_available_until_it_answers(
    serving: Platform, asterisk: Settings, browser: WebDriver
) -> None:
    # expected: agent.login (desk phone, none registered): the page says the phone is not connected,
    # not "available"; the browser phone connects: the page joins the queues again with it
    # (agent.login, phone browser) and the queue's member is PJSIP/1030-web, reachable
    platform = serving
    password = _agent_with_phone(platform, "page-late-phone", "1030")
    await asyncio.to_thread(asterisk_process(asterisk).reload, lines_book(asterisk), prompts_dir(asterisk))
    with contextlib.suppress(Exception):
        await platform.state["desk"].logout(Actor("page-late-phone", Role.INTAKE_AGENT))
    try:
        await _in_browser(_open_page, browser, asterisk, "page-late-phone")
        await _in_browser(_wait, browser, lambda d: _status(d) == "logged_out")
        await _in_browser(lambda: browser.find_element(By.ID, "btn-login").click())
        await _in_browser(_wait, browser, lambda d: "话机未连接" in d.find_element(By.ID, "status").text)
        assert "空闲" not in browser.find_element(By.ID, "status").text  # never shown available
        await _in_browser(_connect_softphone, browser, password)
        await _in_browser(
            _wait, browser, lambda d: "queue calls now ring here" in d.find_element(By.ID, "sp-status").text, 20
        )
        await until_reachable(platform.ami, "1030-web")
        await _in_browser(_wait, browser, lambda d: d.find_element(By.ID, "status").text == "空闲 available", 20)
        members = await platform.ami.queue_members()
        assert {m.interface for m in members if m.name == "page-late-phone"} == {"PJSIP/1030-web"}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "agent-browser-phone-after-joining.png"))
    finally:
        with contextlib.suppress(Exception):
            await platform.state["desk"].logout(Actor("page-late-phone", Role.INTAKE_AGENT))
