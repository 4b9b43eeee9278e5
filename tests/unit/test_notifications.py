"""Who is told what (the bell), and the e-mail a unit asked for, through a real SMTP server.

The mail server is aiosmtpd on a free local port: the messages are read as the server received
them. A server that is down delays the mail, never loses it: the outbox keeps each message with
the reason it failed and sends it when the server is back.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from casebook.auth.policy import Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.db.models import Case, OutboxMessage, Unit
from casebook.notifications.senders import SmtpSender, send_pending
from casebook.notifications.services import Notifications
from tests.unit.conftest import AGENT, LEADER, SUPERVISOR, handler


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[Message] = []

    def handle_message(self, message: Message) -> None:
        self.received.append(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mail_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def people(auth: AuthService) -> dict[str, Actor]:
    """Active people of this test only (their names carry the test's moment)."""
    stamp = auth.now().strftime("%y%m%d%H%M%S")
    made = {}
    for key, role, unit in (
        ("env", Role.UNIT_HANDLER, "env"),
        ("wujin", Role.UNIT_HANDLER, "wujin"),
        ("water", Role.UNIT_HANDLER, "water"),
        ("sup", Role.SUPERVISOR, None),
        ("leader", Role.LEADER, None),
        ("agent", Role.INTAKE_AGENT, None),
    ):
        name = f"n-{key}-{stamp}"
        auth.create_user(name, role, unit=unit, password="a-long-password")
        made[key] = Actor(name, role, unit)
    return made


@pytest.fixture
def told(book: CaseBook, clock: FixedClock) -> Notifications:
    notifications = Notifications(book.sessions, clock, public_url="https://hotline.example.gov.cn")
    book.listeners.add(notifications.on_notice)
    return notifications


def _kinds(told: Notifications, who: Actor, number: str) -> list[str]:
    return [n.kind for n in told.latest(who, limit=100) if n.case_number == number]


def _dispatched(book: CaseBook) -> str:
    number = book.open(NewAppeal(channel="web", description="河边有死猪，很臭"), AGENT).number
    book.register(number, AGENT, category="environment.dead-animals")
    book.dispatch(number, AGENT, lead="env", co_units=["wujin"], deadline_hours=48)
    return number


def test_a_dispatched_case_rings_the_bell_of_its_units_and_nobody_elses(
    book: CaseBook, told: Notifications, people: dict[str, Actor]
) -> None:
    number = _dispatched(book)
    assert _kinds(told, people["env"], number) == ["dispatched"]
    assert _kinds(told, people["wujin"], number) == ["dispatched"]  # the co-handling unit too
    assert _kinds(told, people["water"], number) == []
    assert _kinds(told, people["sup"], number) == []
    assert told.unread(people["env"]) >= 1
    mine = told.latest(people["env"], limit=100, unread_only=True)
    left = told.mark_read(people["env"], [n.id for n in mine if n.case_number == number])
    assert _kinds(told, people["env"], number) == ["dispatched"] and left == told.unread(people["env"])
    assert all(n.read_at is not None for n in told.latest(people["env"], limit=100) if n.case_number == number)


def test_an_unsatisfied_citizen_the_leaders_duty_and_more_time_tell_the_right_people(
    book: CaseBook, told: Notifications, people: dict[str, Actor], clock: FixedClock
) -> None:
    number = _dispatched(book)
    env = handler("env")
    book.accept(number, env, section="inspection")
    with book.sessions() as s:
        reply_due = book.get(s, number).reply_due
    assert reply_due is not None
    book.ask_extension(number, env, until=reply_due + timedelta(days=3), reason="等待检测")
    assert "extension_asked" in _kinds(told, people["sup"], number)
    book.decide_extension(number, SUPERVISOR, granted=True)
    assert "extension_decided" in _kinds(told, people["env"], number)
    assert "extension_decided" not in _kinds(told, people["wujin"], number)  # the lead unit asked
    book.reply(number, env, text="已处理")
    book.record_satisfaction(number, AGENT, satisfied=False, source="agent", comment="还有臭味")
    assert "unsatisfied" in _kinds(told, people["sup"], number)
    assert _kinds(told, people["env"], number)[0] == "back_to_unit"  # the lead unit handles it again
    assert "back_to_unit" not in _kinds(told, people["wujin"], number)
    book.schedule_interview(number, SUPERVISOR, at=clock.now() + timedelta(days=1))
    book.record_interview(number, env, satisfied=False)
    assert "leader_duty" in _kinds(told, people["leader"], number)
    book.leader_decision(number, LEADER, decision="三日内清理完毕", deadline=clock.now() + timedelta(days=3))
    assert _kinds(told, people["env"], number)[0] == "leader_decision"
    assert _kinds(told, people["water"], number) == []


def test_a_clock_15_minutes_from_running_out_is_told_once(
    book: CaseBook, told: Notifications, people: dict[str, Actor], clock: FixedClock
) -> None:
    number = _dispatched(book)
    with book.sessions() as s:  # the unit has 10 minutes left to accept
        s.execute(update(Case).where(Case.number == number).values(accept_due=clock.now() + timedelta(minutes=10)))
        s.commit()
    assert told.warn_due_soon() >= 1
    told.warn_due_soon()  # the next minute's scan: nothing new
    assert _kinds(told, people["env"], number).count("due_soon") == 1
    assert "due_soon" not in _kinds(told, people["wujin"], number)  # the lead unit accepts
    warning = next(n for n in told.latest(people["env"], limit=100) if n.kind == "due_soon" and n.case_number == number)
    assert warning.detail["clock"] == "accept"


def test_a_unit_that_asked_for_mail_gets_it_through_the_mail_server_and_a_server_down_loses_none(
    book: CaseBook, told: Notifications, people: dict[str, Actor], clock: FixedClock, mail_server: tuple[Inbox, int]
) -> None:
    inbox, port = mail_server
    with book.sessions() as s:
        s.execute(update(Unit).where(Unit.code == "env").values(email="env@xinjin.gov.cn", notify_by_email=True))
        s.commit()
    try:
        number = _dispatched(book)
        down = {"email": SmtpSender("127.0.0.1", _free_port(), "12345@xinjin.gov.cn", timeout_s=2)}
        assert send_pending(book.sessions, clock, down) == 0  # nobody listens there: kept, with the reason
        with book.sessions() as s:
            waiting = s.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all()
        mine = [m for m in waiting if number in m.subject]
        assert len(mine) == 1 and mine[0].attempts == 1 and "ConnectionRefused" in mine[0].last_error
        up = {"email": SmtpSender("127.0.0.1", port, "12345@xinjin.gov.cn")}
        assert send_pending(book.sessions, clock, up) == 0  # not before its next try
        clock.advance(minutes=3)
        assert send_pending(book.sessions, clock, up) >= 1
        got = [m for m in inbox.received if number in str(make_header(decode_header(m["Subject"])))]
        assert len(got) == 1 and got[0]["To"] == "env@xinjin.gov.cn"
        subject = str(make_header(decode_header(got[0]["Subject"])))
        assert subject == f"【12345】新转办工单 {number} / New case {number} for your unit"
        body = message_from_bytes(got[0].as_bytes()).get_payload(decode=True).decode()
        assert f"https://hotline.example.gov.cn/cases/{number}" in body and "县环保局" in body
        assert send_pending(book.sessions, clock, up) == 0  # sent once
    finally:
        with book.sessions() as s:
            s.execute(update(Unit).where(Unit.code == "env").values(email=None, notify_by_email=False))
            s.commit()


def test_the_bell_over_the_api(
    book: CaseBook, told: Notifications, api: TestClient, auth: AuthService, people: dict[str, Actor]
) -> None:
    number = _dispatched(book)
    headers = {"Authorization": f"Bearer {auth.login(people['env'].name, 'a-long-password')}"}
    bell = api.get("/api/v1/notifications", headers=headers).json()
    assert bell["unread"] >= 1 and any(n["case_number"] == number for n in bell["items"])
    after = api.post("/api/v1/notifications/read", json={}, headers=headers).json()
    assert after["unread"] == 0 and all(n["read"] for n in after["items"])
    assert api.get("/api/v1/notifications").status_code == 401
    assert api.post("/api/v1/notifications/read", json={"ids": "all"}, headers=headers).status_code == 422


def test_an_administrator_sets_where_a_unit_is_mailed(
    api: TestClient, auth: AuthService, people: dict[str, Actor]
) -> None:
    auth.create_user(f"{people['sup'].name}-admin", Role.ADMIN, password="a-long-password")
    admin = {"Authorization": f"Bearer {auth.login(people['sup'].name + '-admin', 'a-long-password')}"}
    sup = {"Authorization": f"Bearer {auth.login(people['sup'].name, 'a-long-password')}"}
    try:
        set_ = api.put(
            "/api/v1/units/water/mail", json={"email": "water@xinjin.gov.cn", "by_email": True}, headers=admin
        )
        assert set_.status_code == 200 and set_.json() == {
            "unit": "water",
            "email": "water@xinjin.gov.cn",
            "by_email": True,
        }
        assert api.put("/api/v1/units/water/mail", json={"by_email": True}, headers=admin).status_code == 422
        bad = api.put("/api/v1/units/water/mail", json={"email": "not an address", "by_email": True}, headers=admin)
        assert bad.status_code == 422
        assert api.put("/api/v1/units/nowhere/mail", json={"by_email": False}, headers=admin).status_code == 404
        assert api.put("/api/v1/units/water/mail", json={"by_email": False}, headers=sup).status_code == 403
    finally:
        api.put("/api/v1/units/water/mail", json={"email": None, "by_email": False}, headers=admin)
