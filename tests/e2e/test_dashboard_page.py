"""The managers' dashboard in a real browser, on the platform's real API and PostgreSQL.

No Asterisk is needed: the API as the platform serves it (`Platform(settings).api(telephony=False)`,
pages included) runs under uvicorn in a background thread on a free port. Known calls go into the
call log through `CallLog.record` (on a day of their own, two days ago, so calls of other tests never
mix in) and known cases into the casebook (now, so the sudden-rise alert fires); headless Chromium
(Debian's, through Selenium and Debian's chromedriver) logs in through the page's form and must show
those figures with their formulas. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import update

from casebook.auth.policy import Actor, Role
from casebook.calllog.services import CallLog
from casebook.cases.intake import NewAppeal
from casebook.db.models import Case
from casebook.metrics.cases import CaseMetrics
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.browser import ARTIFACTS, REDRAWN, chromium, screenshot, served
from tests.unit.test_call_metrics import Log

PASSWORD = "a-long-password"
SUPERVISOR = Actor("dash-sup", Role.SUPERVISOR)
# the dead pigs of one morning, heard through six channels (their Chinese names as the page shows them)
CHANNELS = {
    "phone": "电话",
    "mailbox-mayor": "市长信箱",
    "web": "网上诉求",
    "weibo": "@新津服务 微博",
    "wechat": "@新津服务 微信",
    "radio": "阳光热线广播节目",
}


@dataclass
class Site:
    url: str
    platform: Platform
    calls_day: date  # the day of the known calls
    today: date
    dead_pigs: list[str]  # their case numbers


def _seed(platform: Platform, tz: ZoneInfo) -> tuple[date, list[str]]:
    """Four calls with known answers two days ago, and seven cases now."""
    calls_day = datetime.now(tz).date() - timedelta(days=2)
    base = datetime(calls_day.year, calls_day.month, calls_day.day, 9, 0, tzinfo=tz)
    log = Log(base)
    log.answered_call(f"dash-1-{calls_day}", 0, wait=10, talk=100, wrapup=20)  # within T = 20 s
    log.answered_call(f"dash-2-{calls_day}", 300, wait=30, talk=200, wrapup=40)  # after T
    log.abandoned_call(f"dash-3-{calls_day}", 600, wait=5, position=3)
    log.abandoned_call(f"dash-4-{calls_day}", 900, wait=60, position=1)
    CallLog(platform.sessions).record(log.events)

    book = platform.book
    numbers = []
    for i, channel in enumerate(CHANNELS):
        case = book.open(
            NewAppeal(channel=channel, description="学校旁边河里漂着死猪", caller_phone=f"1365550{i:04d}"), SUPERVISOR
        )
        book.register(case.number, SUPERVISOR, category="environment.dead-animals", place="school-foreign-languages")
        book.dispatch(case.number, SUPERVISOR, lead="env")
        numbers.append(case.number)
    lights = book.open(NewAppeal(channel="web", description="花源工业园路灯坏了"), SUPERVISOR)
    book.register(lights.number, SUPERVISOR, category="urban.streetlights", place="huayuan-industrial")
    book.dispatch(lights.number, SUPERVISOR, lead="urban")
    return calls_day, numbers


@pytest.fixture(scope="module")
def site(e2e_settings: Settings) -> Iterator[Site]:
    """The platform's API and pages under uvicorn in a thread, with the known data and two users."""
    platform = Platform(e2e_settings)
    platform.prepare()  # the directory (units, categories, channels), as at every start
    tz = ZoneInfo(e2e_settings.timezone)
    calls_day, numbers = _seed(platform, tz)
    platform.auth.create_user("dash-sup", Role.SUPERVISOR, password=PASSWORD)
    platform.auth.create_user("dash-agent", Role.INTAKE_AGENT, password=PASSWORD)
    try:
        with served(platform) as url:
            yield Site(url, platform, calls_day, datetime.now(tz).date(), numbers)
    finally:
        asyncio.run(platform.close())


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator[WebDriver]:
    with chromium(downloads) as driver:
        yield driver


def _wait(driver: WebDriver, condition: Any, timeout: float = 15) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=REDRAWN).until(condition)


