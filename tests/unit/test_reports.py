"""Reports with known figures: a month built step by step with a controlled clock, in a database
of its own, then the monthly and the Monday leader-duty reports as JSON, HTML and PDF."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.migrate import upgrade
from casebook.directory.seed import seed_directory
from casebook.reports.services import ReportService
from tests.conftest import PG_ADMIN_URL
from tests.unit.conftest import AGENT, LEADER, LINES, SUPERVISOR, handler

MONDAY = datetime(2027, 2, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing, Monday 1 February 2027


@pytest.fixture
def month(tmp_path: Path) -> Iterator[tuple[CaseBook, ReportService, FixedClock, AuthService]]:
    name = f"hotline_reports_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    try:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as s:
            seed_directory(s, LINES)
        clock = FixedClock(MONDAY)
        yield (
            CaseBook(sessions, clock=clock, recordings_dir=tmp_path / "rec"),
            ReportService(sessions, tmp_path / "reports", clock=clock),
            clock,
            AuthService(sessions, clock),
        )
        engine.dispose()
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _at(clock: FixedClock, day: int, hour: int, minute: int = 0) -> None:
    clock.set(MONDAY + timedelta(days=day, hours=hour - 9, minutes=minute))


def build_the_month(book: CaseBook, clock: FixedClock) -> dict[str, str]:
    env, water = handler("env"), handler("water")
    n: dict[str, str] = {}

    def open_(key: str, text: str, channel: str = "web") -> None:
        n[key] = book.open(
            NewAppeal(channel=channel, description=text, caller_phone=f"1380000{len(n):04d}"), AGENT
        ).number

    # A: every window on time, reply on time, satisfied
    _at(clock, 0, 9)
    open_("A", "花源工业园工厂偷排污水")
    _at(clock, 0, 9, 20)
    book.register(n["A"], AGENT, category="environment.water-pollution")
    _at(clock, 0, 9, 30)  # C: a duplicate of A
    open_("C", "花源工业园排污")
    book.merge(n["C"], n["A"], AGENT)
    _at(clock, 0, 9, 50)
    book.dispatch(n["A"], AGENT, lead="env", deadline_hours=24)
    _at(clock, 0, 10, 20)
    book.accept(n["A"], env, section="pollution")
    _at(clock, 1, 9)
    book.reply(n["A"], env, text="已查处")
    book.record_satisfaction(n["A"], AGENT, satisfied=True)
    # B: registered late, accepted late, replied late, unsatisfied; interview satisfied
    _at(clock, 0, 11)
    open_("B", "河道有垃圾漂浮物")
    _at(clock, 0, 12, 30)
    book.register(n["B"], AGENT, category="water.rivers")
    _at(clock, 0, 13)
    book.dispatch(n["B"], AGENT, lead="water", deadline_hours=24)
    _at(clock, 0, 15)
    book.accept(n["B"], water, section="rivers")
    _at(clock, 1, 14)
    book.reply(n["B"], water, text="已清理")
    book.record_satisfaction(n["B"], AGENT, satisfied=False)
    book.schedule_interview(n["B"], SUPERVISOR, at=MONDAY + timedelta(days=2))
    _at(clock, 2, 10)
    book.record_interview(n["B"], water, satisfied=True)
    # D: dispatched late; unsatisfied after the reply and after the interview: to the leader
    _at(clock, 0, 14)
    open_("D", "工地夜间噪音")
    _at(clock, 0, 14, 30)
    book.register(n["D"], AGENT, category="environment.noise")
    _at(clock, 0, 16, 40)
    book.dispatch(n["D"], AGENT, lead="env", deadline_hours=48)
    _at(clock, 0, 17)
    book.accept(n["D"], env, section="inspection")
    _at(clock, 1, 10)
    book.reply(n["D"], env, text="已督促整改")
    book.record_satisfaction(n["D"], AGENT, satisfied=False)
    book.schedule_interview(n["D"], SUPERVISOR, at=MONDAY + timedelta(days=3))
    _at(clock, 3, 15)
    book.record_interview(n["D"], env, satisfied=False, notes="仍有夜间施工")
    _at(clock, 8, 15)  # the next Monday afternoon, on duty
    book.leader_decision(
        n["D"], LEADER, decision="环保局牵头，住建局配合，一周内停止夜间施工", deadline=clock.now() + timedelta(days=7)
    )
    # E: handled jointly, one consolidated reply, satisfied
    _at(clock, 1, 9)
    open_("E", "南河排污口和死鱼")
    _at(clock, 1, 9, 10)
    book.register(n["E"], AGENT, category="environment.water-pollution")
    _at(clock, 1, 9, 40)
    book.dispatch(n["E"], AGENT, lead="env", deadline_hours=72)
    _at(clock, 1, 10)
    book.accept(n["E"], env, section="pollution")
    _at(clock, 2, 9)
    book.joint_session(
        n["E"],
        SUPERVISOR,
        participants=["env", "water", "livestock"],
        lead="water",
        decision="水务局牵头",
        reply="排污口已封堵",
    )
    book.record_satisfaction(n["E"], AGENT, satisfied=True)
    # F registered on time, G and H still waiting
    _at(clock, 4, 9)
    open_("F", "路灯不亮")
    _at(clock, 4, 9, 30)
    book.register(n["F"], AGENT, category="urban.streetlights")
    open_("G", "咨询社保")
    open_("H", "其他问题")
    return n


def test_the_monthly_figures_are_exactly_those_of_the_month(month: tuple) -> None:
    book, reports, clock, _auth = month
    build_the_month(book, clock)
    figures = reports.monthly("2027-02", pdf=False).figures
    assert (figures["appeals"], figures["incidents"], figures["duplicates_merged"]) == (8, 7, 1)
    assert figures["on_time"]["register"] == {"done": 5, "on_time": 4, "rate": 80.0}
    assert figures["on_time"]["dispatch"] == {"done": 4, "on_time": 3, "rate": 75.0}
    assert figures["on_time"]["accept"] == {"done": 4, "on_time": 3, "rate": 75.0}
    # D's first reply does not count: the leader's decision reopened its handling, with a new deadline
    assert figures["on_time"]["reply"] == {"done": 3, "on_time": 2, "rate": 66.7}
    assert (figures["verdicts"], figures["satisfied"], figures["satisfaction_rate"]) == (4, 2, 50.0)
    assert (figures["interviews"], figures["interview_batches"], figures["interview_satisfaction_rate"]) == (2, 2, 50.0)
    assert figures["joint_sessions"] == 1
    assert figures["by_channel"] == {"web": 8}
    assert figures["by_unit"] == {"县环保局": 2, "县水务局": 2}
    assert reports.monthly("2027-01", pdf=False).figures["appeals"] == 0


class _Links(HTMLParser):
    """The links of a page: (their text, their path, their query)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, dict[str, str]]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            link = urlsplit(self._href)
            self.found.append((self._text.strip(), link.path, dict(parse_qsl(link.query))))
            self._href = None


