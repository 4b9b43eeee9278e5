"""The live wallboard in a real browser, fed by a real call: a caller waiting in the queue shows
on the screen within 2 seconds, the ringing agent too, and when the caller gives up the waiting
count drops and today's abandoned figure (from the call log) rises."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.helpers import person, place_call, wait_for
from tests.e2e.test_agent_page import ARTIFACTS, _in_browser, _wait, browser, served  # noqa: F401
from tests.e2e.test_queue_waiting import unanswered_agent

PASSWORD = "a-long-password"


def _open_board(driver: WebDriver, settings: Settings, name: str) -> None:
    driver.get(f"http://{settings.api_host}:{settings.api_port}/wallboard")
    driver.execute_script("sessionStorage.clear(); localStorage.clear()")
    driver.refresh()
    form = driver.find_element(By.ID, "login-form")
    form.find_element(By.NAME, "username").send_keys(name)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def _read(driver: WebDriver, css: str) -> str:
    """The text of an element read in one step: the board is redrawn every second, so an
    element found first and read after may be gone (stale)."""
    return str(
        driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css)
    )


def _text(driver: WebDriver, element_id: str) -> str:
    return _read(driver, f"#{element_id}")


def _figure(driver: WebDriver, key: str) -> str:
    return _read(driver, f"#today-{key} span")


async def test_the_wallboard_shows_a_real_caller_waiting_within_two_seconds_and_counts_the_abandon(
    served: Platform,  # noqa: F811
    asterisk: Settings,
    browser: WebDriver,  # noqa: F811
) -> None:
    # expected: agent.login; for the call: call.started, ivr.transfer, call.ended (transferred),
    # queue.joined, queue.ringing (never answered), queue.abandoned when the caller hangs up
    platform = served
    AuthService(platform.sessions).create_user("board-sup", Role.SUPERVISOR, password=PASSWORD)
    await _in_browser(_open_board, browser, asterisk, "board-sup")
    await _in_browser(_wait, browser, lambda d: d.find_element(By.ID, "link").get_attribute("data-state") == "live")
    await _in_browser(_wait, browser, lambda d: _figure(d, "abandoned").isdigit())
    abandoned_before = await _in_browser(_figure, browser, "abandoned")
    async with unanswered_agent(platform, asterisk, "board-agent", "1041"):
        await _in_browser(_wait, browser, lambda d: "board-agent" in _text(d, "agents"))
        with platform.bus.subscribe() as sub:
            call = asyncio.create_task(
                place_call(asterisk, "12345", "wait 1; keys 3; wait 14; hangup", caller="13912340041")
            )
            joined = await wait_for(sub, "queue.joined", timeout=40)
            seen_at = joined.at.timestamp()
            try:
                await _in_browser(_wait, browser, lambda d: _text(d, "now-waiting") == "1", 2.0)
            except Exception:
                raise AssertionError(
                    f"the waiting caller was not on the board 2 s after queue.joined: {_text(browser, 'now-waiting')}"
                ) from None
            shown = browser.execute_script("return window.boardLog.find(b => b.waiting >= 1)")
            latency = shown["at"] / 1000.0 - seen_at
            assert latency < 2.0, latency
            await _in_browser(_wait, browser, lambda d: "振铃" in _text(d, "agents"), 10)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(ARTIFACTS / "wallboard-waiting.png"))
            await wait_for(sub, "queue.abandoned", timeout=30)
            await call
    await _in_browser(_wait, browser, lambda d: _text(d, "now-waiting") == "0", 5)
    started = time.monotonic()
    await _in_browser(_wait, browser, lambda d: _figure(d, "abandoned") != abandoned_before, 15)
    assert int(await _in_browser(_figure, browser, "abandoned")) == int(abandoned_before) + 1
    assert time.monotonic() - started < 15
    # the same board in English
    await _in_browser(lambda: browser.find_element(By.ID, "lang").click())
    await _in_browser(_wait, browser, lambda d: "Waiting" in d.page_source)
    browser.save_screenshot(str(ARTIFACTS / "wallboard-english.png"))
    assert Path(ARTIFACTS / "wallboard-waiting.png").stat().st_size > 10_000


async def test_an_intake_agent_is_told_the_wallboard_is_not_for_their_role(
    served: Platform,  # noqa: F811
    asterisk: Settings,
    browser: WebDriver,  # noqa: F811
) -> None:
    # expected: no events; the socket closes with 4403 and the page says why
    person(served.sessions, "board-agent-2", Role.INTAKE_AGENT, PASSWORD)
    await _in_browser(_open_board, browser, asterisk, "board-agent-2")
    await _in_browser(_wait, browser, lambda d: "无权" in _text(d, "login-error"))
