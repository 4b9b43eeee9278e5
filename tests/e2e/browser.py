"""What the page tests share: the platform's API and pages served in a thread, headless Chromium
(Debian's, through Selenium and Debian's chromedriver), waiting on the page, and screenshots kept
in tests/artifacts/ (HOTLINE_TEST_ARTIFACTS) to be looked at."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from hotline.platform import Platform
from tests.e2e.helpers import ROOT

ARTIFACTS = Path(os.environ.get("HOTLINE_TEST_ARTIFACTS", ROOT / "tests" / "artifacts"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def served(platform: Platform) -> Iterator[str]:
    """The platform's API and pages (`api(telephony=False)`) under uvicorn on a free port, with
    the work every API process runs beside it (the live feeds), as `hotline serve --no-telephony`
    does: its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(platform.api(telephony=False), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )

    async def serve() -> None:
        beside = [asyncio.create_task(work()) for feature in platform.built for work in feature.with_api]
        try:
            await server.serve()
        finally:
            for task in beside:
                task.cancel()
            await asyncio.gather(*beside, return_exceptions=True)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), name="pages-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def chromium(downloads: Path | None = None, size: str = "1400,1300") -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={size}"):
        options.add_argument(argument)
    if downloads is not None:  # files land in the test's own folder, without asking
        options.add_experimental_option(
            "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
        )
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    if downloads is not None:
        with contextlib.suppress(Exception):  # headless Chromium also wants to be told through the DevTools
            driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()


# a page redrawn while a condition reads it (a new tab's document, a list drawn afresh) is read
# again on the next poll, not taken for a failure
REDRAWN = (NoSuchElementException, StaleElementReferenceException)


def wait(driver: WebDriver, condition: Any, timeout: float = 15) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=REDRAWN).until(condition)


def click(driver: WebDriver, css: str, timeout: float = 15) -> None:
    """Click the element once it is in view and nothing lies over it (a table still being drawn
    above it moves it down: the click would land on a cell)."""

    def clicked(d: WebDriver) -> bool:
        element = d.find_element(By.CSS_SELECTOR, css)
        d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        try:
            element.click()
        except ElementClickInterceptedException:
            return False
        return True

    wait(driver, clicked, timeout)


def text_of(driver: WebDriver, css: str) -> str:
    """The element's words now; a list redrawn between finding and reading is read again."""
    for _ in range(20):
        try:
            return str(driver.find_element(By.CSS_SELECTOR, css).text)
        except StaleElementReferenceException:
            time.sleep(0.05)
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def screenshot(driver: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
