"""Keep my place: a caller waiting in a queue presses 2 and is called back when an agent of that
queue is free, oldest first, one call per free agent (real PostgreSQL; the real call is in
tests/e2e/test_queue_callback.py)."""

from __future__ import annotations

import secrets
from collections import deque

import pytest

from casebook.callbacks.hours import CallingHours
from casebook.callbacks.services import CallbackService, CallOutcome
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from ivr.callback import KEPT_PLACE_PRIORITY, BackToQueue
from tests.unit.conftest import AGENT, SUPERVISOR
from tests.unit.test_callbacks import _policy, _rows
from tests.unit.test_flow import Events, ScriptedLeg


@pytest.fixture
def callbacks(book: CaseBook) -> CallbackService:
    service = CallbackService(book, _policy(hours=CallingHours.parse("00:00-24:00", "Asia/Shanghai")))  # any hour
    book.subscribe(service.on_case_notice)
    return service


@pytest.fixture
def queue() -> str:
    """A queue of this test alone (other tests' callbacks wait in the same database)."""
    return f"q{secrets.token_hex(4)}"


def _waiting_caller(book: CaseBook, phone: str | None = None) -> str:
    """The case of a caller who left a message in the queue (a new case, nothing replied)."""
    phone = phone if phone is not None else "139" + str(secrets.randbelow(10**8)).zfill(8)
    appeal = NewAppeal(channel="line-12345", description="路灯坏了", caller_phone=phone or None, origin="ivr")
    return book.open(appeal, AGENT).number


def _mine(jobs: list, numbers: set[str]) -> list:  # type: ignore[type-arg]
    return [j for j in jobs if j.case_number in numbers]


def test_a_place_kept_in_a_queue_is_called_only_when_an_agent_of_that_queue_is_free(
    book: CaseBook, callbacks: CallbackService, queue: str
) -> None:
    number = _waiting_caller(book)
    view = callbacks.keep_place(number, queue, AGENT)
    assert view is not None and (view.reason, view.queue, view.state) == ("queue", queue, "due")
    assert _mine(callbacks.due(50), {number}) == []  # nobody said an agent is free
    assert _mine(callbacks.due(50, free={queue: 0, "other": 3}), {number}) == []  # not this queue's
    [job] = _mine(callbacks.due(50, free={queue: 1}), {number})
    assert (job.reason, job.queue, job.attempt) == ("queue", queue, 1)


def test_places_are_kept_in_order_one_call_per_free_agent(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService, queue: str
) -> None:
    first, second, third = (_waiting_caller(book) for _ in range(3))
    for number in (first, second, third):
        callbacks.keep_place(number, queue, AGENT)
        clock.advance(seconds=1)
    assert [j.case_number for j in _mine(callbacks.due(50, free={queue: 1}), {first, second, third})] == [first]
    assert [j.case_number for j in _mine(callbacks.due(50, free={queue: 2}), {first, second, third})] == [
        second,
        third,
    ]


def test_the_citizen_back_in_the_queue_ends_the_callback_and_one_not_answering_is_tried_again(
    book: CaseBook, clock: FixedClock, callbacks: CallbackService, queue: str
) -> None:
    answered, silent = _waiting_caller(book), _waiting_caller(book)
    callbacks.keep_place(answered, queue, AGENT)
    callbacks.keep_place(silent, queue, AGENT)
    jobs = {j.case_number: j for j in _mine(callbacks.due(50, free={queue: 2}), {answered, silent})}
    done = callbacks.record(jobs[answered].id, CallOutcome("queued", True, None, "callback-1"))
    assert (done.state, done.last_result) == ("done", "queued")
    again = callbacks.record(jobs[silent].id, CallOutcome("no-answer", False))
    assert again.state == "due" and again.attempts == 1
    clock.advance(minutes=31)
    [retry] = _mine(callbacks.due(50, free={queue: 1}), {answered, silent})
    assert (retry.case_number, retry.attempt) == (silent, 2)


def test_a_caller_without_a_number_gets_no_callback_and_a_closed_case_cancels_it(
    book: CaseBook, callbacks: CallbackService, queue: str
) -> None:
    anonymous = _waiting_caller(book, phone="")
    assert callbacks.keep_place(anonymous, queue, AGENT) is None
    number = _waiting_caller(book)
    callbacks.keep_place(number, queue, AGENT)
    book.close(number, SUPERVISOR, reason="the caller called again and was helped")
    [row] = _rows(book, number)
    assert row.state == "cancelled"
    assert _mine(callbacks.due(50, free={queue: 1}), {number}) == []


async def test_the_citizen_called_back_is_told_why_and_joins_the_queue_ahead_of_later_callers() -> None:
    leg = ScriptedLeg(deque(), dialled_number="12345")
    events = Events()
    back = BackToQueue(
        leg,
        callback_id=7,
        case_number="2612050001",
        queue="intake",
        line={"number": "12345", "code": "mayor", "language": "zh", "queue_wait_s": "300"},
        greeting="greeting-mayor",
        recording_notice=True,
        events=events,
    )
    assert await back.run() == "queued" and back.verdict is None
    assert leg.played == ["greeting-mayor", "queue-callback-connecting", "recording-notice"]
    assert (leg.transferred_to, leg.queue_priority) == ("intake", KEPT_PLACE_PRIORITY)
    assert leg.queue_line["number"] == "12345"  # the queue's dialplan knows the line (key 1 there works)
    assert events.names == ["callback.answered"]


def test_a_message_that_joins_another_case_keeps_the_callers_place(
    book: CaseBook, callbacks: CallbackService, queue: str
) -> None:
    master, phone = _waiting_caller(book), "139" + str(secrets.randbelow(10**8)).zfill(8)
    number = _waiting_caller(book, phone)
    callbacks.keep_place(number, queue, AGENT)
    book.merge(number, master, SUPERVISOR, reason="the same street light")
    [row] = _rows(book, number)
    assert row.state == "due"  # the citizen still waits for an agent
    [job] = _mine(callbacks.due(50, free={queue: 1}), {number})
    assert job.phone == phone
