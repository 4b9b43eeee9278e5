"""The case workspace in a real browser, on the platform's real API and PostgreSQL (no Asterisk):
the landing page links what a role may open; the case list shows each role its inbox with the
nearest clock first, red when overdue; the case page shows one case, and another unit's case is
"not found" exactly as a missing one. Screenshots go to tests/artifacts/ (casework-*.png)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import update

from casebook.auth.policy import Actor, Role
from casebook.cases.intake import NewAppeal
from casebook.db.models import Case
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.browser import chromium, screenshot, served, text_of, wait

PASSWORD = "a-long-password"
CENTER = Actor("ws-seed", Role.SUPERVISOR)


@dataclass
class Site:
    url: str
    marker: str  # in every seeded description: the tests find their own cases by it
    pigs: str  # dispatched to the environment bureau, its accept clock overdue
    lights: str  # dispatched to urban management
    waiting: str  # received, waiting for a person, its register clock near


def _seed(platform: Platform, marker: str) -> tuple[str, str, str]:
    book = platform.book
    pigs = book.open(
        NewAppeal(channel="web", description=f"{marker} 学校旁边河里漂着死猪", caller_phone="13655500001"), CENTER
    )
    book.register(pigs.number, CENTER, category="environment.dead-animals", place="school-foreign-languages")
    book.dispatch(pigs.number, CENTER, lead="env", co_units=["wujin"])
    lights = book.open(NewAppeal(channel="web", description=f"{marker} 花源工业园路灯坏了"), CENTER)
    book.register(lights.number, CENTER, category="urban.streetlights", place="huayuan-industrial")
    book.dispatch(lights.number, CENTER, lead="urban")
    waiting = book.open(NewAppeal(channel="web", description=f"{marker} 有人反映情况"), CENTER)
    now = book.clock.now()
    with platform.sessions() as s:  # the environment bureau let its hour pass; the intake queue is near its own
        s.execute(update(Case).where(Case.number == pigs.number).values(accept_due=now - timedelta(minutes=20)))
        s.execute(
            update(Case)
            .where(Case.number == waiting.number)
            .values(register_due=now + timedelta(minutes=10), needs_intake=True)
        )
        s.commit()
    return pigs.number, lights.number, waiting.number


@pytest.fixture(scope="module")
def site(e2e_settings: Settings) -> Iterator[Site]:
    platform = Platform(e2e_settings)
    platform.prepare()
    marker = f"工作台{uuid.uuid4().hex[:6]}"
    pigs, lights, waiting = _seed(platform, marker)
    for name, role, unit in (
        ("ws-sup", Role.SUPERVISOR, None),
        ("ws-agent", Role.INTAKE_AGENT, None),
        ("ws-env", Role.UNIT_HANDLER, "env"),
        ("ws-water", Role.UNIT_HANDLER, "water"),
    ):
        platform.auth.create_user(name, role, password=PASSWORD, unit=unit)
    try:
        with served(platform) as url:
            yield Site(url, marker, pigs, lights, waiting)
    finally:
        asyncio.run(platform.close())


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium(size="1366,768") as driver:  # the office screen the pages are made for
        yield driver


def _log_in(driver: WebDriver, site: Site, name: str, path: str = "/") -> None:
    driver.get(site.url + path)
    driver.execute_script("sessionStorage.clear(); localStorage.clear()")  # a fresh start, in Chinese
    driver.refresh()
    form = wait(driver, lambda d: d.find_element(By.ID, "login-form"))
    wait(driver, lambda d: form.is_displayed())
    form.find_element(By.NAME, "username").send_keys(name)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, lambda d: d.find_element(By.ID, "work").is_displayed())


def _links(driver: WebDriver) -> list[str]:
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#pages a"))
    return [a.get_attribute("pathname") for a in driver.find_elements(By.CSS_SELECTOR, "#pages a")]


def _rows(driver: WebDriver) -> list[str]:
    """The case numbers listed, read at once (the table is redrawn as answers arrive)."""
    numbers: list[str] = driver.execute_script(
        "return [...document.querySelectorAll('#rows tr')].map((row) => row.dataset.number)"
    )
    return numbers


def _clock(driver: WebDriver, number: str) -> tuple[str, str]:
    """A listed case's clock: its class (ok, amber, red) and its words, read at once."""
    found: list[str] = driver.execute_script(
        "const mark = document.querySelector(`#rows tr[data-number='${arguments[0]}'] .clock`);"
        "return mark ? [mark.className, mark.textContent] : ['', ''];",
        number,
    )
    return found[0], found[1]


