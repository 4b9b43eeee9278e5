"""Screen-pop latency: from Asterisk ringing / bridging the agent to the agent's page showing it.

Ten agents, each with a real pjsua2 desk phone (answers after 1 s, talks 4 s) and their page
open in a tab of one headless Chromium; callers (`hotline call`, pjsua2) dial 12345, press 3
and wait for a person (until the agent hangs up), ten at a time. Every caller has an earlier case, so the pop includes a
history read from PostgreSQL.

Measured per call, on one machine's clock:
- ring -> pop: Asterisk's AgentCalled event time (AMI `Timestamp`) -> the page's JavaScript
  has put the caller, line and IVR path on screen (`window.deskTimings[].shown_at`);
- ring -> history: the same, until the earlier cases are on screen (`history_at`);
- bridge -> page: AgentConnect (the call is bridged to the agent) -> the page shows "on a call"
  with the case draft (`answered_shown_at`).

    .venv/bin/python -m bench.screen_pop --calls 40 --agents 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform as host
import statistics
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from bench.ivr_load import bench_settings, percentile, start_bench_asterisk
from casebook.agents.services import AgentDirectory
from casebook.auth.policy import SYSTEM, Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from hotline.services import asterisk_process, lines_book
from telephony.ami.queue_events import chan_variables
from tests.e2e.helpers import Phone, place_call

PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password-1"
ADMIN = Actor("admin", Role.ADMIN)


def open_tabs(settings: Settings, agents: list[str]) -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    # background tabs must not be throttled: every agent's page is "in front" on their own desk
    for argument in ("--disable-background-timer-throttling", "--disable-renderer-backgrounding"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    for i, name in enumerate(agents):
        if i:
            driver.switch_to.new_window("tab")
        driver.get(f"http://{settings.api_host}:{settings.api_port}/agent")
        form = driver.find_element(By.ID, "login-form")
        form.find_element(By.NAME, "username").send_keys(name)
        form.find_element(By.NAME, "password").send_keys(PASSWORD)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait = WebDriverWait(driver, 15, poll_frequency=0.05)
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-status") == "logged_out")
        driver.find_element(By.ID, "btn-login").click()
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-status") == "available")
    return driver


def read_timings(driver: WebDriver) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for handle in driver.window_handles:
        driver.switch_to.window(handle)
        found += driver.execute_script("return window.deskTimings") or []
    return found


async def run(args: argparse.Namespace) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(prefix="hotline-bench-pop-"))
    db = f"hotline_bench_pop_{os.getpid()}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    settings = bench_settings(data).model_copy(
        update={
            "database_url": f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}",
            "desk_wrapup_max_s": 0.5,  # agents take the next call at once
            "asr_live": False,  # the pop, not speech, is measured here (see the speech bench)
        }
    )
    asterisk = start_bench_asterisk(settings)
    platform = Platform(settings)
    platform.prepare()  # the directory (channels, categories) the cases need
    names = [f"bench-agent-{i:02d}" for i in range(args.agents)]
    auth, directory = AuthService(platform.sessions), AgentDirectory(platform.sessions)
    passwords = {}
    for i, name in enumerate(names):
        auth.create_user(name, Role.INTAKE_AGENT, password=PASSWORD)
        passwords[name] = directory.create(ADMIN, name, str(2000 + i), {"intake": 0}).sip_password
    for i in range(args.calls):
        appeal = NewAppeal(channel="phone", description=f"第{i}次反映：路灯不亮", caller_phone=f"1391111{i:04d}")
        platform.book.open(appeal, SYSTEM)
    asterisk_process(settings).reload(lines_book(settings), prompts_dir(settings))
    stamps: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}

    def remember(kind: str) -> Any:
        def on(_manager: Any, message: Mapping[str, Any]) -> None:
            call_id = chan_variables(message).get("HL_CALL_ID") or str(message.get("Uniqueid"))
            stamp = stamps.setdefault(call_id, {})
            stamp[kind] = float(message.get("Timestamp", 0))
            stamp[f"{kind}_heard"] = time.time()  # when the platform's AMI connection delivered it

        return on

    platform.ami.on_event("AgentCalled", remember("rang"))
    platform.ami.on_event("AgentConnect", remember("bridged"))
    serving = asyncio.create_task(platform.serve(api=True))
    phones: list[Phone] = []
    driver: WebDriver | None = None
    try:
        await asyncio.wait_for(platform.stasis.ready.wait(), 30)
        for i, name in enumerate(names):
            phones.append(await Phone.start(settings, str(2000 + i), passwords[name], 3600, answer_after=1, talk=4))
        driver = await asyncio.to_thread(open_tabs, settings, names)
        semaphore = asyncio.Semaphore(args.agents)

        async def one(i: int) -> None:
            async with semaphore:
                await place_call(settings, "12345", "wait 1; keys 3; until-hangup 60", caller=f"1391111{i:04d}")

        with platform.bus.subscribe(100_000) as sub:
            await asyncio.gather(*(one(i) for i in range(args.calls)))
            await asyncio.sleep(1)
            while not sub.queue.empty():
                event = sub.queue.get_nowait()
                counts[event.name] = counts.get(event.name, 0) + 1
        timings = await asyncio.to_thread(read_timings, driver)
    finally:
        if driver is not None:
            driver.quit()
        for phone in phones:
            await phone.stop()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await platform.close()
        asterisk.stop()
        with psycopg.connect(PG, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    ring, history, bridge, ami_delay = [], [], [], []
    for stamp in stamps.values():
        if "rang" in stamp:
            ami_delay.append(1000 * (stamp["rang_heard"] - stamp["rang"]))
    first: dict[str, dict[str, Any]] = {}
    for timing in timings:  # a call rung on two agents in turn pops twice: the first counts
        first.setdefault(timing["call_id"], timing)
    for timing in first.values():
        stamp = stamps.get(timing["call_id"], {})
        if "rang" in stamp:
            ring.append(1000 * (timing["shown_at"] - stamp["rang"]))
            if timing.get("history_at"):
                history.append(1000 * (timing["history_at"] - stamp["rang"]))
        if "bridged" in stamp and timing.get("answered_shown_at"):
            bridge.append(1000 * (timing["answered_shown_at"] - stamp["bridged"]))
    return {
        "machine": f"{host.node()} {os.cpu_count()} cores",
        "agents": args.agents,
        "calls": args.calls,
        "calls_rung": len(stamps),
        "pops_seen": len(timings),
        "events": {k: v for k, v in sorted(counts.items()) if k.startswith(("ivr.", "queue.", "call."))},
        "ring_to_ami_event_ms": summary(ami_delay),
        "ring_to_pop_ms": summary(ring),
        "ring_to_history_ms": summary(history),
        "bridge_to_on_call_ms": summary(bridge),
    }


def summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 95), 1),
        "max": round(max(values), 1),
    }


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("telephony.ami.client").setLevel(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--agents", type=int, default=10)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        print(json.dumps(asyncio.run(run(args)), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
