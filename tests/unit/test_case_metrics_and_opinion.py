"""Case metrics, public opinion and the metrics API with known answers: the month of
test_reports.py (8 appeals, one duplicate, windows late on purpose) and a dead-pig morning
reported through six channels."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import openpyxl
from fastapi.testclient import TestClient

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.policy import Role
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.metrics.cases import CaseMetrics
from casebook.metrics.opinion import Opinion, SurgeRule
from tests.unit.conftest import AGENT
from tests.unit.test_reports import MONDAY, build_the_month, month  # noqa: F401  (the fixture)

FEB = (date(2027, 2, 1), date(2027, 2, 28))


def test_case_metrics_of_the_month_match_the_monthly_report(month: tuple) -> None:  # noqa: F811
    book, reports, clock, _auth = month
    build_the_month(book, clock)
    table = CaseMetrics(book.sessions).table(*FEB, now=MONDAY + timedelta(days=9))
    total = table["total"]
    report = reports.monthly("2027-02", pdf=False).figures
    assert total["appeals"] == report["appeals"] == 8
    assert total["duplicates_merged"] == 1
    assert total["register_on_time"] == 80.0 and total["register_done"] == 5
    assert total["dispatch_on_time"] == 75.0
    assert total["accept_on_time"] == 75.0
    assert total["reply_on_time"] == 66.7
    assert (total["verdicts"], total["satisfaction_rate"]) == (4, 50.0)
    assert total["interviews"] == 2 and total["joint_sessions"] == 1
    # open now: D (accepted again after the leader), F (registered), G and H (received)
    assert total["backlog"] == 4
    # F waits for dispatch, G and H for registration, all past their hour; D's new deadline is ahead
    assert total["overdue"] == 3


def test_case_metrics_by_unit_channel_and_category_add_up_to_the_total(month: tuple) -> None:  # noqa: F811
    book, _reports, clock, _auth = month
    build_the_month(book, clock)
    metrics = CaseMetrics(book.sessions)
    by_unit = {row["key"]: row for row in metrics.table(*FEB, "unit", now=clock.now())["rows"]}
    assert by_unit["env"]["name"] == "县环保局"
    assert by_unit["env"]["accept_on_time"] == 100.0  # A and D accepted within the hour
    assert by_unit["water"]["accept_on_time"] == 50.0  # B late, E on time
    assert by_unit["water"]["joint_sessions"] == 1
    by_channel = metrics.table(*FEB, "channel", now=clock.now())
    assert [(r["key"], r["appeals"]) for r in by_channel["rows"]] == [("web", 8)]
    by_category = metrics.table(*FEB, "category", lang="en", now=clock.now())
    assert sum(r["appeals"] for r in by_category["rows"]) == 8
    assert by_category["total"]["name"] == "Total"
    empty = metrics.table(date(2027, 1, 1), date(2027, 1, 31), "unit", now=clock.now())
    assert empty["total"]["appeals"] == 0 and empty["total"]["register_on_time"] is None


def _dead_pigs(book: CaseBook, at: datetime) -> list[str]:
    channels = ["phone", "mailbox-mayor", "web", "weibo", "wechat", "radio"]
    numbers = []
    for i, channel in enumerate(channels):
        book.clock.set(at + timedelta(minutes=10 * i))  # type: ignore[attr-defined]
        case = book.open(
            NewAppeal(channel=channel, description="南河里漂着很多死猪，花源镇河段", caller_phone=f"1390000{i:04d}"),
            AGENT,
        )
        book.register(case.number, AGENT, category="environment.dead-animals", place="south-river")
        numbers.append(case.number)
    return numbers


def test_six_channels_reporting_dead_pigs_in_one_morning_raise_one_alert(book: CaseBook) -> None:
    start = book.clock.now()
    numbers = _dead_pigs(book, start)
    now = start + timedelta(hours=2)
    surges = Opinion(book.sessions).surges(now, SurgeRule(window_h=24, min_count=5, factor=3))
    category = next(s for s in surges if s["kind"] == "category" and s["key"] == "environment.dead-animals")
    assert category["count"] == 6 and category["channel_count"] == 6
    assert set(category["cases"]) == set(numbers)
    assert surges[0]["channel_count"] == 6  # alerts across many channels come first
    quiet = Opinion(book.sessions).surges(now + timedelta(days=3), SurgeRule(window_h=24, min_count=5))
    assert not [s for s in quiet if s["key"] == "environment.dead-animals"]


def test_the_week_hot_topics_compare_with_the_week_before(book: CaseBook) -> None:
    start = book.clock.now()
    _dead_pigs(book, start)
    book.clock.set(start - timedelta(days=8))  # type: ignore[attr-defined]
    book.open(NewAppeal(channel="phone", description="死猪", caller_phone="13900009999"), AGENT)
    last_day = start.astimezone(book.tz).date()
    week = Opinion(book.sessions).week(last_day)
    assert week["this_week"] == 6 and week["last_week"] == 1
    top = week["topics"][0]
    assert top["category"] == "environment.dead-animals" and top["this_week"] == 6
    assert week["townships"][0]["this_week"] == 6 and week["townships"][0]["top_category"]


def test_metrics_over_the_api_as_json_csv_and_xlsx_for_managers_only(book: CaseBook, auth, reports) -> None:  # type: ignore[no-untyped-def]
    auth.create_user(f"sup-{id(book)}", Role.SUPERVISOR, password="a-long-password")
    auth.create_user(f"agt-{id(book)}", Role.INTAKE_AGENT, password="a-long-password")
    sup = {"Authorization": f"Bearer {auth.login(f'sup-{id(book)}', 'a-long-password')}"}
    agt = {"Authorization": f"Bearer {auth.login(f'agt-{id(book)}', 'a-long-password')}"}
    day = book.clock.now().astimezone(book.tz).date().isoformat()
    with TestClient(create_app(Services(book, auth, reports)), raise_server_exceptions=False) as api:
        ok = api.get("/api/v1/metrics/calls", params={"from": day, "to": day, "by": "queue"}, headers=sup)
        assert ok.status_code == 200 and ok.json()["columns"][0]["key"] == "offered"
        got = api.get(
            "/api/v1/metrics/cases", params={"from": day, "to": day, "by": "unit", "format": "csv"}, headers=sup
        )
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
        assert "受理诉求" in rows[1] and any("按时" in cell for cell in rows[1])
        assert rows[-1][0] == "total"
        xlsx = api.get(
            "/api/v1/metrics/calls", params={"from": day, "to": day, "format": "xlsx", "lang": "en"}, headers=sup
        )
        workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        assert workbook.sheetnames == ["calls-total", "formulas"]
        assert "ASA (s)" in [c.value for c in workbook["calls-total"][2]]
        assert api.get("/api/v1/metrics/opinion", params={"day": day}, headers=sup).json()["kind"] == "opinion"
        towns = api.get(
            "/api/v1/metrics/opinion", params={"day": day, "table": "township", "format": "csv"}, headers=sup
        )
        assert towns.status_code == 200 and "本周" in towns.content.decode("utf-8-sig").splitlines()[1]
        assert api.get("/api/v1/metrics/surges", headers=sup).status_code == 200
        # off-nominal: who may not, and questions that make no sense
        assert api.get("/api/v1/metrics/calls", headers=agt).status_code == 403
        assert api.get("/api/v1/metrics/calls").status_code == 401
        backwards = api.get("/api/v1/metrics/calls", params={"from": "2027-03-02", "to": "2027-03-01"}, headers=sup)
        assert backwards.status_code == 422 and "after it ends" in backwards.json()["detail"]
        too_long = api.get("/api/v1/metrics/cases", params={"from": "2020-01-01", "to": "2027-03-01"}, headers=sup)
        assert too_long.status_code == 422 and "at most 400 days" in too_long.json()["detail"]
        for far in ({"from": "0001-01-01", "to": "0001-01-02"}, {"from": "9999-12-31", "to": "9999-12-31"}):
            answer = api.get("/api/v1/metrics/calls", params=far, headers=sup)
            assert answer.status_code == 422 and "from 2000-01-01 to 2099-12-31" in answer.json()["detail"]
        assert api.get("/api/v1/metrics/opinion", params={"day": "9999-12-31"}, headers=sup).status_code == 422
        clock = api.get("/api/v1/metrics/clock", headers=sup).json()
        assert clock["timezone"] == "Asia/Shanghai" and len(clock["today"]) == 10
        for params in ({"by": "mood"}, {"threshold_s": "0"}, {"from": "yesterday"}, {"format": "pdf"}):
            assert api.get("/api/v1/metrics/calls", params=params, headers=sup).status_code == 422, params
