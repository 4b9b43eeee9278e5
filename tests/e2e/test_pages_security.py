"""The pages under their Content-Security-Policy, in Chromium: nothing is refused, and the API's
documentation renders from the platform's own copies (a county intranet reaches no CDN).

Expected: every page of the platform, opened signed in as a supervisor, logs no "Refused to ..."
of the policy; /docs shows Swagger UI with the API's title and an "Authorize" button (the bearer
scheme); /redoc shows ReDoc with the API's title. Screenshots in tests/artifacts/.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from casebook.auth.policy import Role
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.browser import chromium, screenshot, served, wait

PASSWORD = "a-long-password"
PAGES = ["/", "/cases", "/admin", "/dashboard", "/wallboard", "/agent"]
TITLE = "Citizen hotline platform"


@pytest.fixture(scope="module")
def site(e2e_settings: Settings) -> Iterator[str]:
    platform = Platform(e2e_settings)
    platform.prepare()
    platform.auth.create_user("csp-sup", Role.SUPERVISOR, password=PASSWORD)
    try:
        with served(platform) as url:
            yield url
    finally:
        asyncio.run(platform.close())


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium(size="1366,900") as driver:
        yield driver


def _refusals(driver: WebDriver) -> list[str]:
    entries: list[dict[str, Any]] = driver.get_log("browser")
    messages = [str(e["message"]) for e in entries]
    return [m for m in messages if "Content Security Policy" in m]


def test_every_page_runs_under_its_policy_with_nothing_refused(site: str, browser: WebDriver) -> None:
    browser.get(site + "/")
    browser.execute_script("sessionStorage.clear(); localStorage.clear()")
    browser.refresh()
    form = wait(browser, lambda d: d.find_element(By.ID, "login-form"))
    form.find_element(By.NAME, "username").send_keys("csp-sup")
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: d.find_element(By.ID, "work").is_displayed())
    refused = {}
    for page in PAGES:
        browser.get(site + page)
        wait(browser, lambda d: d.execute_script("return document.readyState") == "complete")
        browser.execute_script("return new Promise((done) => setTimeout(done, 800))")  # its scripts run
        refused[page] = _refusals(browser)
    assert refused == {page: [] for page in PAGES}


def test_the_api_documentation_renders_without_any_other_site(site: str, browser: WebDriver) -> None:
    browser.get(site + "/docs")
    title = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title"), 30)
    assert TITLE in title.text
    assert wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".swagger-ui .btn.authorize")).is_displayed()
    screenshot(browser, "api-docs")
    assert _refusals(browser) == []
    browser.get(site + "/redoc")
    heading = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#redoc h1"), 30)
    assert TITLE in heading.text
    screenshot(browser, "api-redoc")
    assert _refusals(browser) == []