def _log_in(driver: WebDriver, site: Site, name: str) -> None:
    driver.get(site.url + "/dashboard")
    driver.execute_script("sessionStorage.clear(); localStorage.clear()")  # a fresh start, in Chinese
    driver.refresh()
    form = _wait(driver, lambda d: d.find_element(By.ID, "login-form"))
    _wait(driver, lambda d: form.is_displayed())
    form.find_element(By.NAME, "username").send_keys(name)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def _show_days(driver: WebDriver, first: date, last: date, *, shown: bool = True) -> None:
    """Choose the days and refresh; with `shown`, wait until the calls tab's caption names them.

    The board first shows the last seven days, which hold the same known calls: a figure read before
    the refreshed table arrives may be the old table's (it was, once: 21 calls where 4 were asked)."""
    driver.execute_script(
        "document.getElementById('from').value = arguments[0]; document.getElementById('to').value = arguments[1];",
        first.isoformat(),
        last.isoformat(),
    )
    driver.find_element(By.ID, "btn-refresh").click()
    if shown:
        days = (f"{first} 至 {last}", f"{first} to {last}")
        _wait(driver, lambda d: _text(d, "#calls-caption").startswith(days))


def _choose(driver: WebDriver, select_id: str, value: str) -> None:
    driver.execute_script(
        "const s = document.getElementById(arguments[0]); s.value = arguments[1];s.dispatchEvent(new Event('change'));",
        select_id,
        value,
    )


def _text(driver: WebDriver, css: str) -> str:
    """The text of the first match, read in one step (a table redrawn meanwhile is no stale element)."""
    return str(
        driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css)
    )


def _cell(driver: WebDriver, table: str, row: str, key: str) -> str:
    return _text(driver, f"#{table} {row} td[data-key='{key}']")


def _downloaded(folder: Path, suffix: str, timeout: float = 30, exclude: str = "") -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix) and p.name != exclude]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {[p.name for p in folder.iterdir()]}")


def _page_problem(driver: WebDriver) -> str:
    """What the page says is wrong, for a failing wait's message."""
    return " | ".join(
        e.text for e in driver.find_elements(By.CSS_SELECTOR, ".error, #banner") if e.is_displayed() and e.text
    )


def test_the_calls_tab_shows_the_known_figures_with_their_formulas_and_switches_to_english(
    site: Site, browser: WebDriver
) -> None:
    _log_in(browser, site, "dash-sup")
    _wait(browser, lambda d: d.find_element(By.ID, "board").is_displayed())
    _show_days(browser, site.calls_day, site.calls_day)
    total = "tfoot tr"
    try:
        _wait(browser, lambda d: _cell(d, "calls-table", total, "offered") == "4")
    except Exception:
        raise AssertionError(f"offered is not 4; the page says: {_page_problem(browser)}") from None
    assert _cell(browser, "calls-table", total, "answered") == "2"
    assert _cell(browser, "calls-table", total, "abandoned") == "2"
    assert _cell(browser, "calls-table", total, "calls") == "4"
    assert _cell(browser, "calls-table", total, "asa") == "20"  # (10 + 30) / 2
    assert _cell(browser, "calls-table", total, "aht") == "180"  # (100 + 20 + 200 + 40) / 2
    assert _cell(browser, "calls-table", total, "service_level") == "50"  # 1 of 2 within 20 s
    # the unit in the header, the formula in its tooltip and in the legend under the table
    header = browser.find_element(By.CSS_SELECTOR, "#calls-table th[data-key='asa']")
    assert header.text == "平均应答速度 (秒)"
    assert "接通进线的等待时长之和 ÷ 接通数" in str(header.get_attribute("title"))
    legend = browser.find_element(By.CSS_SELECTOR, "#calls-table .legend").text
    assert "放弃 ÷ 进线 × 100%" in legend and "T秒内接通 ÷ 接通 × 100%" in legend
    cell = browser.find_element(By.CSS_SELECTOR, "#calls-table tfoot td[data-key='abandon_rate']")
    assert cell.text == "50" and "放弃 ÷ 进线" in str(cell.get_attribute("title"))

    _choose(browser, "calls-by", "hour")  # 09:00 holds all four
    _wait(browser, lambda d: _cell(d, "calls-table", "tbody tr[data-row='9']", "offered") == "4")
    assert _cell(browser, "calls-table", "tbody tr[data-row='9']", "answered") == "2"
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#calls-chart canvas"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "dashboard-calls.png"))

    threshold = browser.find_element(By.ID, "calls-threshold")  # T = 40 s: both answered within it
    threshold.clear()
    threshold.send_keys("40")
    browser.execute_script("document.getElementById('calls-threshold').dispatchEvent(new Event('change'))")
    _wait(browser, lambda d: _cell(d, "calls-table", total, "service_level") == "100")
    assert "T = 40" in browser.find_element(By.ID, "calls-caption").text

    browser.find_element(By.ID, "btn-lang").click()
    _wait(browser, lambda d: _text(d, "#calls-table th[data-key='offered']") == "Offered")
    assert browser.find_element(By.CSS_SELECTOR, "[data-tab='calls']").text == "Calls"
    assert browser.find_element(By.CSS_SELECTOR, "[data-tab='opinion']").text == "Public opinion"
    assert _text(browser, "#calls-table th[data-key='asa']") == "ASA (s)"
    assert "abandoned / offered x 100%" in browser.find_element(By.CSS_SELECTOR, "#calls-table .legend").text
    assert _cell(browser, "calls-table", total, "offered") == "4"
    browser.find_element(By.ID, "btn-lang").click()  # and back
    _wait(browser, lambda d: _text(d, "#calls-table th[data-key='offered']") == "进线")


