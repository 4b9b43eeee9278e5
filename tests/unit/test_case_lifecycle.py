"""Every lifecycle transition, valid and invalid, with its clocks and its event (real PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casebook.cases.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from casebook.cases.intake import NewAppeal
from casebook.cases.lifecycle import TRANSITIONS, Action, Status, next_status
from casebook.cases.queries import detail
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.models import SatisfactionVerdict
from tests.unit.conftest import AGENT, LEADER, SUPERVISOR, handler

ENV = handler("env")


def _open(book: CaseBook, text: str = "小区门口垃圾堆了一个星期没人清运", **extra: object) -> str:
    appeal = NewAppeal(channel="web", description=text, caller_phone="13800000001", **extra)  # type: ignore[arg-type]
    return book.open(appeal, AGENT).number


def _dispatched(book: CaseBook, clock: FixedClock) -> str:
    number = _open(book)
    book.register(number, AGENT, category="environment.noise", place="township-wujin")
    book.dispatch(number, AGENT, lead="env", co_units=["wujin"], deadline_hours=48)
    return number


def _kinds(book: CaseBook, number: str) -> list[str]:
    with book.sessions() as s:
        return [e.kind for e in detail(s, number, SUPERVISOR, book.clock.now()).events]


def test_an_appeal_runs_the_three_one_hour_windows_and_closes_when_the_citizen_is_satisfied(
    book: CaseBook, clock: FixedClock
) -> None:
    received = clock.now()
    number = _open(book)
    assert number.isdigit()
    clock.advance(minutes=20)
    case = book.register(number, AGENT, category="urban.sanitation", place="township-huayuan", urgency="normal")
    assert case.register_due == received + timedelta(hours=1)
    assert case.registered_at == received + timedelta(minutes=20)
    assert case.dispatch_due == case.registered_at + timedelta(hours=1)
    clock.advance(minutes=30)
    case = book.dispatch(number, AGENT)  # by the routing rules: urban -> the township leads
    assert (case.status, case.lead_unit_code) == ("dispatched", "huayuan")
    assert case.accept_due == clock.now() + timedelta(hours=1)
    assert case.reply_due == clock.now() + timedelta(hours=120)
    clock.advance(minutes=45)
    case = book.accept(number, handler("huayuan"), section="social")
    assert (case.status, case.lead_section_code, case.accepted_at) == ("accepted", "social", clock.now())
    clock.advance(hours=30)
    case = book.reply(number, handler("huayuan"), text="已安排环卫工人清运，并增加清运频次。")
    assert case.status == "replied" and case.replied_at == clock.now()
    case = book.record_satisfaction(number, AGENT, satisfied=True, source="callback")
    assert (case.status, case.satisfaction, case.closed_at) == ("closed", "satisfied", clock.now())
    assert _kinds(book, number) == ["received", "register", "dispatch", "accept", "reply", "satisfied"]


def test_the_escalation_ladder_reply_unsatisfied_interview_leader_and_deadline(
    book: CaseBook, clock: FixedClock
) -> None:
    number = _dispatched(book, clock)
    book.accept(number, ENV, section="inspection")
    book.reply(number, ENV, text="经查，夜间施工已办理许可。")
    case = book.record_satisfaction(number, AGENT, satisfied=False, comment="还是很吵")
    assert (case.status, case.reopened_count) == ("reopened", 1)
    book.schedule_interview(number, SUPERVISOR, at=clock.now() + timedelta(days=2), location="五津镇群众约谈室")
    clock.advance(days=2)
    case = book.record_interview(number, ENV, satisfied=False, notes="群众要求停止夜间施工")
    assert case.status == "leader_review"
    deadline = clock.now() + timedelta(days=5)
    case = book.leader_decision(number, LEADER, decision="环保局牵头，五津镇配合，禁止夜间施工", deadline=deadline)
    assert (case.status, case.leader_due, case.reply_due, case.replied_at) == ("accepted", deadline, deadline, None)
    book.reply(number, ENV, text="已责令施工单位停止夜间施工。")
    case = book.record_satisfaction(number, AGENT, satisfied=True)
    assert case.status == "closed"
    with book.sessions() as s:
        stages = [
            (v.stage, v.verdict)
            for v in s.scalars(
                select(SatisfactionVerdict)
                .where(SatisfactionVerdict.case_id == case.id)
                .order_by(SatisfactionVerdict.id)
            )
        ]
    assert stages == [("reply", "unsatisfied"), ("interview", "unsatisfied"), ("leader", "satisfied")]


def test_a_leader_naming_other_units_starts_a_new_round_of_dispatch(book: CaseBook, clock: FixedClock) -> None:
    number = _dispatched(book, clock)
    book.accept(number, ENV, section="inspection")
    book.reply(number, ENV, text="answered")
    book.record_satisfaction(number, AGENT, satisfied=False)
    book.schedule_interview(number, SUPERVISOR, at=clock.now() + timedelta(days=1))
    book.record_interview(number, SUPERVISOR, satisfied=False)
    case = book.leader_decision(
        number, LEADER, decision="由城管局牵头", deadline=clock.now() + timedelta(days=3), units=["urban", "env"]
    )
    assert (case.status, case.lead_unit_code) == ("dispatched", "urban")
    with book.sessions() as s:
        view = detail(s, number, SUPERVISOR, clock.now())
    assert {(a.unit, a.role, a.round, a.active) for a in view.assignments if a.active} == {
        ("urban", "lead", 2, True),
        ("env", "co", 2, True),
    }
    book.accept(number, handler("urban"), section="enforcement")


def test_a_unit_returns_a_case_that_is_not_theirs_and_the_center_redispatches_within_the_hour(
    book: CaseBook, clock: FixedClock
) -> None:
    number = _dispatched(book, clock)
    clock.advance(minutes=30)
    case = book.return_case(number, ENV, reason="属于城管职责")
    assert (case.status, case.lead_unit_code, case.dispatch_due) == (
        "registered",
        None,
        clock.now() + timedelta(hours=1),
    )
    case = book.dispatch(number, AGENT, lead="urban", deadline_hours=72)
    assert case.lead_unit_code == "urban"


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in Status for a in Action if (s, a) not in TRANSITIONS])
def test_every_transition_outside_the_table_is_refused_with_the_possible_ones(state: Status, action: Action) -> None:
    with pytest.raises(InvalidTransition, match=f"cannot {action.value} a case that is {state.value}"):
        next_status(state, action)


def test_invalid_transitions_change_nothing(book: CaseBook) -> None:
    number = _open(book)
    with pytest.raises(InvalidTransition, match="possible: close, merge, register"):
        book.accept(number, SUPERVISOR, section="intake")
    with pytest.raises(InvalidTransition):
        book.reply(number, SUPERVISOR, text="too early")
    with pytest.raises(InvalidTransition):
        book.record_satisfaction(number, AGENT, satisfied=True)
    with pytest.raises(InvalidTransition):
        book.dispatch(number, AGENT, lead="env")
    assert _kinds(book, number) == ["received"]


def test_bad_input_is_refused_with_a_reason(book: CaseBook, clock: FixedClock) -> None:
    with pytest.raises(InvalidInput, match="malformed phone number"):
        book.open(NewAppeal(channel="web", description="x", caller_phone="138-abc"), AGENT)
    with pytest.raises(InvalidInput, match="4000"):
        book.open(NewAppeal(channel="web", description="字" * 4001), AGENT)
    with pytest.raises(InvalidInput, match="unknown channel"):
        book.open(NewAppeal(channel="fax", description="x"), AGENT)
    number = _open(book)
    with pytest.raises(InvalidInput, match="unknown category"):
        book.register(number, AGENT, category="nonsense")
    with pytest.raises(InvalidInput, match="unknown place"):
        book.register(number, AGENT, category="general", place="atlantis")
    with pytest.raises(InvalidInput, match="urgency"):
        book.register(number, AGENT, category="general", urgency="whenever")
    book.register(number, AGENT, category="general")
    with pytest.raises(InvalidInput, match="unknown handling unit"):
        book.dispatch(number, AGENT, lead="ministry-of-magic")
    with pytest.raises(InvalidInput, match="future"):
        book.dispatch(number, AGENT, lead="env", reply_due=clock.now() - timedelta(hours=1))
    book.dispatch(number, AGENT, lead="env")
    with pytest.raises(InvalidInput, match="has no section"):
        book.accept(number, ENV, section="kitchen")
    with pytest.raises(NotFound):
        book.accept("999999999999", ENV, section="inspection")


def test_a_phone_call_reported_twice_opens_one_case(book: CaseBook) -> None:
    appeal = NewAppeal(channel="line-12345", call_id="call-1795.7", caller_phone="13800000002", origin="ivr")
    first = book.open(appeal, AGENT)
    again = book.open(appeal, AGENT)
    assert first.number == again.number


def test_who_may_act(book: CaseBook, clock: FixedClock) -> None:
    number = _dispatched(book, clock)
    with pytest.raises(NotFound, match=f"no case {number}"):  # another unit's case: as if there were none
        book.accept(number, handler("water"), section="rivers")
    with pytest.raises(Forbidden):
        book.accept(number, AGENT, section="inspection")
    with pytest.raises(Forbidden):
        book.leader_decision(number, SUPERVISOR, decision="x", deadline=clock.now() + timedelta(days=1))
    with pytest.raises(Forbidden):
        book.register(number, ENV, category="general")


def test_every_action_checks_in_one_order_the_case_who_may_see_it_the_role_the_state(
    book: CaseBook, clock: FixedClock
) -> None:
    master, duplicate = _dispatched(book, clock), _dispatched(book, clock)
    book.merge(duplicate, master, AGENT)
    # a handler of a unit without a share: the merged case is as missing as one that does not exist
    for number in (duplicate, "2699999999"):
        with pytest.raises(NotFound):
            book.accept(number, handler("water"), section="rivers")
        with pytest.raises(NotFound):
            book.register(number, handler("water"), category="general")
    # one who may see it but whose role may not act: refused for the role, before its state is told
    with pytest.raises(Forbidden):
        book.accept(duplicate, AGENT, section="inspection")
    # the role may act, the state may not
    with pytest.raises(InvalidTransition):
        book.accept(duplicate, ENV, section="inspection")


def test_an_action_tells_once_it_is_committed_and_a_refused_one_tells_nobody(book: CaseBook, clock: FixedClock) -> None:
    told: list[tuple[str, str]] = []
    book.subscribe(lambda notice: told.append((notice.kind, notice.status)))
    number = _dispatched(book, clock)
    told.clear()
    with pytest.raises(InvalidInput):
        book.accept(number, ENV, section="no-such-section")
    assert told == [] and _kinds(book, number)[-1] == "dispatch"
    book.accept(number, ENV, section="inspection")
    assert told == [("case.accepted", "accepted")]


def test_case_numbers_keep_every_digit_past_the_ten_thousandth_of_a_day(book: CaseBook, clock: FixedClock) -> None:
    from casebook.db.models import CaseNumberCounter

    day = clock.now().astimezone(book.tz).strftime("%y%m%d")
    with book.sessions() as s:
        s.merge(CaseNumberCounter(day=day, last=9999))
        s.commit()
    assert _open(book) == f"{day}10000"
    assert _open(book) == f"{day}10001"


def test_the_case_offers_each_reader_what_their_role_unit_and_its_state_allow(
    book: CaseBook, clock: FixedClock
) -> None:
    from casebook.cases.offers import offered

    number = _open(book)
    with book.sessions() as s:
        received = book.get(s, number)
        assert offered(received, AGENT) == ["register", "merge", "attachments"]
        assert offered(received, SUPERVISOR) == ["register", "merge", "close", "attachments"]
        assert offered(received, LEADER) == []
    book.register(number, AGENT, category="environment.noise")
    book.dispatch(number, AGENT, lead="env")
    with book.sessions() as s:
        dispatched = book.get(s, number)
        assert offered(dispatched, ENV) == ["return", "accept", "attachments", "extension"]  # the lead unit's clerk
        assert offered(dispatched, handler("water")) == []  # another unit: nothing (nor may it read the case)
        assert offered(dispatched, AGENT) == ["merge", "attachments"]
    book.accept(number, ENV, section="inspection")
    with book.sessions() as s:
        assert offered(book.get(s, number), ENV) == ["reply", "attachments", "extension"]
