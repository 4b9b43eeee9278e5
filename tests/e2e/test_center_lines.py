"""A line added, changed and taken away by an administrator is answered so within seconds, with no
command line, while agents stay in their queues (issue 16: "lines: numbers, greetings, hours,
default queue").

Expected events: after the lines are saved, the platform's sync speaks the new greeting and reloads
`pbx_config.so` and `app_queue.so` through AMI (the page's `in_asterisk` turns true). A call to the
new number: StasisStart (`hotline,incoming,12388`), PlaybackStarted of `greeting-river-watch`, the
platform's call.started, ivr.greeting (line=12388), call.ended. A queue member added through AMI
before the reload is still a member after it. Once the lines are given back to the file, a call to
12388 meets the plain dialplan's "unknown number" (no StasisStart). In the admin page (Chromium) the
same line is added by hand, the page says when the telephone system has taken it, and a wrong hours
rule is refused in words.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from casebook.auth.policy import Role
from casebook.clock import SystemClock
from common.paths import prompts_dir
from common.settings import Settings
from hotline.features.lines.store import LineStore
from hotline.platform import Platform
from hotline.root import build_casebook
from ivr.lines import LineBook, load_lines
from tests.e2e.browser import chromium, screenshot, text_of, wait
from tests.e2e.helpers import AriObserver, assert_events, best_match, person, place_call, wait_for

MEMBER = "Local/lines-test@hotline-test-agents"
GREETING = "您好，河长制热线，请讲。"
PASSWORD = "a-long-password"


@pytest.fixture
async def store(asterisk: Settings) -> AsyncIterator[LineStore]:
    """The lines as the admin page keeps them. (Asked for after the test's platform, so it is put
    back while that platform still runs, and its Asterisk is brought back too.)"""
    casebook = build_casebook(asterisk, pool_size=2)
    store = LineStore(casebook.sessions, lambda: load_lines(asterisk.lines_file), SystemClock())
    store.forget("e2e")
    try:
        yield store
    finally:  # the session's Asterisk and database keep the lines file's lines for the other tests
        store.forget("e2e")
        with contextlib.suppress(AssertionError):  # no platform running: the next one's start does it
            await _until_in_asterisk(store, 20)
        casebook.close()


def _with_river_line(settings: Settings, queue: str = "intake") -> LineBook:
    book = load_lines(settings.lines_file).model_dump(mode="json")
    book["lines"].append(
        {
            "number": "12388",
            "code": "river-watch",
            "name_zh": "河长制热线",
            "name_en": "River Chief Line",
            "greeting": {"zh": GREETING, "en": "Hello, the river chief line."},
            "default_queue": queue,
            "default_category": "water.rivers",
        }
    )
    return LineBook.model_validate(book)


async def _until_in_asterisk(store: LineStore, within_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        if (await asyncio.to_thread(store.read)).in_asterisk:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"Asterisk had not taken the lines {within_s} s after they were saved")


async def test_a_new_line_is_answered_with_its_greeting_within_seconds_and_agents_stay_in_their_queues(
    platform: Platform, asterisk: Settings, store: LineStore, tmp_path: Path
) -> None:
    await platform.ami.queue_add("intake", MEMBER, member_name="lines-test", paused=True)
    try:
        await asyncio.to_thread(store.save, _with_river_line(asterisk), "e2e-admin")
        took = await _until_in_asterisk(store, 10)
        members = {(m.queue, m.interface) for m in await platform.ami.queue_members()}
    finally:
        await platform.ami.queue_remove("intake", MEMBER)
    assert ("intake", MEMBER) in members, "the agent left the queue when the queues were reloaded"
    heard, log = tmp_path / "heard.wav", []
    async with AriObserver(asterisk).running() as ari:
        with platform.bus.subscribe() as sub:
            result = await place_call(asterisk, "12388", "wait 6; hangup", record=heard)
            ended = await wait_for(sub, "call.ended", log=log, timeout=20)
    assert result["answered"], result
    assert_events(log, {"call.started": 1, "ivr.greeting": 1, "call.ended": 1}, call_id=ended.call_id)
    assert next(e for e in log if e.name == "ivr.greeting").data["line"] == "12388"
    played = [e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted")]
    assert any("/zh/greeting-river-watch" in uri for uri in played), played
    assert best_match(heard, prompts_dir(asterisk) / "zh" / "greeting-river-watch.wav") > 0.5
    print(f"lines taken by Asterisk {took:.2f} s after they were saved")


async def test_a_line_given_back_is_no_longer_answered_by_the_application(
    platform: Platform, asterisk: Settings, store: LineStore
) -> None:
    await asyncio.to_thread(store.save, _with_river_line(asterisk, queue="rivers"), "e2e-admin")
    await _until_in_asterisk(store, 10)
    summary = await platform.ami.queue_summary("rivers")
    assert summary is not None, "the line's new queue does not exist in Asterisk"

    await asyncio.to_thread(store.forget, "e2e-admin")
    await _until_in_asterisk(store, 10)

    async with AriObserver(asterisk).running() as ari:
        result = await place_call(asterisk, "12388", "until-hangup 20")
    assert result["answered"] and ari.count("StasisStart") == 0  # the plain dialplan's "unknown number"


def _page_adds_a_line(driver: WebDriver, settings: Settings) -> str:
    """An administrator opens the lines tab, adds 12388 and waits for the page's confirmation."""
    driver.get(f"http://{settings.api_host}:{settings.api_port}/admin")
    driver.execute_script("sessionStorage.clear(); localStorage.clear()")
    driver.refresh()
    form = wait(driver, lambda d: d.find_element(By.ID, "login-form"))
    form.find_element(By.NAME, "username").send_keys("lines-adm")
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, lambda d: d.find_element(By.ID, "work").is_displayed())
    driver.find_element(By.CSS_SELECTOR, "#tabs [data-tab=lines]").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#line-rows tr[data-number='12399']"))
    assert "停用" in text_of(driver, "#line-rows tr[data-number='12399']")  # the tests' closed line
    driver.find_element(By.ID, "line-new").click()
    line = driver.find_element(By.ID, "line-form")
    for name, value in (
        ("number", "12388"),
        ("code", "river-watch"),
        ("name_zh", "河长制热线"),
        ("name_en", "River Chief Line"),
        ("greeting_zh", GREETING),
        ("greeting_en", "Hello, the river chief line."),
    ):
        line.find_element(By.NAME, name).send_keys(value)
    line.find_element(By.CSS_SELECTOR, "select[name=hours_mode] option[value=rules]").click()
    line.find_element(By.NAME, "rules").send_keys("mon-sun 00:00-23:59")
    line.find_element(By.CSS_SELECTOR, "select[name=default_category] option[value='water.rivers']").click()
    line.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    said = str(wait(driver, lambda d: "电话系统已采用" in text_of(d, "#said") and text_of(d, "#said"), timeout=30))
    screenshot(driver, "admin-lines")
    return said


