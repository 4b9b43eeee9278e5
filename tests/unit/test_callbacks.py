"""Satisfaction callbacks: scheduling on a reply, calling hours, retries, the limit, safe claims,
the verdict on the case, the API and the dialog's decisions (real PostgreSQL; real calls are in
tests/e2e/test_callbacks.py)."""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from casebook.api.app import create_app
from casebook.api.deps import Services
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.callbacks.hours import CallingHours
from casebook.callbacks.services import CallbackPolicy, CallbackService, CallOutcome
from casebook.cases.errors import InvalidInput
from casebook.cases.intake import NewAppeal
from casebook.cases.notices import CaseNotice
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.migrate import upgrade
from casebook.db.models import Callback, CaseEvent, CenterSetting, SatisfactionVerdict
from casebook.directory.seed import seed_directory
from casebook.reports.services import ReportService
from ivr.callback import SatisfactionDialog
from tests.unit.conftest import AGENT, LINES, handler
from tests.unit.test_flow import ScriptedLeg

ENV = handler("env")
TZ = "Asia/Shanghai"


def _policy(**extra: object) -> CallbackPolicy:
    values: dict[str, object] = {
        "hours": CallingHours.parse("09:00-20:00", TZ),
        "retry_delay": timedelta(minutes=30),
        "max_attempts": 3,
    }
    values.update(extra)
    return CallbackPolicy(**values)  # type: ignore[arg-type]


@pytest.fixture
def callbacks(book: CaseBook) -> CallbackService:
    service = CallbackService(book, _policy())
    book.subscribe(service.on_case_notice)
    return service


def _replied(book: CaseBook, phone: str | None = None) -> str:
    """A case of the citizen `phone` (a fresh one when not given) with the unit's reply recorded."""
    phone = phone if phone is not None else "139" + str(secrets.randbelow(10**8)).zfill(8)
    appeal = NewAppeal(channel="line-12345", description="河里有死猪，很臭", caller_phone=phone or None)
    number = book.open(appeal, AGENT).number
    book.register(number, AGENT, category="environment.noise", place="township-wujin")
    book.dispatch(number, AGENT, lead="env", deadline_hours=48)
    book.accept(number, ENV, section="pollution")
    book.reply(number, ENV, text="已清理并消毒。")
    return number


def _rows(book: CaseBook, number: str) -> list[Callback]:
    with book.sessions() as s:
        case_id = book.get(s, number).id
        return list(s.scalars(select(Callback).where(Callback.case_id == case_id).order_by(Callback.id)))


def _local(clock: FixedClock, hour: int, minute: int = 0) -> datetime:
    """Today at hour:minute in the center's time zone (the test clock's day)."""
    day = clock.now().astimezone(CallingHours.parse("00:00-24:00", TZ).tz).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CallingHours.parse("00:00-24:00", TZ).tz)


# --- calling hours -----------------------------------------------------------------------------------
def test_calling_hours_move_a_call_to_the_next_opening_and_refuse_nonsense() -> None:
    hours = CallingHours.parse("09:00-20:00", TZ)
    morning = datetime(2027, 1, 4, 8, 0, tzinfo=hours.tz)
    assert hours.next_opening(morning) == morning.replace(hour=9)
    assert hours.next_opening(morning.replace(hour=10)) == morning.replace(hour=10)
    assert hours.next_opening(morning.replace(hour=20)) == datetime(2027, 1, 5, 9, 0, tzinfo=hours.tz)
    late_utc = datetime(2027, 1, 4, 14, 0, tzinfo=UTC)  # 22:00 in Beijing
    assert hours.next_opening(late_utc) == datetime(2027, 1, 5, 1, 0, tzinfo=UTC)
    assert CallingHours.parse("00:00-24:00", TZ).always
    for bad in ("9-20", "20:00-09:00", "09:00-09:00", "09:60-20:00", "25:00-26:00"):
        with pytest.raises(InvalidInput):
            CallingHours.parse(bad, TZ)