def test_the_cases_and_opinion_tabs_show_on_time_rates_and_the_dead_pig_alert_with_its_channels(
    site: Site, browser: WebDriver
) -> None:
    _log_in(browser, site, "dash-sup")
    _wait(browser, lambda d: d.find_element(By.ID, "board").is_displayed())
    _show_days(browser, site.today, site.today)
    browser.find_element(By.CSS_SELECTOR, "[data-tab='cases']").click()
    env = "tbody tr[data-row='env']"
    _wait(browser, lambda d: _cell(d, "cases-table", env, "appeals"))
    # what the server counts (other tests of the session may add cases today), at least ours
    server = {r["key"]: r for r in CaseMetrics(site.platform.sessions).table(site.today, site.today, "unit")["rows"]}
    assert int(_cell(browser, "cases-table", env, "appeals")) == server["env"]["appeals"] >= 6
    assert _text(browser, f"#cases-table {env} td.label") == "县环保局"
    assert _cell(browser, "cases-table", env, "register_on_time") == "100"  # registered at once
    assert _cell(browser, "cases-table", "tbody tr[data-row='urban']", "appeals") == str(server["urban"]["appeals"])
    assert "登记按时率 (%)" in _text(browser, "#cases-table th[data-key='register_on_time']")
    assert "派单时限（登记后1小时）" in browser.find_element(By.CSS_SELECTOR, "#cases-table .legend").text
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#cases-chart canvas"))
    _choose(browser, "cases-by", "township")
    _wait(browser, lambda d: _text(d, "#cases-table tbody tr[data-row='wujin'] td.label") == "五津镇")

    browser.find_element(By.CSS_SELECTOR, "[data-tab='opinion']").click()
    alert = "#surges .surge[data-kind='category'][data-key='environment.dead-animals']"
    try:
        _wait(browser, lambda d: _text(d, alert))
    except Exception:
        raise AssertionError(f"no dead-pig alert; the page says: {_page_problem(browser)}") from None
    shown = browser.find_element(By.CSS_SELECTOR, alert).text
    assert "动物尸体与病死畜禽" in shown
    for name in CHANNELS.values():
        assert name in shown, (name, shown)
    assert all(number in shown for number in site.dead_pigs)
    # each case opens its page (other tests of the session may add dead animals of their own today)
    links = {a.get_attribute("pathname") for a in browser.find_elements(By.CSS_SELECTOR, alert + " .surge-cases a")}
    assert {f"/cases/{n}" for n in site.dead_pigs} <= links and all(link.startswith("/cases/") for link in links)
    assert "预警规则" in browser.find_element(By.ID, "surges-rule").text
    topic = "tbody tr[data-row='environment.dead-animals@wujin']"  # category @ township
    assert _cell(browser, "topics-table", topic, "category") == "动物尸体与病死畜禽"
    assert _cell(browser, "topics-table", topic, "township") == "五津镇"
    assert int(_cell(browser, "topics-table", topic, "this_week")) >= 6
    assert "本周 − 上周" in browser.find_element(By.CSS_SELECTOR, "#topics-table .legend").text
    assert _text(browser, "#townships-table tbody tr[data-row='wujin'] td.label") == "五津镇"
    assert _text(browser, "#townships-table tbody tr[data-row='huayuan'] td.label") == "花源镇"
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#townships-chart canvas"))
    browser.set_window_size(1400, 2400)  # the alerts, both tables and the chart in one picture
    charts = "return echarts.getInstanceByDom(document.getElementById('townships-chart')).resize()"
    browser.execute_script(charts)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "dashboard-opinion.png"))