def _find(driver: WebDriver, words: str) -> None:
    box = driver.find_element(By.ID, "f-text")
    box.clear()
    box.send_keys(words)
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()


def test_the_landing_page_links_the_pages_each_role_may_open(site: Site, browser: WebDriver) -> None:
    _log_in(browser, site, "ws-sup")
    assert _links(browser) == ["/cases", "/agent", "/dashboard", "/wallboard"]
    assert "督办" in text_of(browser, "#welcome")
    screenshot(browser, "casework-home-supervisor")
    _log_in(browser, site, "ws-env")
    assert _links(browser) == ["/cases"]  # a unit's clerk: their cases, nothing else


def test_a_unit_sees_its_inbox_nearest_clock_first_and_red_when_overdue(site: Site, browser: WebDriver) -> None:
    # (other tests' cases share this database: the inbox is narrowed to this test's own by their words)
    _log_in(browser, site, "ws-env", "/cases")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#inboxes button[aria-pressed='true']"))
    assert text_of(browser, "#inboxes button[aria-pressed='true']") == "本单位待签收和办理中"
    _find(browser, site.marker)
    wait(browser, lambda d: _rows(d) == [site.pigs])  # not the other unit's, nor the one waiting for intake
    marked, words = _clock(browser, site.pigs)
    assert "red" in marked and "签收超期" in words
    assert "待签收" in browser.execute_script(
        f"return document.querySelector(\"#rows tr[data-number='{site.pigs}']\").textContent"
    )
    screenshot(browser, "casework-list-unit")
    browser.find_element(By.CSS_SELECTOR, "#inboxes button[data-inbox='all']").click()
    wait(browser, lambda d: "inbox=all" in d.current_url)
    wait(browser, lambda d: _rows(d) == [site.pigs])  # "all cases" of a unit are still only the unit's


def test_the_intake_queue_and_a_shared_view_by_link(site: Site, browser: WebDriver) -> None:
    _log_in(browser, site, "ws-agent", "/cases")
    _find(browser, site.marker)
    wait(browser, lambda d: _rows(d) == [site.waiting])  # the intake queue: what waits for a person
    assert "amber" in _clock(browser, site.waiting)[0]  # ten minutes left
    browser.find_element(By.CSS_SELECTOR, "#inboxes button[data-inbox='all']").click()
    wait(browser, lambda d: set(_rows(d)) == {site.pigs, site.lights, site.waiting})
    assert _rows(browser)[0] == site.pigs  # overdue first
    shared = browser.current_url
    browser.get("about:blank")
    browser.get(shared)  # the same view from its link (the session is this tab's)
    wait(browser, lambda d: set(_rows(d)) == {site.pigs, site.lights, site.waiting})
    assert browser.find_element(By.ID, "f-text").get_attribute("value") == site.marker


def test_the_case_page_shows_the_case_and_another_units_case_is_not_found(site: Site, browser: WebDriver) -> None:
    _log_in(browser, site, "ws-env", f"/cases/{site.pigs}")
    wait(browser, lambda d: d.find_element(By.ID, "case").is_displayed())
    assert text_of(browser, "#number") == site.pigs and text_of(browser, "#status") == "待签收"
    assert "死猪" in text_of(browser, "#description")
    units = text_of(browser, "#units")
    assert "牵头单位" in units and "协办单位" in units and "未签收" in units
    assert "136****0001" in text_of(browser, "#caller")  # a unit's clerk: the number masked
    facts = text_of(browser, "#facts")
    assert "动物尸体与病死畜禽" in facts and "新津外国语实验学校" in facts, facts  # names, not codes
    wait(browser, lambda d: "转办" in text_of(d, "#timeline"))
    screenshot(browser, "casework-case-unit")
    browser.find_element(By.ID, "btn-lang").click()
    wait(browser, lambda d: text_of(d, "#status") == "to accept")
    assert "Timeline" in browser.page_source

    _log_in(browser, site, "ws-water", f"/cases/{site.pigs}")
    wait(browser, lambda d: "找不到工单" in text_of(d, "#case-error"))
    theirs = text_of(browser, "#case-error").replace(site.pigs, "N")
    browser.get(site.url + "/cases/2099999999")
    wait(browser, lambda d: "找不到工单" in text_of(d, "#case-error"))
    assert text_of(browser, "#case-error").replace("2099999999", "N") == theirs  # the same words as a missing one
    assert not browser.find_element(By.ID, "case").is_displayed()