# --- scheduling --------------------------------------------------------------------------------------
def test_a_reply_schedules_one_satisfaction_callback_and_a_case_without_phone_gets_none(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService
) -> None:
    seen: list[CaseNotice] = []
    callbacks.subscribe(seen.append)
    number = _replied(book)
    [row] = _rows(book, number)
    assert (row.reason, row.state, row.attempts, row.next_attempt_at) == ("satisfaction", "due", 0, clock.now())
    assert [n.kind for n in seen] == ["callback.scheduled"] and seen[0].data["callback"] == row.id
    # the notice again (a second listener, a retried reply): still one callback
    callbacks.on_case_notice(CaseNotice("case.replied", number, "replied"))
    assert len(_rows(book, number)) == 1
    silent = _replied(book, phone="")
    assert _rows(book, silent) == []


def test_a_reply_after_hours_is_called_back_at_the_next_opening(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService
) -> None:
    clock.set(_local(clock, 21, 30))
    number = _replied(book)
    [row] = _rows(book, number)
    assert row.next_attempt_at == _local(clock, 9) + timedelta(days=1)
    assert number not in [j.case_number for j in callbacks.due(50)]
    clock.set(_local(clock, 9) + timedelta(days=1))
    [job] = [j for j in callbacks.due(50) if j.case_number == number]
    assert (job.case_number, job.attempt, job.reason) == (number, 1, "satisfaction")


def test_missed_replies_are_scheduled_by_the_sweep(book: CaseBook, clock: FixedClock) -> None:
    number = _replied(book)  # no listener: as if replied in a process that does not listen
    service = CallbackService(book, _policy())
    assert _rows(book, number) == []
    assert service.schedule_missed() >= 1
    assert [r.state for r in _rows(book, number)] == ["due"]
    assert service.schedule_missed() == 0


# --- claiming ----------------------------------------------------------------------------------------
def test_a_due_callback_is_claimed_once_and_a_locked_one_is_skipped(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService
) -> None:
    number = _replied(book)
    [row] = _rows(book, number)
    with book.sessions() as other:  # another process holds the row (it is claiming it right now)
        other.scalar(select(Callback).where(Callback.id == row.id).with_for_update())
        assert row.id not in [j.id for j in callbacks.due(50)]  # skipped, not waited for
    claimed = [j for j in callbacks.due(50) if j.id == row.id]
    assert len(claimed) == 1 and claimed[0].attempt == 1
    assert row.id not in [j.id for j in callbacks.due(50)]
    [again] = _rows(book, number)
    assert (again.state, again.attempts) == ("calling", 1)


def test_a_claim_whose_call_never_reported_is_taken_again_after_the_lease(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService
) -> None:
    number = _replied(book)
    [job] = [j for j in callbacks.due(50) if j.case_number == number]
    clock.advance(minutes=5)
    assert number not in [j.case_number for j in callbacks.due(50)]
    clock.advance(minutes=11)
    [retaken] = [j for j in callbacks.due(50) if j.case_number == number]
    assert (retaken.id, retaken.attempt) == (job.id, 2)
    assert "lost" in (_rows(book, number)[0].last_result or "")


def test_a_callback_whose_case_was_settled_meanwhile_is_cancelled(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService
) -> None:
    number = _replied(book)
    book.record_satisfaction(number, AGENT, satisfied=True, source="agent")
    [row] = _rows(book, number)  # at once, before its time: the case page shows no call to come
    assert row.state == "cancelled" and "closed" in (row.last_result or "")
    assert number not in [j.case_number for j in callbacks.due(50)]


# --- outcomes ----------------------------------------------------------------------------------------
def test_not_satisfied_on_the_phone_reopens_the_case_with_the_verdict_from_the_callback(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService
) -> None:
    number = _replied(book)
    [job] = [j for j in callbacks.due(50) if j.case_number == number]
    view = callbacks.record(job.id, CallOutcome("unsatisfied", True, "unsatisfied", "callback-x"))
    assert (view.state, view.verdict, view.case_status) == ("done", "unsatisfied", "reopened")
    with book.sessions() as s:
        case = book.get(s, number)
        assert (case.status, case.satisfaction, case.reopened_count) == ("reopened", "unsatisfied", 1)
        verdict = s.scalar(select(SatisfactionVerdict).where(SatisfactionVerdict.case_id == case.id))
        assert verdict is not None and verdict.source == "callback"
    # a late duplicate of the outcome changes nothing
    assert callbacks.record(job.id, CallOutcome("satisfied", True, "satisfied")).verdict == "unsatisfied"