def _href(driver: WebDriver, css: str) -> tuple[str, dict[str, str]]:
    """Where the first link in `css` goes: its path and its query (read at once, as `_text`)."""
    found = driver.execute_script(
        "const a = document.querySelector(arguments[0]); return a ? [a.pathname, a.search] : null", css + " a"
    )
    assert found, f"no link in {css}"
    return found[0], dict(parse_qsl(found[1][1:]))


def _follow(driver: WebDriver, css: str, *, key: str = "") -> str:
    """Click the link (with `key` held: a new tab of its own, as a middle click): the tab it opens
    becomes the driver's. The board's tab is returned."""
    board, before = driver.current_window_handle, set(driver.window_handles)
    target = driver.find_element(By.CSS_SELECTOR, css)
    if key:
        ActionChains(driver).key_down(key).click(target).key_up(key).perform()
    else:
        target.click()
    driver.switch_to.window(_wait(driver, lambda d: set(d.window_handles) - before).pop())
    return board


def _back(driver: WebDriver, board: str) -> None:
    driver.close()
    driver.switch_to.window(board)


def _listed(driver: WebDriver) -> list[str]:
    """The case numbers the case list shows, once it has answered."""
    _wait(driver, lambda d: _text(d, "#count"))
    numbers: list[str] = driver.execute_script(
        "return [...document.querySelectorAll('#rows tr')].map(r => r.dataset.number)"
    )
    return numbers


