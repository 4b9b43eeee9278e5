"""The routing model learns from the intake agents (issue 17): in Chromium, an administrator trains
the model from the admin page; an intake agent corrects the screening's suggestion on the case
page of an appeal worded as the corpus never words it; after a retraining, the next appeal worded
alike is suggested the agent's category. On the platform's own API over PostgreSQL.

Expected: the admin page says "已训练第 N 版" and lists the version as 使用中 with its test-split
figures; the case page's register form offers the suggestion, the agent picks another category and
the page says "已登记为「…」"; the retrained version counts that registration among what it
learnt from, and the case page of the next such appeal offers the agent's category. Screenshots in
tests/artifacts/.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from casebook.auth.policy import SYSTEM, Actor, Role
from casebook.cases.intake import NewAppeal
from casebook.classify.corpus import load
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.browser import chromium, click, screenshot, served, text_of, wait

PASSWORD = "a-long-password"
WORDS = "电瓶车挂牌排长队，挂牌点只开一个窗口"  # nothing in the corpus is worded so


@dataclass
class Site:
    url: str
    platform: Platform
    marker: str


@pytest.fixture(scope="module")
def site(e2e_settings: Settings) -> Iterator[Site]:
    platform = Platform(e2e_settings)
    platform.prepare()
    platform.book.models.min_interval_s = 0  # two trainings within the test
    models = platform.book.models
    models.corpus = lambda: load()[::4]  # a quarter of the corpus: seconds, not half a minute
    marker = f"学习{uuid.uuid4().hex[:6]}"
    # the e2e database is shared: other tests' registrations would sway the model, so learn from this test's
    everyones = models.registrations
    models.registrations = lambda: [r for r in everyones() if marker in r[0]]  # type: ignore[method-assign]
    # the appeals here are worded alike on purpose, minutes apart: the duplicate check (tested in
    # test_duplicate_rules and test_routing_quality) would link them to one another, and to those of
    # an earlier attempt, where this test needs each registered on its own
    platform.book._find_duplicates = lambda s, case: (None, ())  # type: ignore[method-assign]
    # nothing is dispatched without a person here: how sure a model trained on a quarter of the corpus
    # may be depends on the rules and keywords other e2e modules left in this database; each appeal
    # waits for the agent, whose form shows the suggestion (the threshold is tested in test_routing_quality)
    train = models.train
    models.train = lambda by, precision=0.97: train(by, precision=1.01)  # type: ignore[method-assign]
    for name, role in (("learn-adm", Role.ADMIN), ("learn-agent", Role.INTAKE_AGENT)):
        platform.auth.create_user(f"{name}", role, password=PASSWORD)
    try:
        with served(platform) as url:
            yield Site(url, platform, marker)
    finally:
        asyncio.run(platform.close())


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium(size="1366,900") as driver:
        yield driver


def _log_in(driver: WebDriver, site: Site, name: str, path: str) -> None:
    driver.get(site.url + path)
    driver.execute_script("sessionStorage.clear(); localStorage.clear()")
    driver.refresh()
    form = wait(driver, lambda d: d.find_element(By.ID, "login-form"))
    form.find_element(By.NAME, "username").send_keys(name)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, lambda d: d.find_element(By.ID, "work").is_displayed())


def _train_in_the_page(driver: WebDriver, site: Site) -> str:
    _log_in(driver, site, "learn-adm", "/admin")
    driver.find_element(By.CSS_SELECTOR, "#tabs [data-tab=routing]").click()
    click(driver, "#model-train")
    said = str(wait(driver, lambda d: "已训练第" in text_of(d, "#said") and text_of(d, "#said"), timeout=180))
    version = said.split("已训练第", 1)[1].split("版", 1)[0].strip()
    row = f"#model-rows tr[data-version='{version}']"
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, row))
    assert "使用中" in text_of(driver, row)
    driver.execute_script("document.getElementById('models-none').scrollIntoView()")
    screenshot(driver, "admin-routing-model")
    return said


def _suggested(driver: WebDriver, site: Site, number: str) -> str:
    _log_in(driver, site, "learn-agent", f"/cases/{number}")
    form = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "form.action[data-action='register']"))
    return str(Select(form.find_element(By.NAME, "category")).first_selected_option.get_attribute("value"))


def _register_as(driver: WebDriver, category: str) -> str:
    form = driver.find_element(By.CSS_SELECTOR, "form.action[data-action='register']")
    Select(form.find_element(By.NAME, "category")).select_by_value(category)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    return str(wait(driver, lambda d: "已登记为" in text_of(d, "#done") and text_of(d, "#done")))


def _new_appeal(site: Site, n: int) -> str:
    book = site.platform.book
    number = book.open(NewAppeal(channel="web", description=f"{site.marker}{n} {WORDS}"), SYSTEM).number
    book.screen(number)
    return number


def test_an_agents_correction_changes_the_next_suggestion_after_a_retraining(site: Site, browser: WebDriver) -> None:
    said = _train_in_the_page(browser, site)
    assert "测试集分拨正确" in said
    book = site.platform.book
    book.reload_directory()  # this test's process screens with the version the page trained
    first = _new_appeal(site, 1)
    with book.sessions() as s:
        assert book.get(s, first).status == "received", "the model was sure of words it never saw"
    before = _suggested(browser, site, first)
    target = "civility" if before != "civility" else "public-security"  # another category than suggested

    assert "已登记为" in _register_as(browser, target)  # the agent corrects the suggestion in the page
    screenshot(browser, "case-corrected")
    with book.sessions() as s:
        assert book.get(s, first).category_code == target
    colleague = Actor("learn-agent", Role.INTAKE_AGENT)
    for n in (2, 3):  # two colleagues do the same on the same days
        book.register(_new_appeal(site, n), colleague, category=target)

    said = _train_in_the_page(browser, site)
    newest = book.models.versions(1)[0]
    assert newest.active and newest.from_registrations >= 3, said
    book.reload_directory()
    fourth = _new_appeal(site, 4)
    with book.sessions() as s:
        case = book.get(s, fourth)
        after, status = case.classification["category"]["code"], case.status
    assert after == target, (before, after)
    if status == "received":  # not confident enough to go alone: the agent's form offers it
        assert _suggested(browser, site, fourth) == target
