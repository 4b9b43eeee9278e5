"""The desk follows an agent's calls outside the queues (logic only, over a scripted AMI; the
e2e tests test_transfer.py and test_click_to_dial.py ring real phones): a caller a colleague
transfers to the agent, and the agent's own call to a case's citizen."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from casebook.auth.policy import SYSTEM, Actor
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from hotline.features.desk.errors import DeskError, NoCall, NoCarrier
from hotline.features.desk.services import DeskState
from telephony.ami.queue_events import QueueEvent, translate
from tests.unit.test_desk import ScriptedAmi
from tests.unit.test_queue_events_and_screen_pop import CALLER_VARS, Clock, _desk, _make_agent


class DiallingAmi(ScriptedAmi):
    def __init__(self) -> None:
        super().__init__()
        self.originated: list[tuple[str, str, str]] = []

    async def originate_to_dialplan(
        self, channel: str, channel_id: str, context: str, exten: str, *, label: str, ring_s: int = 30
    ) -> None:
        self.originated.append((channel, channel_id, exten))


def _user_event(state: str, call: str, extension: str, **fields: Any) -> dict[str, Any]:
    return {
        "Event": "UserEvent",
        "UserEvent": "HotlineAgentCall",
        "State": state,
        "Call": call,
        "Extension": extension,
        **fields,
    }


def _direct(state: str, call: str, extension: str, **fields: Any) -> QueueEvent:
    event = translate(_user_event(state, call, extension, **fields))
    assert event is not None
    return event


def test_the_dialplans_word_on_an_agents_call_becomes_a_desk_event() -> None:
    ringing = translate(_user_event("ringing", "17.1", "6001", ChanVariable=CALLER_VARS, CallerIDNum="13912345678"))
    assert ringing is not None and ringing.kind == "direct-ringing" and ringing.queue == ""
    assert ringing.call_id == "17.1" and ringing.extension == "6001" and ringing.line == "12345"
    assert ringing.caller == "13912345678" and ringing.member_channel == ""
    answered = translate(_user_event("answered", "17.1", "6001", Channel="PJSIP/6001-0000002a"))
    assert answered is not None and answered.kind == "direct-answered"
    assert answered.member_channel == "PJSIP/6001-0000002a"  # the leg a further transfer moves
    # a consultation rings from the agent's leg: the desk named the caller it is about (HL_CALLER)
    consulted = translate(_user_event("ringing", "17.1", "6002", CallerIDNum="6001", Caller="13912345678"))
    assert consulted is not None and consulted.caller == "13912345678"
    # anything else the dialplan says is not the desk's
    assert translate(_user_event("exploded", "17.1", "6001")) is None
    assert translate(_user_event("ended", "", "6001")) is None
    assert translate({"Event": "UserEvent", "UserEvent": "HotlineConversationEnded", "Conversation": "x"}) is None


async def test_a_caller_transferred_to_an_agent_pops_up_is_missed_or_taken_and_ends_in_wrap_up(
    book: CaseBook, auth: AuthService
) -> None:
    stamp = book.clock.now().strftime("%d%H%M%S")
    name, extension = f"direct-{stamp}", f"83{stamp[-3:]}"
    agent = _make_agent(auth, book, name, extension)
    book.open(NewAppeal(channel="phone", description="井盖丢了", caller_phone="13900002222"), SYSTEM)
    clock = Clock()
    desk, bus = _desk(book, ScriptedAmi(), clock, left_grace_s=0.01)
    await desk.state(agent)  # the page is open
    fields = {"ChanVariable": CALLER_VARS, "CallerIDNum": "13900002222"}
    with bus.subscribe() as sub, desk.live.page(name) as page:
        desk.on_queue_event(_direct("ringing", "t1", extension, **fields))
        popped = json.loads(page.get_nowait())
        assert popped["status"] == "ringing" and popped["call"]["caller"] == "13900002222"
        composed = json.loads(await asyncio.wait_for(page.get(), 10))  # the caller's earlier cases
        assert composed["call"]["history"][0]["summary"] == "井盖丢了"
        desk.on_queue_event(_direct("missed", "t1", extension))  # rang out: back to the queue
        assert desk.states[name].status == "logged_out" and desk.states[name].call is None

        desk.on_queue_event(_direct("ringing", "t2", extension, **fields))
        desk.on_queue_event(QueueEvent("left", "t2", "efficiency"))  # the queue it was transferred from
        await asyncio.sleep(0.1)
        assert desk.states[name].status == "ringing"  # still on this screen: its ring is not the queue's
        desk.on_queue_event(_direct("answered", "t2", extension, Channel="PJSIP/47-0001"))
        assert desk.states[name].status == "on_call"
        assert desk.states[name].call is not None and desk.states[name].call.agent_channel == "PJSIP/47-0001"
        desk.on_queue_event(_direct("ringing", "t3", extension, **fields))  # busy: not taken off t2
        assert desk.states[name].call is not None and desk.states[name].call.call_id == "t2"
        clock.now += 42
        desk.on_queue_event(_direct("ended", "t2", extension))
        desk.on_queue_event(_direct("ended", "t2", extension))  # the hangup handler again: once only
        assert desk.states[name].status == "wrap_up"
        published = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    logged = [(e.name, e.call_id) for e in published if e.name.startswith("call.agent-")]
    assert logged == [
        ("call.agent-ringing", "t1"),
        ("call.agent-missed", "t1"),
        ("call.agent-ringing", "t2"),
        ("call.agent-answered", "t2"),
        ("call.agent-ended", "t2"),
    ]
    ended = next(e for e in published if e.name == "call.agent-ended")
    assert ended.data["member"] == name and ended.data["talk_s"] == 42.0
    ringing = next(e for e in published if e.name == "call.agent-ringing")
    assert "13900002222" not in json.dumps(ringing.data)  # the caller masked in the log


async def test_a_call_to_a_citizen_holds_the_desk_so_a_second_click_does_not_call_twice(
    book: CaseBook, auth: AuthService
) -> None:
    stamp = book.clock.now().strftime("%d%H%M%S")
    name, extension = f"dialler-{stamp}", f"84{stamp[-3:]}"
    agent: Actor = _make_agent(auth, book, name, extension)
    number = book.open(NewAppeal(channel="phone", description="路灯坏了", caller_phone="13900003333"), SYSTEM).number
    ami, clock = DiallingAmi(), Clock()
    desk, _bus = _desk(book, ami, clock, dial_out=True)
    desk.dial_ring_s = 0.05  # the agent's phone gives up at once
    state, call_id = await desk.dial_case(agent, number)
    assert state.status == "ringing" and state.call is not None and state.call.direction == "out"
    try:
        await desk.dial_case(agent, number)
    except NoCall as exc:
        assert "on a call" in str(exc) and exc.error_id == "on_a_call"  # the page: "您正在通话中", not "no such call"
    else:
        raise AssertionError("a second call out was placed while the first rang")
    assert len(ami.originated) == 1
    # the agent's phone never answered: no dialplan ran, the desk frees itself
    await asyncio.sleep(5.2)
    assert desk.states[name].call is None and desk.states[name].status == "logged_out"

    _, call_id = await desk.dial_case(agent, number)
    desk.on_queue_event(_direct("answered", call_id, extension))
    assert desk.states[name].status == "on_call"
    desk.on_queue_event(_direct("ended", call_id, extension))
    assert desk.states[name].status == "wrap_up" and len(ami.originated) == 2


class ConsultingAmi(ScriptedAmi):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, ...]] = []

    async def attended_transfer(self, channel: str, context: str, exten: str) -> None:
        self.sent.append(("atxfer", channel, context, exten))

    async def press(self, channel: str, digits: str) -> None:
        self.sent.append(("press", channel, digits))

    async def set_variable(self, channel: str, name: str, value: str) -> None:
        self.sent.append(("set", channel, name, value))


async def test_an_agent_consults_a_colleague_or_a_units_phone_and_ends_it_with_the_transfer_keys(
    book: CaseBook, auth: AuthService
) -> None:
    from casebook.db.models import Unit

    stamp = book.clock.now().strftime("%d%H%M%S")
    name, extension = f"consult-{stamp}", f"85{stamp[-3:]}"
    other, other_ext = f"consulted-{stamp}", f"86{stamp[-3:]}"
    agent = _make_agent(auth, book, name, extension)
    _make_agent(auth, book, other, other_ext)
    with book.sessions() as s:  # a unit with a duty phone
        duty = Unit(code=f"duty-{stamp}", kind="department", name_zh="值班单位", name_en="Duty unit", phone="+8628123")
        s.merge(duty)
        s.commit()
    ami = ConsultingAmi()
    desk, _bus = _desk(book, ami, Clock())
    try:
        await desk.consult(agent, "agent", other)
    except NoCall as exc:
        assert "no call in progress" in str(exc)
    else:
        raise AssertionError("a consultation without a call was begun")
    await desk.state(agent)
    desk.on_queue_event(
        QueueEvent("ringing", "k1", "intake", member=name, interface=f"PJSIP/{extension}", caller="13900004444")
    )
    leg = f"PJSIP/{extension}-01"
    desk.on_queue_event(QueueEvent("answered", "k1", "intake", member=name, interface=leg[:-3], member_channel=leg))
    desk.states[other] = DeskState(other, other_ext, phone_online=False)  # in the queues, no phone answering
    try:
        await desk.consult(agent, "agent", other)
    except DeskError as exc:
        assert "phone is not connected" in str(exc)
    else:
        raise AssertionError("a caller was offered to a colleague whose phone nobody answers")
    desk.states[other].phone_online = True
    state = await desk.consult(agent, "agent", other)
    assert state.call is not None and state.call.consulting == f"agent:{other}"
    assert ami.sent[-4:] == [
        ("set", f"PJSIP/{extension}-01", "__HL_CONSULT", f"a-{other_ext}"),  # the target, on the agent's leg
        ("set", f"PJSIP/{extension}-01", "__HL_CALL_ID", "k1"),  # the call it is about: the colleague's pop
        ("set", f"PJSIP/{extension}-01", "__HL_CALLER", "13900004444"),
        ("atxfer", f"PJSIP/{extension}-01", "hotline-consult", "0"),  # dialled as keys: digits only
    ]
    try:
        await desk.consult(agent, "queue", "intake")
    except NoCall as exc:
        assert "already consulting" in str(exc)
    await desk.finish_consult(agent, "three-way")
    assert ami.sent[-1] == ("press", f"PJSIP/{extension}-01", "*3") and state.call.three_way
    try:
        await desk.finish_consult(agent, "cancel")
    except NoCall as exc:
        assert "not consulting" in str(exc)
    try:  # a unit's phone needs a carrier
        await desk.consult(agent, "unit", f"duty-{stamp}")
    except NoCarrier as exc:
        assert "no carrier" in str(exc)
    desk.dial_out = True
    await desk.consult(agent, "unit", f"duty-{stamp}")
    assert ("set", leg, "__HL_CONSULT", "u-8628123") in ami.sent  # the digits, through the carrier
    targets = await desk.units_with_phones()
    assert {"code": f"duty-{stamp}", "name_zh": "值班单位", "name_en": "Duty unit"} in targets