def test_every_count_of_cases_opens_their_list_and_every_case_number_its_page(site: Site, browser: WebDriver) -> None:
    book = site.platform.book
    nobody = book.open(NewAppeal(channel="web", description="楼道里堆满杂物，没人管"), SUPERVISOR).number
    with site.platform.sessions() as s:  # its one-hour register clock has run out: overdue, with no unit yet
        past = datetime.now(UTC) - timedelta(minutes=5)
        s.execute(update(Case).where(Case.number == nobody).values(register_due=past))
        s.commit()
    _log_in(browser, site, "dash-sup")
    _wait(browser, lambda d: d.find_element(By.ID, "board").is_displayed())
    _show_days(browser, site.today, site.today)
    browser.find_element(By.CSS_SELECTOR, "[data-tab='cases']").click()
    env, none = "#cases-table tbody tr[data-row='env']", "#cases-table tbody tr[data-row='']"
    _wait(browser, lambda d: _cell(d, "cases-table", "tbody tr[data-row='']", "overdue") not in ("", "0"))
    assert _text(browser, f"{none} td.label") == "无牵头单位"  # the API's "—" row, in words
    today = {"inbox": "all", "from": str(site.today), "to": str(site.today), "order": "received"}
    assert _href(browser, f"{env} td.label") == ("/cases", {**today, "lead": "env"})
    assert _href(browser, f"{env} td[data-key='appeals']") == ("/cases", {**today, "lead": "env"})
    assert _href(browser, f"{env} td[data-key='backlog']") == (
        "/cases",
        {"inbox": "all", "lead": "env", "status": "open"},
    )
    assert _href(browser, f"{none} td[data-key='overdue']") == (
        "/cases",
        {"inbox": "all", "lead": "none", "overdue": "1"},
    )
    assert _href(browser, "#cases-table tfoot td[data-key='appeals']") == ("/cases", today)
    assert not browser.find_elements(By.CSS_SELECTOR, f"{env} td[data-key='register_on_time'] a")  # a rate: no list
    screenshot(browser, "dashboard-case-links")

    # the "no unit" row's overdue figure opens exactly those cases, the filters shown in words
    overdue = int(_cell(browser, "cases-table", "tbody tr[data-row='']", "overdue"))
    board = _follow(browser, f"{none} td[data-key='overdue'] a")
    try:
        _wait(browser, lambda d: nobody in _listed(d))  # signed in already: the tab has the board's session
        assert len(_listed(browser)) == overdue
        assert _text(browser, "#f-lead option:checked") == "无牵头单位"
        assert browser.find_element(By.ID, "f-overdue").is_selected()
        screenshot(browser, "dashboard-case-links-list")
    finally:
        _back(browser, board)

    _choose(browser, "cases-by", "township")
    wujin = "#cases-table tbody tr[data-row='wujin']"
    _wait(browser, lambda d: _text(d, f"{wujin} td.label") == "五津镇")
    assert _href(browser, f"{wujin} td[data-key='appeals']") == ("/cases", {**today, "township": "wujin"})

    browser.find_element(By.CSS_SELECTOR, "[data-tab='opinion']").click()
    alert = "#surges .surge[data-kind='category'][data-key='environment.dead-animals']"
    _wait(browser, lambda d: _text(d, alert))
    path, asked = _href(browser, f"{alert} strong")
    assert path == "/cases" and asked["category"] == "environment.dead-animals" and asked["to"] == str(site.today)
    week = {"inbox": "all", "from": str(site.today - timedelta(days=6)), "to": str(site.today), "order": "received"}
    topic = "#topics-table tbody tr[data-row='environment.dead-animals@wujin']"
    pigs = {**week, "category": "environment.dead-animals", "township": "wujin"}
    assert _href(browser, f"{topic} td[data-key='this_week']") == ("/cases", pigs)
    assert _href(browser, "#townships-table tbody tr[data-row='wujin'] td.label") == (
        "/cases",
        {**week, "township": "wujin"},
    )

    # a case number opens its case
    number = site.dead_pigs[0]
    board = _follow(browser, f"{alert} .surge-cases a[href='/cases/{number}']")
    try:
        _wait(browser, lambda d: _text(d, "#number") == number)
        assert browser.current_url == f"{site.url}/cases/{number}"
    finally:
        _back(browser, board)

    # a plain link: opened as a middle click opens it (a tab of its own, without this tab's
    # session), it asks to sign in and then shows the same list
    board = _follow(browser, f"{topic} td[data-key='this_week'] a", key=Keys.CONTROL)
    try:
        form = _wait(browser, lambda d: d.find_element(By.ID, "login-form"))
        _wait(browser, lambda d: form.is_displayed())
        form.find_element(By.NAME, "username").send_keys("dash-sup")
        form.find_element(By.NAME, "password").send_keys(PASSWORD)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _wait(browser, lambda d: set(site.dead_pigs) <= set(_listed(d)))
        assert _text(browser, "#f-township option:checked") == "五津镇"
    finally:
        _back(browser, board)