def _links(html: str) -> list[tuple[str, str, dict[str, str]]]:
    parser = _Links()
    parser.feed(html)
    return parser.found


def test_the_reports_link_each_case_to_its_page_and_each_count_of_cases_to_their_list(month: tuple) -> None:
    book, reports, clock, _auth = month
    n = build_the_month(book, clock)
    links = _links(reports.monthly("2027-02", pdf=False).html)
    february = {"inbox": "all", "from": "2027-02-01", "to": "2027-02-28", "order": "received"}
    assert ("8", "/cases", february) in links  # the appeals of the month
    assert ("1", "/cases", {**february, "status": "merged"}) in links  # the duplicates merged
    assert ("网上诉求", "/cases", {**february, "channel": "web"}) in links
    assert ("8", "/cases", {**february, "channel": "web"}) in links
    assert ("县环保局", "/cases", {**february, "lead": "env"}) in links
    assert ("环境保护", "/cases", {**february, "category": "environment"}) in links
    assert ("未分类 not screened", "/cases", {**february, "category": "none"}) in links
    duty = _links(reports.leader_duty(date(2027, 2, 8), pdf=False).html)
    assert sorted(duty, key=lambda link: link[0]) == [(n[k], f"/cases/{n[k]}", {}) for k in sorted("BD", key=n.get)]