def _page_refuses_a_bad_rule(driver: WebDriver) -> str:
    driver.find_element(By.CSS_SELECTOR, "#line-rows tr[data-number='12388']").find_element(
        By.XPATH, ".//button[.='修改']"
    ).click()
    rules = driver.find_element(By.CSS_SELECTOR, "#line-form [name=rules]")
    rules.clear()
    rules.send_keys("every day at nine")
    driver.find_element(By.CSS_SELECTOR, "#line-form button[type=submit]").click()
    refused = str(wait(driver, lambda d: text_of(d, "#refused")))
    # a number another line has: the platform's reason, in words (no "Value error", no empty field name)
    rules.clear()
    number = driver.find_element(By.CSS_SELECTOR, "#line-form [name=number]")
    number.clear()
    number.send_keys("12345")
    driver.find_element(By.CSS_SELECTOR, "#line-form select[name=hours_mode] option[value=always]").click()
    driver.find_element(By.CSS_SELECTOR, "#line-form button[type=submit]").click()
    duplicate = str(
        wait(driver, lambda d: "duplicate line number" in text_of(d, "#refused") and text_of(d, "#refused"))
    )
    assert "Value error" not in duplicate and "：:" not in duplicate, duplicate
    return refused


async def test_an_administrator_adds_a_line_in_the_page_and_its_first_caller_hears_the_new_greeting(
    serving: Platform, asterisk: Settings, store: LineStore
) -> None:
    person(serving.sessions, "lines-adm", Role.ADMIN)
    with chromium(size="1366,900") as driver:
        said = await asyncio.to_thread(_page_adds_a_line, driver, asterisk)
        assert "已保存热线 12388" in said
        refused = await asyncio.to_thread(_page_refuses_a_bad_rule, driver)
        assert "第 1 行看不懂" in refused
    async with AriObserver(asterisk).running() as ari:
        result = await place_call(asterisk, "12388", "wait 5; hangup")
    assert result["answered"]
    played = [e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted")]
    assert any("/zh/greeting-river-watch" in uri for uri in played), played