def test_the_exports_download_xlsx_and_csv_with_the_servers_file_names(
    site: Site, browser: WebDriver, downloads: Path
) -> None:
    _log_in(browser, site, "dash-sup")
    _wait(browser, lambda d: d.find_element(By.ID, "board").is_displayed())
    _show_days(browser, site.calls_day, site.calls_day)
    _wait(browser, lambda d: _cell(d, "calls-table", "tfoot tr", "offered") == "4")
    browser.find_element(By.CSS_SELECTOR, "button.export[data-table='calls'][data-format='xlsx']").click()
    name = f"calls-total-{site.calls_day}-{site.calls_day}.xlsx"
    _wait(browser, lambda d: d.find_element(By.ID, "download-status").get_attribute("data-file") == name)
    workbook = openpyxl.load_workbook(io.BytesIO(_downloaded(downloads, ".xlsx").read_bytes()))
    assert workbook.sheetnames == ["calls-total", "formulas"]
    labels = [c.value for c in workbook["calls-total"][2]]
    assert "进线" in labels and "平均应答速度 (s)" in labels

    browser.find_element(By.CSS_SELECTOR, "[data-tab='cases']").click()
    _wait(browser, lambda d: _text(d, "#cases-table tfoot td[data-key='appeals']"))
    browser.find_element(By.CSS_SELECTOR, "button.export[data-table='cases'][data-format='csv']").click()
    text = _downloaded(downloads, ".csv").read_bytes().decode("utf-8-sig")
    assert text.startswith("cases by unit") and "受理诉求" in text and "登记按时率" in text
    assert str(browser.find_element(By.ID, "download-status").get_attribute("data-file")).endswith(".csv")

    browser.find_element(By.CSS_SELECTOR, "[data-tab='opinion']").click()
    _wait(browser, lambda d: _text(d, "#townships-table tbody"))
    button = "button.export[data-table='opinion'][data-which='township'][data-format='xlsx']"
    browser.find_element(By.CSS_SELECTOR, button).click()
    towns = openpyxl.load_workbook(io.BytesIO(_downloaded(downloads, ".xlsx", exclude=name).read_bytes()))
    assert towns.sheetnames == ["opinion-township", "formulas"]
    assert "本周" in [c.value for c in towns["opinion-township"][2]]


def test_an_intake_agent_is_told_plainly_that_the_dashboard_is_not_for_them(site: Site, browser: WebDriver) -> None:
    _log_in(browser, site, "dash-agent")
    _wait(browser, lambda d: d.find_element(By.ID, "denied").is_displayed())
    assert "无权查看管理看板" in browser.find_element(By.ID, "denied-text").text
    assert not browser.find_element(By.ID, "board").is_displayed()
    browser.find_element(By.ID, "btn-lang").click()
    _wait(browser, lambda d: "Not allowed" in d.find_element(By.ID, "denied-text").text)
    assert "intake agent" in browser.find_element(By.ID, "denied-text").text
    assert browser.find_element(By.ID, "who").text == "dash-agent (intake agent)"
    # and the API itself refuses, with its reason, if the page were bypassed
    answer = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/v1/metrics/calls', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('token')}})"
        ".then(r => r.json().then(j => done([r.status, j.detail])))"
    )
    assert answer[0] == 403 and "may not read reports" in answer[1]


def test_the_monthly_report_opens_in_a_new_tab_and_its_pdf_downloads(
    site: Site, browser: WebDriver, downloads: Path
) -> None:
    _log_in(browser, site, "dash-sup")
    _wait(browser, lambda d: d.find_element(By.ID, "board").is_displayed())
    browser.find_element(By.CSS_SELECTOR, "[data-tab='reports']").click()
    month = site.today.strftime("%Y-%m")
    browser.execute_script("document.getElementById('report-month').value = arguments[0]", month)
    page = browser.current_window_handle
    browser.find_element(By.ID, "monthly-html").click()
    _wait(browser, lambda d: len(d.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != page))
    try:
        _wait(browser, lambda d: "民生诉求会办月度报告" in d.find_element(By.TAG_NAME, "body").text, 30)
        assert browser.current_url.startswith("blob:")
        # the month's appeals open their list, on the platform's address (the report's <base>)
        first = site.today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        appeals = browser.find_element(By.XPATH, "//th[starts-with(., '受理群众诉求')]/following-sibling::td/a")
        assert appeals.get_attribute("href") == f"{site.url}/cases?inbox=all&from={first}&to={last}&order=received"
        units = browser.find_elements(By.XPATH, "//a[.='县环保局']")
        assert units and "lead=env" in str(units[0].get_attribute("href"))
        screenshot(browser, "dashboard-monthly-report")
        board = _follow(browser, "a[href*='order=received']")  # the report's tab stays
        try:
            _wait(browser, lambda d: _text(d, "#count"))  # signed in: the session came along
            assert browser.find_element(By.ID, "f-from").get_attribute("value") == str(first)
            assert browser.find_element(By.ID, "f-to").get_attribute("value") == str(last)
        finally:
            _back(browser, board)
    finally:
        browser.close()
        browser.switch_to.window(page)

    browser.find_element(By.ID, "monthly-pdf").click()
    pdf = _downloaded(downloads, ".pdf", timeout=90)
    assert pdf.name == f"monthly-{month}-01.pdf" and pdf.read_bytes().startswith(b"%PDF")


