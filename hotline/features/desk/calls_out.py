"""What an agent does with a call from the page, beyond answering it: hand the caller on (a blind
transfer), or call a case's citizen (click-to-dial); and the calls an agent's phone has outside
the queues (a caller transferred to them, their call to a citizen), followed from the dialplan's
events as the queues' calls are from app_queue's: the screen pop, the state, the wrap-up, and
`call.agent-*` in the call's log. A part of `AgentDesk` (services.py), split out along its own
seam; all go through Asterisk's dialplan (dialplans/extensions.conf.j2).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from casebook.agents.services import AgentDirectory
from casebook.auth.policy import Actor
from casebook.cases.services import CaseBook
from casebook.db.models import Unit
from common.bus import EventBus, PlatformEvent
from hotline.features.desk.errors import DeskError, NoCall, NoCarrier, OnACall
from hotline.features.desk.screenpop import DeskCall
from ivr.lines import LineBook
from telephony.ami.client import AmiClient
from telephony.ami.queue_events import QueueEvent

if TYPE_CHECKING:
    from hotline.features.desk.services import DeskState

TRANSFER_CONTEXT = "hotline-transfer"  # q-<queue>, a-<extension>, u-<unit's phone>
CONSULT_CONTEXT = "hotline-consult"  # 0: the transfer target the desk put on the agent's leg (HL_CONSULT)
DIAL_OUT_CONTEXT = "hotline-dial-out"  # the agent's phone, answered, rings the citizen through the carrier
DIAL_RING_S = 30  # how long the agent's own phone rings for a call out
# an attended transfer's end, as keys on the agent's leg (dialplans/features.conf.j2)
CONSULT_KEYS = {"complete": "*2", "three-way": "*3", "cancel": "*1"}


class CallControls:
    """Needs of the desk (given by `AgentDesk`)."""

    ami: AmiClient
    directory: AgentDirectory
    lines: LineBook | None
    book: CaseBook | None
    dial_out: bool
    clock: Callable[[], float]
    bus: EventBus
    states: dict[str, DeskState]
    dial_ring_s: float = DIAL_RING_S

    if TYPE_CHECKING:

        async def state(self, actor: Actor) -> DeskState: ...
        async def _ami(self, action: Awaitable[None]) -> None: ...
        def _event(self, state: DeskState, name: str, **data: object) -> None: ...
        def _ring(self, state: DeskState, event: QueueEvent) -> None: ...
        def _push(self, state: DeskState, **extra: object) -> None: ...
        def _start_wrapup(self, state: DeskState) -> None: ...
        def _spawn(self, work: Awaitable[None]) -> None: ...

    async def transfer(self, actor: Actor, to: str, target: str) -> DeskState:
        """Hand the caller on (a blind transfer): into another queue, or to another agent's phone
        (who, not answering, sends the caller back to the queue they came from). The agent leaves
        the call and is in wrap-up."""
        state = await self.state(actor)
        call = state.call
        if call is None or call.answered_at is None or call.ended_at is not None or not call.agent_channel:
            raise NoCall("there is no call in progress to transfer")
        exten = await self._transfer_target(to, target, state)
        await self._ami(self.ami.blind_transfer(call.agent_channel, TRANSFER_CONTEXT, exten))
        self._event(state, "agent.transferred", call=call.call_id, to=to, target=target)
        return state

    async def consult(self, actor: Actor, to: str, target: str) -> DeskState:
        """Talk to someone before handing the caller on (an attended transfer): the queue, the
        agent or the unit's phone is called from the agent's leg while the caller hears music;
        then `finish_consult` hands the caller over, joins all three (会办), or goes back."""
        state = await self.state(actor)
        call = state.call
        if call is None or call.answered_at is None or call.ended_at is not None or not call.agent_channel:
            raise NoCall("there is no call in progress to consult on")
        if call.consulting:
            raise OnACall(f"you are already consulting {call.consulting}: finish that first")
        exten = await self._transfer_target(to, target, state)
        # Asterisk dials an attended transfer's target as keys (digits only): the target rides on
        # the agent's leg, inherited by the call Asterisk makes, and the keys are just "0"
        await self._ami(self.ami.set_variable(call.agent_channel, "__HL_CONSULT", exten))
        # and the call it is about: the one consulted sees the caller and their history (screen pop)
        for name, value in (("__HL_CALL_ID", call.call_id), ("__HL_CALLER", call.caller), ("__HL_NUMBER", call.line)):
            if value:
                await self._ami(self.ami.set_variable(call.agent_channel, name, value))
        await self._ami(self.ami.attended_transfer(call.agent_channel, CONSULT_CONTEXT, "0"))
        call.consulting = f"{to}:{target}"
        self._event(state, "agent.consulting", call=call.call_id, to=to, target=target)
        return state

    async def finish_consult(self, actor: Actor, how: str) -> DeskState:
        """complete: the caller goes to the one consulted, the agent leaves (wrap-up follows);
        three-way: all three talk together; cancel: the one consulted is let go, back to the caller."""
        state = await self.state(actor)
        call = state.call
        if call is None or not call.consulting or call.ended_at is not None:
            raise NoCall("you are not consulting anybody now")
        await self._ami(self.ami.press(call.agent_channel, CONSULT_KEYS[how]))
        consulted, call.consulting = call.consulting, ""
        call.three_way = how == "three-way"
        self._event(state, f"agent.consult-{how}", call=call.call_id, consulted=consulted)
        return state

    async def units_with_phones(self) -> list[dict[str, str]]:
        """The units an agent can hand a caller to or call in: those with a duty phone, when calls
        out are possible (a carrier)."""
        if not self.dial_out or self.book is None:
            return []

        def read() -> list[dict[str, str]]:
            assert self.book is not None
            with self.book.sessions() as s:
                rows = s.scalars(select(Unit).where(Unit.active, Unit.phone.is_not(None)).order_by(Unit.code))
                return [{"code": u.code, "name_zh": u.name_zh, "name_en": u.name_en} for u in rows]

        return await asyncio.to_thread(read)

    async def _unit_phone(self, code: str) -> str:
        """The digits of an active unit's duty phone (what the carrier dials)."""
        if not self.dial_out:
            raise NoCarrier("calls out are not possible: no carrier is configured (HOTLINE_CARRIER_URI)")
        book = self.book
        if book is None:
            raise DeskError("this desk has no casebook")

        def read() -> str:
            with book.sessions() as s:
                where = (Unit.code == code, Unit.active, Unit.phone.is_not(None))
                return str(s.scalar(select(Unit.phone).where(*where)) or "")

        digits = _digits(await asyncio.to_thread(read))
        if not digits:
            raise DeskError(f"no unit {code!r} with a duty phone")
        return digits

    async def _transfer_target(self, to: str, target: str, state: DeskState) -> str:
        if to == "unit":
            return f"u-{await self._unit_phone(target)}"
        if to == "queue":
            if self.lines is None or target not in self.lines.queues:
                raise DeskError(f"no queue {target!r}")
            return f"q-{target}"
        owners = await asyncio.to_thread(self.directory.owners)
        extension = next((ext for ext, name in owners.items() if name == target), None)
        if extension is None:
            raise DeskError(f"no agent {target!r} with a phone")
        if extension == state.extension:
            raise DeskError("a call is not transferred to oneself")
        theirs = self.states.get(target)
        if theirs is not None and not theirs.phone_online:  # the caller would only go back to the queue
            raise DeskError(f"{target}'s phone is not connected: nobody would answer")
        return f"a-{extension}"

    async def dial_case(self, actor: Actor, number: str) -> tuple[DeskState, str]:
        """Call the case's citizen (click-to-dial): the agent's phone rings first (the case's
        number on its screen), then, answered, the citizen's through the carrier; recorded as every
        conversation, and in the case's history. The call's id is chosen here, so that its
        recording joins the case."""
        state = await self.state(actor)
        if state.status in ("ringing", "on_call"):
            raise OnACall("you are on a call: finish it first")
        if not self.dial_out:
            raise NoCarrier("calls out are not possible: no carrier is configured (HOTLINE_CARRIER_URI)")
        if self.book is None:
            raise DeskError("this desk has no casebook")
        call_id = f"{int(self.clock())}.{secrets.randbelow(10**9)}"
        phone = await asyncio.to_thread(self.book.dialling, number, actor, call_id)
        digits = _digits(phone)
        call = DeskCall(call_id, "", digits, "", "", [], self.clock(), case_number=number, direction="out")
        state.call = call  # the desk is on this call from now: a second click is refused
        try:
            await self._ami(
                self.ami.originate_to_dialplan(
                    state.interface, call_id, DIAL_OUT_CONTEXT, digits, label=number, ring_s=round(self.dial_ring_s)
                )
            )
        except Exception:
            state.call = None
            self._push(state)
            raise
        self._event(state, "agent.dialled", case=number, call=call_id)
        self._spawn(self._forget_unanswered(state, call, self.dial_ring_s + 5))
        return state, call_id

    async def _forget_unanswered(self, state: DeskState, call: DeskCall, after_s: float) -> None:
        """The agent's own phone never answered the call out (no dialplan ran to tell): free the desk."""
        await asyncio.sleep(after_s)
        if state.call is call and call.answered_at is None:
            state.call = None
            self._push(state, cancelled="no-answer")

    # --- an agent's calls outside the queues --------------------------------------------------------------
    def on_direct_event(self, event: QueueEvent) -> None:
        """The dialplan's word on an agent's phone in a call no queue tells (queue_events.py): a
        caller transferred to the agent rings (the screen pop, as from a queue), is answered, missed
        (back to the queue) or ends (wrap-up); the agent's call to a citizen is answered or ends."""
        state = self._desk_of(event)
        if state is None:
            return
        call = state.call
        mine = call is not None and call.call_id == event.call_id
        if event.kind == "direct-ringing":
            if call is not None and call.ended_at is None:
                return  # busy on another call: Asterisk will not get through either
            self._ring(state, event)
            self._log_call(state, event, "ringing", **event.public())
        elif not mine or call is None:
            return
        elif event.kind == "direct-answered" and call.answered_at is None:
            call.answered_at = self.clock()
            call.agent_channel = event.member_channel
            self._push(state)
            self._log_call(state, event, "answered")
        elif event.kind == "direct-missed" and call.answered_at is None:
            state.call = None
            self._push(state, cancelled="no-answer")
            self._log_call(state, event, "missed")
        elif event.kind == "direct-ended" and call.answered_at is not None and call.ended_at is None:
            call.ended_at = self.clock()
            call.ended_by = "hangup"
            self._start_wrapup(state)
            self._log_call(state, event, "ended", talk_s=round(call.ended_at - call.answered_at, 1))

    def _desk_of(self, event: QueueEvent) -> DeskState | None:
        """The desk of the phone the dialplan names (the agent who handed the caller on may still
        show the same call, in wrap-up); failing that, the desk on this call."""
        extension = event.extension.removesuffix("-web")
        found = next((s for s in self.states.values() if s.extension == extension), None)
        if found is None and event.kind != "direct-ringing":
            found = next((s for s in self.states.values() if s.call and s.call.call_id == event.call_id), None)
        return found

    def _log_call(self, state: DeskState, event: QueueEvent, what: str, **data: object) -> None:
        data = {**data, "member": state.username, "extension": state.extension}
        data.pop("queue", None)
        self.bus.publish(PlatformEvent(f"call.agent-{what}", event.call_id, data))


def _digits(phone: str) -> str:
    """What the carrier dials: the number's digits ("+86 28-8123" -> "86288123")."""
    return "".join(ch for ch in phone if ch.isdigit())
