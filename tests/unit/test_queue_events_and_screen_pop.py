"""Queue events from AMI, and what they do to an agent's desk and screen (logic only; the real
queues, phones and a browser are in tests/e2e/test_agent_page.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import SYSTEM, Actor, Role
from casebook.auth.services import AuthService
from casebook.cases.desk import caller_history, suggest
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from common.bus import EventBus, PlatformEvent
from hotline.features.desk.services import AgentDesk
from telephony.ami.queue_events import QueueEvent, chan_variables, translate
from tests.unit.test_desk import ScriptedAmi

ADMIN = Actor("admin", Role.ADMIN)
CALLER_VARS = ["HL_CALL_ID=1700000000.17", "HL_NUMBER=12345", "HL_IVR_PATH=menu>3"]


def _ami(event: str, **fields: Any) -> dict[str, Any]:
    return {"Event": event, "Queue": "intake", "ChanVariable": CALLER_VARS, "CallerIDNum": "13912345678", **fields}


def test_ami_queue_events_become_the_platforms_events_with_the_call_they_belong_to() -> None:
    joined = translate(_ami("QueueCallerJoin", Position="2", Count="2", Uniqueid="other"))
    assert joined is not None and joined.kind == "joined" and joined.call_id == "1700000000.17"
    assert joined.line == "12345" and joined.ivr_path == "menu>3" and joined.position == 2
    ringing = translate(_ami("AgentCalled", MemberName="li", Interface="PJSIP/1001"))
    assert ringing is not None and ringing.kind == "ringing" and ringing.extension == "1001"
    abandoned = translate(_ami("QueueCallerAbandon", Position="1", OriginalPosition="3", HoldTime="41"))
    assert abandoned is not None and (abandoned.kind, abandoned.position, abandoned.original_position) == (
        "abandoned",
        1,
        3,
    )
    assert abandoned.wait_s == 41
    transferred = translate(_ami("AgentComplete", Reason="transfer", TalkTime="30", MemberName="li"))
    assert transferred is not None and transferred.kind == "transferred" and transferred.talk_s == 30
    hung_up = translate(_ami("AgentComplete", Reason="caller", TalkTime="12", MemberName="li"))
    assert hung_up is not None and (hung_up.kind, hung_up.reason) == ("completed", "caller")
    no_answer = translate(_ami("AgentRingNoAnswer", RingTime="20000", MemberName="li"))  # milliseconds here
    assert no_answer is not None and no_answer.ring_s == 20
    assert translate({"Event": "Newchannel"}) is None


def test_published_queue_events_never_carry_the_callers_number_in_clear() -> None:
    event = translate(_ami("AgentConnect", MemberName="li", Interface="PJSIP/1001", HoldTime="5"))
    assert event is not None
    data = event.public()
    assert "13912345678" not in json.dumps(data) and data["caller"] == "139****5678" and data["wait_s"] == 5


def test_channel_variables_come_as_one_header_or_a_list() -> None:
    assert chan_variables({"ChanVariable": "HL_NUMBER=96960"}) == {"HL_NUMBER": "96960"}
    assert chan_variables({}) == {}
    assert chan_variables({"ChanVariable": ["A=1", "B=x=y"]}) == {"A": "1", "B": "x=y"}


def test_a_call_without_the_hotlines_variables_is_named_by_its_channel() -> None:
    event = translate({"Event": "QueueCallerJoin", "Queue": "intake", "Uniqueid": "99.1", "Position": "1"})
    assert event is not None and event.call_id == "99.1" and event.line == ""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _desk(book: CaseBook, ami: ScriptedAmi, clock: Clock, **kwargs: Any) -> tuple[AgentDesk, EventBus]:
    bus = EventBus()
    desk = AgentDesk(AgentDirectory(book.sessions), ami, bus, book=book, clock=clock, **kwargs)  # type: ignore[arg-type]
    return desk, bus


def _make_agent(auth: AuthService, book: CaseBook, name: str, extension: str) -> Actor:
    auth.create_user(name, Role.INTAKE_AGENT, password="a-long-password")
    AgentDirectory(book.sessions).create(ADMIN, name, extension, {"intake": 0})
    return Actor(name, Role.INTAKE_AGENT)


def _queue(kind: str, call_id: str, member: str, extension: str, **fields: Any) -> QueueEvent:
    return QueueEvent(kind, call_id, "intake", member=member, interface=f"PJSIP/{extension}", **fields)


async def test_ringing_pops_the_call_answering_puts_the_agent_on_it_and_the_end_starts_wrap_up(
    book: CaseBook, auth: AuthService
) -> None:
    stamp = book.clock.now().strftime("%d%H%M%S")
    name, extension = f"pop-{stamp}", f"6{stamp[-3:]}"
    agent = _make_agent(auth, book, name, extension)
    book.open(NewAppeal(channel="phone", description="路灯坏了", caller_phone="13900001111"), SYSTEM)
    ami, clock = ScriptedAmi(), Clock()
    desk, _bus = _desk(book, ami, clock)
    await desk.login(agent)
    with desk.live.page(name) as page:
        desk.on_queue_event(QueueEvent("joined", "c1", "intake", caller="13900001111", line="12345"))
        desk.on_platform_event(PlatformEvent("transcript.final", "c1", {"text": "五津镇河边有死猪"}))
        desk.on_queue_event(
            _queue("ringing", "c1", name, extension, caller="13900001111", line="12345", ivr_path="menu>3")
        )
        first = json.loads(page.get_nowait())
        assert first["status"] == "ringing" and first["call"]["caller"] == "13900001111"
        assert first["call"]["ivr_path"] == ["menu", "3"] and first["call"]["transcript"] == "五津镇河边有死猪"
        # the history and the suggestion come from the casebook, a moment later
        composed = json.loads(await asyncio.wait_for(page.get(), 10))
        assert composed["call"]["history"][0]["summary"] == "路灯坏了"
        assert composed["call"]["suggestion"]["category"]

        desk.on_queue_event(_queue("answered", "c1", name, extension, wait_s=4))
        assert desk.states[name].status == "on_call"
        clock.now += 60
        desk.on_queue_event(_queue("completed", "c1", name, extension, reason="caller", talk_s=60))
        assert desk.states[name].status == "wrap_up"
        assert ami.paused == {}  # Asterisk's own wrapuptime keeps the next call away a moment

    clock.now += 25
    state = await desk.ready(agent)
    assert state.status == "available" and state.call is None and ami.paused == {}


async def _taking_a_call(
    book: CaseBook, auth: AuthService, who: str, first_digit: str, *, caller: str, line: str
) -> tuple[AgentDesk, Actor, str]:
    """An agent logged in, on a call that rang and was answered: (desk, agent, call id). Five-digit
    extensions: the four-digit ones of other tests share this session's database."""
    stamp = book.clock.now().strftime("%d%H%M%S")
    name, extension, call_id = f"{who}-{stamp}", f"4{first_digit}{stamp[-3:]}", f"{who}-call-{stamp}"
    agent = _make_agent(auth, book, name, extension)
    desk, _bus = _desk(book, ScriptedAmi(), Clock())
    await desk.login(agent)
    desk.on_queue_event(_queue("ringing", call_id, name, extension, caller=caller, line=line))
    desk.on_queue_event(_queue("answered", call_id, name, extension))
    return desk, agent, call_id