def test_the_monday_leader_duty_report_lists_the_weeks_unsatisfied_appeals(month: tuple) -> None:
    book, reports, clock, _auth = month
    n = build_the_month(book, clock)
    made = reports.leader_duty(date(2027, 2, 8))
    items = {i["number"]: i for i in made.figures["items"]}
    assert set(items) == {n["B"], n["D"]}
    assert items[n["D"]]["stage"] == "interview" and items[n["D"]]["decision"].startswith("环保局牵头")
    assert items[n["B"]]["stage"] == "reply" and items[n["B"]]["status"] == "closed"
    assert made.figures["by_unit"] == {"县环保局": 1, "县水务局": 1}
    assert made.figures["by_category"] == {"环境保护": 1, "水务": 1}
    assert made.pdf_path is not None
    text = subprocess.run(["pdftotext", made.pdf_path, "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())  # table cells wrap
    assert "坐班协调" in flat and n["D"] in flat and "一周内停止夜间施工" in flat and "2027-02-1615:00" in flat


def test_reports_over_the_api_as_html_pdf_and_json(month: tuple, tmp_path: Path) -> None:
    book, reports, clock, auth = month
    build_the_month(book, clock)
    auth.create_user("leader-xia", Role.LEADER, password="a-long-password")
    auth.create_user("agent-li", Role.INTAKE_AGENT, password="a-long-password")
    leader = {"Authorization": f"Bearer {auth.login('leader-xia', 'a-long-password')}"}
    agent = {"Authorization": f"Bearer {auth.login('agent-li', 'a-long-password')}"}
    with TestClient(create_app(Services(book, auth, reports))) as api:
        html = api.get("/api/v1/reports/monthly/2027-02", headers=leader)
        assert html.status_code == 200 and "受理群众诉求" in html.text and "按时率" in html.text
        pdf = api.get("/api/v1/reports/monthly/2027-02", params={"format": "pdf"}, headers=leader)
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        (tmp_path / "m.pdf").write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", str(tmp_path / "m.pdf"), "-"], capture_output=True, text=True).stdout
        assert "80.0%" in text and "50.0%" in text
        assert api.get("/api/v1/reports/leader-duty/2027-02-08", params={"format": "json"}, headers=leader).json()[
            "items"
        ]
        assert api.get("/api/v1/reports/monthly/2027-02", headers=agent).status_code == 403
        assert api.get("/api/v1/reports/leader-duty/2027-02-09", headers=leader).status_code == 422
        assert api.get("/api/v1/reports/monthly/2027-13", headers=leader).status_code == 422


def test_scheduled_reports_are_made_when_due_and_once(month: tuple) -> None:
    _book, reports, clock, _auth = month
    clock.set(datetime(2027, 3, 1, 0, 30, tzinfo=UTC))  # Monday 1 March, 08:30 in Beijing
    assert reports.due() == [("leader-duty", "2027-03-01"), ("monthly", "2027-02")]
    assert len(reports.make_due()) == 2
    assert reports.due() == []


def test_periods_far_in_the_past_or_future_are_refused(month: tuple) -> None:
    from casebook.cases.errors import InvalidInput

    _book, reports, _clock, _auth = month
    for call in (
        lambda: reports.leader_duty(date(1, 1, 1)),
        lambda: reports.monthly("0001-01"),
        lambda: reports.monthly("9999-12"),
    ):
        with pytest.raises(InvalidInput):
            call()