def test_busy_and_no_answer_are_retried_after_the_delay_then_left_to_a_person(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService
) -> None:
    seen: list[CaseNotice] = []
    callbacks.subscribe(seen.append)
    number = _replied(book)
    results = ["busy", "no-answer", "no-input"]
    for attempt, result in enumerate(results, start=1):
        [job] = [j for j in callbacks.due(50) if j.case_number == number]
        assert job.attempt == attempt
        view = callbacks.record(job.id, CallOutcome(result, result == "no-input"))
        if attempt < len(results):
            assert (view.state, view.next_attempt_at) == ("due", clock.now() + timedelta(minutes=30))
            assert number not in [j.case_number for j in callbacks.due(50)]  # not before the delay
            clock.advance(minutes=30)
    assert (view.state, view.attempts, view.last_result) == ("no_verdict", 3, "no-input")
    with book.sessions() as s:
        case = book.get(s, number)
        assert case.status == "replied"  # still waiting for a verdict: a person calls now
        event = s.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "callback_no_verdict"))
        assert event is not None and "3 call(s)" in event.reason
    assert [n.kind for n in seen][-1] == "callback.given_up"


def test_a_retry_that_would_fall_after_closing_waits_for_the_next_morning(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService
) -> None:
    clock.set(_local(clock, 19, 50))
    number = _replied(book)
    [job] = [j for j in callbacks.due(50) if j.case_number == number]
    view = callbacks.record(job.id, CallOutcome("busy", False))
    assert view.next_attempt_at == _local(clock, 9) + timedelta(days=1)


# --- the API -----------------------------------------------------------------------------------------
@pytest.fixture
def client(
    book: CaseBook, auth: AuthService, reports: ReportService, callbacks: CallbackService
) -> Iterator[TestClient]:
    app = create_app(Services(book, auth, reports, callbacks=callbacks, callbacks_placing=(True, "")))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _token(auth: AuthService, role: Role, unit: str | None = None) -> dict[str, str]:
    name = f"cb-{role.value}-{secrets.token_hex(3)}"
    auth.create_user(name, role, unit=unit, password="a-long-password")
    return {"Authorization": f"Bearer {auth.issue_token(name)}"}


def test_an_agent_calls_back_with_one_click_and_bad_requests_get_a_reason(
    book: CaseBook, clock: FixedClock, auth: AuthService, client: TestClient, callbacks: CallbackService
) -> None:
    number = _replied(book)
    [scheduled] = _rows(book, number)
    clock.set(_local(clock, 21))  # the automatic one waits for tomorrow...
    agent = _token(auth, Role.INTAKE_AGENT)  # (signed in after the clock moved: a token lasts 30 minutes)
    answer = client.post(f"/api/v1/cases/{number}/callback", headers=agent)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["id"] == scheduled.id and body["placing"] is True  # ...one callback, not two
    listed = client.get(f"/api/v1/cases/{number}/callbacks", headers=agent).json()
    assert [c["id"] for c in listed] == [scheduled.id]

    no_phone = _replied(book, phone="")
    answer = client.post(f"/api/v1/cases/{no_phone}/callback", headers=agent)
    assert answer.status_code == 422 and "no caller phone" in answer.json()["detail"]
    fresh = book.open(NewAppeal(channel="line-12345", description="路灯坏了", caller_phone="13900000001"), AGENT)
    answer = client.post(f"/api/v1/cases/{fresh.number}/callback", headers=agent)
    assert answer.status_code == 409 and "no reply" in answer.json()["detail"]
    assert client.post("/api/v1/cases/1/callback", headers=agent).status_code == 404
    assert (
        client.post(f"/api/v1/cases/{number}/callback", headers=_token(auth, Role.UNIT_HANDLER, "env")).status_code
        == 403
    )
    assert client.post(f"/api/v1/cases/{number}/callback").status_code == 401
    [job] = [j for j in callbacks.due(50, now=_local(clock, 9) + timedelta(days=1)) if j.case_number == number]
    answer = client.post(f"/api/v1/cases/{number}/callback", headers=agent)
    assert answer.status_code == 409 and "right now" in answer.json()["detail"]
    assert job.id == scheduled.id


