"""The clocks: breaches found once, at the right minute, escalated to the right people."""

from __future__ import annotations

from datetime import timedelta

from casebook.cases.clocks import scan_breaches
from casebook.cases.intake import NewAppeal
from casebook.cases.queries import CaseFilter, list_cases
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from tests.unit.conftest import AGENT, LEADER, SUPERVISOR, handler


def _mine(found: list, number: str) -> list[tuple[str, str]]:
    return [(b.clock, b.escalated_to) for b in found if b.number == number]


def test_each_one_hour_window_breaches_once_when_it_runs_out(book: CaseBook, clock: FixedClock) -> None:
    notices: list = []
    book.subscribe(notices.append)
    number = book.open(NewAppeal(channel="web", description="路灯不亮"), AGENT).number
    clock.advance(minutes=59)
    assert _mine(scan_breaches(book), number) == []
    clock.advance(minutes=2)
    assert _mine(scan_breaches(book), number) == [("register", "supervisor")]
    assert _mine(scan_breaches(book), number) == []  # recorded once
    assert any(n.kind == "case.breached" and n.number == number for n in notices)

    book.register(number, AGENT, category="urban.streetlights")  # late, but now the dispatch clock runs
    clock.advance(minutes=61)
    assert _mine(scan_breaches(book), number) == [("dispatch", "supervisor")]
    book.dispatch(number, AGENT, lead="urban", deadline_hours=4)
    clock.advance(minutes=61)
    assert _mine(scan_breaches(book), number) == [("accept", "unit+supervisor")]
    book.accept(number, handler("urban"), section="sanitation")
    clock.advance(hours=3)
    assert _mine(scan_breaches(book), number) == [("reply", "unit+supervisor")]

    with book.sessions() as s:
        overdue = list_cases(s, SUPERVISOR, CaseFilter(overdue=True, limit=500), clock.now())
        assert number in [c.number for c in overdue.items]
        assert next(c for c in overdue.items if c.number == number).overdue == ["reply"]


def test_a_leaders_deadline_breaching_goes_to_the_leader(book: CaseBook, clock: FixedClock) -> None:
    number = book.open(NewAppeal(channel="web", description="噪音扰民"), AGENT).number
    book.register(number, AGENT, category="environment.noise")
    book.dispatch(number, AGENT, lead="env")
    env = handler("env")
    book.accept(number, env, section="inspection")
    book.reply(number, env, text="已处理")
    book.record_satisfaction(number, AGENT, satisfied=False)
    book.schedule_interview(number, SUPERVISOR, at=clock.now())
    book.record_interview(number, env, satisfied=False)
    book.leader_decision(number, LEADER, decision="限期整改", deadline=clock.now() + timedelta(days=2))
    clock.advance(days=2, minutes=1)
    assert _mine(scan_breaches(book), number) == [("reply", "leader")]


def test_nothing_breaches_for_cases_that_are_done_in_time(book: CaseBook, clock: FixedClock) -> None:
    number = book.open(NewAppeal(channel="web", description="咨询办理居住证需要什么材料"), AGENT).number
    book.screen(number)  # consultation -> the center, within seconds
    book.accept(number, handler("center"), section="intake")
    book.reply(number, handler("center"), text="请携带身份证到政务中心办理。")
    clock.advance(days=30)
    assert _mine(scan_breaches(book), number) == []