async def test_saving_the_call_registers_and_dispatches_once_even_when_clicked_twice(
    book: CaseBook, auth: AuthService
) -> None:
    desk, agent, call_id = await _taking_a_call(book, auth, "save", "7", caller="13900002222", line="12345")
    draft = {"description": "新津县五津镇河边有死猪，很臭", "category": suggest(book, "河边有死猪").category}
    _, first = await desk.save_case(agent, call_id, draft)
    _, second = await desk.save_case(agent, call_id, draft)
    assert first == second
    with book.sessions() as s:
        case = book.get(s, first)
        assert case.status == "dispatched" and case.lead_unit_code and case.call_id == call_id
        assert case.channel_code == "line-12345"  # the line the caller dialled, as the menu's cases have
    assert caller_history(book, "13900002222")[0].number == first


async def test_a_call_on_a_line_the_directory_no_longer_knows_is_saved_as_a_phone_call(
    book: CaseBook, auth: AuthService
) -> None:
    desk, agent, call_id = await _taking_a_call(book, auth, "old-line", "3", caller="13900004444", line="88888")
    draft = {"description": "路灯坏了三天", "category": suggest(book, "路灯坏了").category}
    _, number = await desk.save_case(agent, call_id, draft)
    with book.sessions() as s:
        assert book.get(s, number).channel_code == "phone"