def test_the_leader_duty_report_opens_each_unsatisfied_appeal_at_its_case(site: Site, browser: WebDriver) -> None:
    book, env = site.platform.book, Actor("dash-env", Role.UNIT_HANDLER, "env")
    number = book.open(NewAppeal(channel="web", description="工地夜间施工，吵得睡不着"), SUPERVISOR).number
    book.register(number, SUPERVISOR, category="environment.noise")
    book.dispatch(number, SUPERVISOR, lead="env")
    book.accept(number, env, section="inspection")
    book.reply(number, env, text="已责令停工。")
    book.record_satisfaction(number, SUPERVISOR, satisfied=False)  # this week: on next Monday's list
    monday = site.today + timedelta(days=7 - site.today.weekday())
    _log_in(browser, site, "dash-sup")
    _wait(browser, lambda d: d.find_element(By.ID, "board").is_displayed())
    browser.find_element(By.CSS_SELECTOR, "[data-tab='reports']").click()
    browser.execute_script("document.getElementById('report-monday').value = arguments[0]", str(monday))
    page = browser.current_window_handle
    browser.find_element(By.ID, "duty-html").click()
    _wait(browser, lambda d: len(d.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != page))
    try:
        link = _wait(browser, lambda d: d.find_element(By.XPATH, f"//a[.='{number}']"), 30)
        assert link.get_attribute("href") == f"{site.url}/cases/{number}"
        screenshot(browser, "dashboard-leader-duty-report")
        report = _follow(browser, f"a[href='/cases/{number}']")
        try:
            _wait(browser, lambda d: _text(d, "#number") == number)
            assert _text(browser, "#status") == "重新办理"
        finally:
            _back(browser, report)
    finally:
        browser.close()
        browser.switch_to.window(page)


def test_api_errors_are_shown_on_the_page_and_an_ended_session_returns_to_the_login_form(
    site: Site, browser: WebDriver
) -> None:
    _log_in(browser, site, "dash-sup")
    _wait(browser, lambda d: d.find_element(By.ID, "board").is_displayed())
    _show_days(browser, site.calls_day, site.calls_day - timedelta(days=1), shown=False)  # backwards
    _wait(browser, lambda d: "after it ends" in d.find_element(By.ID, "calls-error").text)
    assert browser.find_element(By.ID, "board").is_displayed()  # the page stays, with the reason

    browser.find_element(By.CSS_SELECTOR, "[data-tab='reports']").click()
    browser.execute_script("document.getElementById('report-monday').value = '2026-11-03'")  # a Tuesday
    browser.find_element(By.ID, "duty-pdf").click()
    _wait(browser, lambda d: "for a Monday" in d.find_element(By.ID, "reports-error").text)

    browser.execute_script("sessionStorage.setItem('token', 'revoked-or-expired')")
    browser.find_element(By.CSS_SELECTOR, "[data-tab='calls']").click()
    _wait(browser, lambda d: d.find_element(By.ID, "login").is_displayed())
    assert "重新登录" in browser.find_element(By.ID, "login-error").text
    assert not browser.find_element(By.ID, "board").is_displayed()

    # signing in again, then out: back at the form, with no reason shown and no token kept
    _log_in(browser, site, "dash-sup")
    _wait(browser, lambda d: d.find_element(By.ID, "board").is_displayed())
    browser.find_element(By.ID, "btn-signout").click()
    _wait(browser, lambda d: d.find_element(By.ID, "login").is_displayed())
    assert browser.find_element(By.ID, "login-error").text == ""
    assert browser.execute_script("return sessionStorage.getItem('token')") is None
