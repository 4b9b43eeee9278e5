"""Embedded mode: the same migrations and services on SQLite (what `make up` runs by default)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from casebook.cases.intake import NewAppeal
from casebook.cases.queries import CaseFilter, list_cases
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.migrate import downgrade, upgrade
from casebook.db.models import Case
from casebook.directory.seed import seed_directory
from tests.unit.conftest import AGENT, LINES, SUPERVISOR, handler


def test_the_casebook_works_on_sqlite_from_migration_to_reply(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        seed_directory(s, LINES)
    clock = FixedClock(datetime(2027, 3, 1, 1, 0, tzinfo=UTC))
    book = CaseBook(sessions, clock=clock, recordings_dir=tmp_path / "rec")
    case, screening = book.open_and_screen(
        NewAppeal(
            channel="line-12345",
            description="花源工业园工厂偷排污水，河水发黑",
            caller_phone="13800000051",
            call_id="sqlite-call-1",
        ),
        AGENT,
    )
    assert screening.dispatched and case.number == "2703010001"
    again = book.open(NewAppeal(channel="line-12345", call_id="sqlite-call-1"), AGENT)
    assert again.number == case.number
    env = handler("env")
    book.accept(case.number, env, section="pollution")
    book.reply(case.number, env, text="已查处")
    with sessions() as s:
        stored = s.scalar(select(Case).where(Case.number == case.number))
        assert stored is not None and stored.received_at == clock.now()  # read back as UTC, not local time
        page = list_cases(s, SUPERVISOR, CaseFilter(caller_number="13800000051"), clock.now())
        by_clock = list_cases(s, SUPERVISOR, CaseFilter(text=case.number, order="due", limit=1), clock.now())
    assert [c.status for c in page.items] == ["replied"]
    assert [c.number for c in by_clock.items] == [case.number]  # the workspace's order and search
    engine.dispose()
    downgrade(url, "0001")
    upgrade(url)


def test_the_managers_figures_work_on_sqlite(tmp_path: Path) -> None:
    from datetime import timedelta

    from casebook.calllog.services import CallEventIn, CallLog
    from casebook.metrics.calls import CALL_GROUPS, CallMetrics
    from casebook.metrics.cases import CASE_GROUPS, CaseMetrics
    from casebook.metrics.opinion import Opinion

    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        seed_directory(s, LINES)
    at = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    CaseBook(sessions, clock=FixedClock(at), recordings_dir=tmp_path / "rec").open(
        NewAppeal(channel="web", description="路灯不亮", caller_phone="13800000052"), AGENT
    )
    CallLog(sessions).record(
        [
            CallEventIn("sq-1", at, "call.started", {"line": "12345"}),
            CallEventIn("sq-1", at + timedelta(seconds=5), "queue.joined", {"queue": "intake"}),
            CallEventIn("sq-1", at + timedelta(seconds=9), "queue.answered", {"member": "a", "wait_s": 4}),
            CallEventIn("sq-1", at + timedelta(seconds=69), "queue.completed", {"member": "a", "talk_s": 60}),
        ]
    )
    day = at.date()
    for by in CALL_GROUPS:
        assert CallMetrics(sessions).table(day, day, by)["kind"] == "calls"  # type: ignore[arg-type]
    assert CallMetrics(sessions).table(day, day, "queue")["total"]["asa"] == 4.0
    for by in CASE_GROUPS:
        assert CaseMetrics(sessions).table(day, day, by, now=at)["total"]["appeals"] == 1  # type: ignore[arg-type]
    assert Opinion(sessions).week(day)["this_week"] == 1
    assert Opinion(sessions).surges(at + timedelta(hours=1)) == []
    engine.dispose()