async def test_a_call_that_leaves_the_queue_before_it_is_answered_clears_the_screen(
    book: CaseBook, auth: AuthService
) -> None:
    stamp = book.clock.now().strftime("%d%H%M%S")
    name, extension = f"gone-{stamp}", f"8{stamp[-3:]}"
    agent = _make_agent(auth, book, name, extension)
    desk, _bus = _desk(book, ScriptedAmi(), Clock())
    await desk.login(agent)
    desk.on_queue_event(_queue("ringing", "c9", name, extension, caller="13900003333"))
    desk.on_queue_event(QueueEvent("abandoned", "c9", "intake", position=1, wait_s=7))
    assert desk.states[name].status == "available" and desk.states[name].call is None
    desk.on_queue_event(_queue("ringing", "c10", name, extension))
    desk.on_queue_event(_queue("no-answer", "c10", name, extension, ring_s=20))
    assert desk.states[name].call is None
    try:
        await desk.save_case(agent, "c10", {"description": "x", "category": "x"})
    except Exception as exc:  # the page gets a 409 with this reason
        assert "no longer on your screen" in str(exc)
    else:
        raise AssertionError("saving a call that is gone must be refused")


async def test_an_agent_whose_phone_drops_mid_call_is_not_left_stuck(book: CaseBook, auth: AuthService) -> None:
    """The phone vanishes: Asterisk ends the call (agent side) and marks the member unavailable;
    the desk shows the phone offline and wrap-up ends by itself after `wrapup_max_s`."""
    stamp = book.clock.now().strftime("%d%H%M%S")
    name, extension = f"drop-{stamp}", f"9{stamp[-3:]}"
    agent = _make_agent(auth, book, name, extension)
    ami, clock = ScriptedAmi(), Clock()
    desk, bus = _desk(book, ami, clock, wrapup_max_s=30)
    await desk.login(agent)
    desk.on_queue_event(_queue("ringing", "c5", name, extension))
    desk.on_queue_event(_queue("answered", "c5", name, extension))
    desk.on_queue_event(_queue("completed", "c5", name, extension, reason="agent"))
    gone = QueueEvent("member", "", "intake", member=name, interface=f"PJSIP/{extension}", member_status=5)
    desk.on_queue_event(gone)
    assert desk.states[name].status == "wrap_up" and desk.states[name].phone_online is False
    clock.now += 31
    with bus.subscribe() as sub:
        runner = asyncio.create_task(desk.run())
        ready = await sub.get(timeout=5)  # the desk's loop looks at its wrap-ups every second
        while ready.name != "agent.ready":
            ready = await sub.get(timeout=5)
        runner.cancel()
    assert ready.name == "agent.ready" and ready.data["how"] == "timeout"
    assert desk.states[name].status == "available"
    assert await desk.state(agent) is desk.states[name]


async def test_the_queue_letting_go_of_an_answered_caller_keeps_the_pop(book: CaseBook, auth: AuthService) -> None:
    """app_queue raises QueueCallerLeave just before AgentConnect when a call is answered; a
    caller who left without an answer (gone to leave a message) leaves the screen a moment later."""
    stamp = book.clock.now().strftime("%d%H%M%S")
    name, extension = f"keep-{stamp}", f"5{stamp[-3:]}"
    agent = _make_agent(auth, book, name, extension)
    desk, _bus = _desk(book, ScriptedAmi(), Clock(), left_grace_s=0.2)
    await desk.login(agent)
    desk.on_queue_event(_queue("ringing", "c1", name, extension))
    desk.on_queue_event(QueueEvent("left", "c1", "intake", position=1))
    desk.on_queue_event(_queue("answered", "c1", name, extension))
    await asyncio.sleep(0.4)  # the grace has passed: the answered call stays
    assert desk.states[name].status == "on_call"
    desk.on_queue_event(_queue("completed", "c1", name, extension, reason="caller"))
    await desk.ready(agent)
    desk.on_queue_event(_queue("ringing", "c2", name, extension))
    desk.on_queue_event(QueueEvent("left", "c2", "intake", position=1))
    assert desk.states[name].status == "ringing"
    for _ in range(50):  # the unanswered caller leaves the screen once the grace is over
        await asyncio.sleep(0.05)
        if desk.states[name].call is None:
            break
    assert desk.states[name].status == "available" and desk.states[name].call is None