# --- the dialog --------------------------------------------------------------------------------------
class Events:
    def __init__(self) -> None:
        self.names: list[tuple[str, dict[str, object]]] = []

    def emit(self, call_id: str, event: str, /, **data: object) -> None:
        self.names.append((event, data))


async def _dialog(keys: list[str | None]) -> tuple[SatisfactionDialog, ScriptedLeg, Events]:
    leg = ScriptedLeg(deque(keys))
    events = Events()
    dialog = SatisfactionDialog(leg, callback_id=7, case_number="2701040001", greeting="greeting-mayor", events=events)
    await dialog.run()
    return dialog, leg, events


async def test_the_dialog_takes_a_verdict_repeats_once_and_gives_up_on_silence() -> None:
    dialog, leg, events = await _dialog([None, "2"])
    assert (dialog.verdict, dialog.outcome, leg.hung_up) == ("unsatisfied", "unsatisfied", True)
    assert leg.played[:5] == [
        "greeting-mayor",
        "callback-intro",
        "digits:2701040001",
        "callback-replied",
        "callback-question",
    ]
    assert leg.played[-1] == "callback-thanks-unsatisfied" and "no-input" in leg.played
    assert [e for e, _ in events.names] == ["callback.answered", "callback.key", "callback.key"]
    dialog, leg, _ = await _dialog(["7", None])
    assert (dialog.verdict, dialog.outcome) == (None, "no-input") and leg.played[-1] == "callback-later"
    dialog, _, _ = await _dialog(["7", "9"])
    assert (dialog.verdict, dialog.outcome) == (None, "invalid-keys")
    dialog, _, _ = await _dialog(["1"])
    assert dialog.verdict == "satisfied"


def test_callbacks_work_on_sqlite_too(tmp_path: Path) -> None:
    """Embedded mode: the partial unique index and the conditional claim hold without row locks."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        seed_directory(s, LINES)
    book = CaseBook(sessions, clock=FixedClock(datetime(2027, 3, 1, 2, 0, tzinfo=UTC)), recordings_dir=tmp_path)
    service = CallbackService(book, _policy(max_attempts=1))
    book.subscribe(service.on_case_notice)
    number = _replied(book)
    service.on_case_notice(CaseNotice("case.replied", number, "replied"))  # heard twice: still one
    [job] = service.due(5)
    assert service.due(5) == []
    view = service.record(job.id, CallOutcome("busy", False))
    assert (view.state, view.attempts) == ("no_verdict", 1)
    assert service.of_case(number, AGENT)[0].state == "no_verdict"
    engine.dispose()


def test_an_administrator_sets_the_calling_hours_and_the_next_callback_waits_for_them(
    book: CaseBook, clock: FixedClock, auth: AuthService, client: TestClient, callbacks: CallbackService
) -> None:
    admin = _token(auth, Role.ADMIN)
    try:
        _hours_set_by_an_administrator(book, clock, auth, client, admin)
    finally:  # the session's database is shared: the other tests keep the installation's hours
        with book.sessions() as s:
            s.execute(delete(CenterSetting))
            s.commit()


def _hours_set_by_an_administrator(
    book: CaseBook, clock: FixedClock, auth: AuthService, client: TestClient, admin: dict[str, str]
) -> None:
    assert client.get("/api/v1/settings/callback-hours", headers=admin).json()["set_by_administrator"] is False
    wrong = client.put("/api/v1/settings/callback-hours", json={"hours": "20:00-09:00"}, headers=admin)
    assert wrong.status_code == 422 and "open before it closes" in wrong.json()["detail"]
    answer = client.put("/api/v1/settings/callback-hours", json={"hours": "14:00-16:00"}, headers=admin)
    assert answer.json() == {"hours": "14:00-16:00", "set_by_administrator": True}
    assert client.get("/api/v1/settings/callback-hours", headers=_token(auth, Role.SUPERVISOR)).status_code == 403
    clock.set(_local(clock, 10))
    number = _replied(book)
    [scheduled] = _rows(book, number)
    assert scheduled.next_attempt_at.astimezone(book.tz).hour == 14  # not 10:00: the administrator's hours
