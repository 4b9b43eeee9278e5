"""The live wallboard in a real browser, fed by a real call: a caller waiting in the queue shows
on the screen within 2 seconds, the ringing agent too, and when the caller gives up the waiting
count drops and today's abandoned figure (from the call log) rises."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import update

from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from casebook.db.models import Case
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.browser import screenshot
from tests.e2e.helpers import person, place_call, wait_for
from tests.e2e.test_agent_page import ARTIFACTS, _in_browser, _wait, browser  # noqa: F401
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
    serving: Platform,
    asterisk: Settings,
    browser: WebDriver,  # noqa: F811
) -> None:
    # expected: agent.login; for the call: call.started, ivr.transfer, call.ended (transferred),
    # queue.joined, queue.ringing (never answered), queue.abandoned when the caller hangs up
    platform = serving
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
    serving: Platform,
    asterisk: Settings,
    browser: WebDriver,  # noqa: F811
) -> None:
    # expected: no events; the socket closes with 4403 and the page says why
    person(serving.sessions, "board-agent-2", Role.INTAKE_AGENT, PASSWORD)
    await _in_browser(_open_board, browser, asterisk, "board-agent-2")
    await _in_browser(_wait, browser, lambda d: "无权" in _text(d, "login-error"))


def _href(driver: WebDriver, css: str) -> tuple[str, dict[str, str]]:
    """Where the link `css` goes: its path and its query, read at once."""
    found = driver.execute_script(
        "const a = document.querySelector(arguments[0]); return a && a.href ? [a.pathname, a.search] : null", css
    )
    assert found, f"no link at {css}"
    return found[0], dict(parse_qsl(found[1][1:]))


def _follow(driver: WebDriver, css: str, seen: Any) -> Any:
    """Click the link: in the tab it opens (signed in: it has the board's session), wait for `seen`
    and answer what it answered; then back to the board."""
    board = driver.current_window_handle
    driver.find_element(By.CSS_SELECTOR, css).click()
    _wait(driver, lambda d: len(d.window_handles) == 2)
    driver.switch_to.window(next(h for h in driver.window_handles if h != board))
    try:
        return _wait(driver, seen)
    finally:
        driver.close()
        driver.switch_to.window(board)


def _listed(driver: WebDriver) -> list[str] | None:
    """The case numbers the case list shows, once it has answered."""
    if not _read(driver, "#count"):
        return None
    numbers: list[str] = driver.execute_script(
        "return [...document.querySelectorAll('#rows tr')].map(r => r.dataset.number)"
    )
    return numbers


def _check_links(driver: WebDriver, today: str, lights: list[str], late: str) -> None:
    tiles = "#today-tiles"
    lists = {
        "appeals": {"inbox": "all", "from": today, "to": today, "order": "received"},
        "backlog": {"inbox": "all", "status": "open"},
        "overdue": {"inbox": "all", "overdue": "1"},
    }
    for key, asked in lists.items():  # today's case figures open their lists; the calls' are no links
        assert _href(driver, f"{tiles} a#today-{key}") == ("/cases", asked), key
    assert not driver.find_elements(By.CSS_SELECTOR, f"{tiles} a#today-offered")
    alert = "#surges p[data-kind='category'][data-key='urban.streetlights']"
    path, asked = _href(driver, f"{alert} > a")
    assert path == "/cases" and asked["category"] == "urban.streetlights" and asked["to"] == today, asked
    numbers = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(a => a.pathname)", f"{alert} .cases a"
    )
    assert {f"/cases/{n}" for n in lights} <= set(numbers), numbers
    screenshot(driver, "wallboard-links")

    shown = _follow(driver, f"{alert} .cases a[href='/cases/{lights[0]}']", lambda d: _read(d, "#number"))
    assert shown == lights[0]
    overdue = int(_read(driver, "#today-overdue span"))
    listed = _follow(driver, f"{tiles} a#today-overdue", lambda d: _listed(d) if late in (_listed(d) or []) else None)
    assert len(listed) == overdue, (listed, overdue)  # the figure counts exactly the cases the list shows


async def test_the_wallboards_case_figures_and_alerts_link_to_the_cases(
    serving: Platform,
    asterisk: Settings,
    browser: WebDriver,  # noqa: F811
) -> None:
    # expected: no call; the cases opened below (case.* events) redraw the board's case figures
    platform, center = serving, Actor("board-seed", Role.SUPERVISOR)
    person(platform.sessions, "board-sup-links", Role.SUPERVISOR, PASSWORD)
    late = platform.book.open(NewAppeal(channel="web", description="小区门口井盖丢了"), center).number
    with platform.sessions() as s:  # its one-hour register clock has run out
        s.execute(update(Case).where(Case.number == late).values(register_due=datetime.now(UTC) - timedelta(minutes=5)))
        s.commit()
    lights = []  # then street lights out, heard through six channels: a sudden rise
    for i, channel in enumerate(["phone", "mailbox-mayor", "web", "weibo", "wechat", "radio", "web"]):
        number = platform.book.open(
            NewAppeal(channel=channel, description="整条街的路灯都不亮了", caller_phone=f"1375551{i:04d}"), center
        ).number
        platform.book.register(number, center, category="urban.streetlights")
        lights.append(number)
    await _in_browser(_open_board, browser, asterisk, "board-sup-links")
    alert = "#surges p[data-kind='category'][data-key='urban.streetlights']"
    await _in_browser(_wait, browser, lambda d: _read(d, alert) and _figure(d, "overdue") not in ("", "0"), 40)
    today = datetime.now(ZoneInfo(asterisk.timezone)).date().isoformat()
    await _in_browser(_check_links, browser, today, lights, late)


async def test_a_supervisor_pauses_and_signs_out_an_agent_from_the_board_and_is_told_why_not_to_listen(
    serving: Platform,
    asterisk: Settings,
    browser: WebDriver,  # noqa: F811
) -> None:
    # expected: agent.login; supervisor.paused, agent.paused; supervisor.signed-out, agent.logout;
    # listening, or reading the caller's words, while the agent is not on a call is refused in
    # words (409), nothing rings
    platform = serving
    person(platform.sessions, "board-sup", Role.SUPERVISOR, PASSWORD)
    async with unanswered_agent(platform, asterisk, "board-agent", "1041"):
        await _in_browser(_open_board, browser, asterisk, "board-sup")
        await _in_browser(_wait, browser, lambda d: d.find_element(By.ID, "supervise").is_displayed())
        await _in_browser(_wait, browser, lambda d: "board-agent" in _read(d, "#sv-agent"))
        await _in_browser(
            browser.execute_script,
            "const s = document.getElementById('sv-agent'); s.value = 'board-agent';",
        )
        log: list = []
        with platform.bus.subscribe() as sub:
            await _in_browser(lambda: browser.find_element(By.ID, "sv-whisper").click())
            await _in_browser(_wait, browser, lambda d: "坐席当前不在通话中" in _text(d, "sv-said"))
            await _in_browser(browser.execute_script, "document.getElementById('sv-said').textContent = ''")
            await _in_browser(lambda: browser.find_element(By.ID, "sv-transcript").click())  # no call: no words
            await _in_browser(_wait, browser, lambda d: "坐席当前不在通话中" in _text(d, "sv-said"))
            assert not await _in_browser(lambda: browser.find_element(By.ID, "sv-words").is_displayed())
            await _in_browser(lambda: browser.find_element(By.ID, "sv-reason").send_keys("培训"))
            await _in_browser(lambda: browser.find_element(By.ID, "sv-pause").click())
            await _in_browser(_wait, browser, lambda d: _text(d, "sv-said") == "已暂停 board-agent。")
            await wait_for(sub, "supervisor.paused", log=log, timeout=10)
            state = platform.state["desk"].states["board-agent"]
            assert state.status == "paused" and "培训" in state.reason and "board-sup" in state.reason
            screenshot(browser, "wallboard-supervisor-paused")
            await _in_browser(lambda: browser.find_element(By.ID, "sv-sign-out").click())
            await _in_browser(_wait, browser, lambda d: _text(d, "sv-said") == "已将 board-agent 签出队列。")
            await wait_for(sub, "supervisor.signed-out", log=log, timeout=10)
        assert platform.state["desk"].states["board-agent"].status == "logged_out"
        assert "supervisor.joined" not in [e.name for e in log]
