"""Desk actions and the agent's live state: queues, pause, the call on screen, wrap-up.

Asterisk's queues hold the membership (AMI QueueAdd/QueueRemove/QueuePause on the agent's
phone); every action is also an event on the bus (agent.login, agent.logout, agent.paused,
agent.resumed, agent.wrapup, agent.ready), so the call log keeps the agents' states for the
metrics. The queue's own events (ringing, answered, completed...) move the state on: ringing
opens the screen pop, the end of the call starts wrap-up, which lasts until the agent saves the
case, presses ready, or `wrapup_max_s` runs out. Wrap-up does not pause the agent in Asterisk:
the queue keeps calls away for its own `wrapuptime` after each call, and an agent who needs
longer pauses with a reason (a paused-for-wrap-up desk would, when everybody is writing up, turn
new callers away from the queue altogether).

The state lives in memory; `resync()` rebuilds membership and pauses from Asterisk
(QueueStatus), so a restarted platform finds its agents where they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from casebook.agents.services import AgentDirectory, SipAccount
from casebook.auth.policy import Actor
from casebook.cases.desk import CallDraft, save_call
from casebook.cases.services import CaseBook
from common.bus import EventBus, PlatformEvent
from hotline.features.desk.calls_out import CallControls
from hotline.features.desk.errors import NoCall, NoPhone, PhoneSystemDown
from hotline.features.desk.live import DeskLive
from hotline.features.desk.messages import StateMessage, TranscriptMessage
from hotline.features.desk.screenpop import DeskCall, compose, line_name, refresh_suggestion
from ivr.lines import LineBook
from telephony.ami.client import AmiClient, AmiError
from telephony.ami.queue_events import QueueEvent

log = logging.getLogger(__name__)

UNAVAILABLE = 5  # Asterisk device state of a phone that is not registered
MAX_CALLS_FOLLOWED = 5000  # callers in the queues whose words are kept for the pop


@dataclass
class DeskState:
    username: str
    extension: str
    queues: dict[str, int] = field(default_factory=dict)  # logged in: queue -> penalty
    paused: bool = False
    reason: str = ""
    call: DeskCall | None = None
    wrapup_since: float | None = None
    phone_online: bool = True
    phone: str = "desk"  # desk (a SIP phone on the desk) or browser (the page's WebRTC softphone)
    pause_reasons: list[dict[str, str]] = field(default_factory=list)  # of the agent's queues: code, zh, en

    @property
    def interface(self) -> str:
        """The queue member: the agent's desk phone, or its browser twin `<ext>-web`."""
        return f"PJSIP/{self.extension}-web" if self.phone == "browser" else f"PJSIP/{self.extension}"

    @property
    def status(self) -> str:
        """logged_out, available, paused, ringing, on_call or wrap_up."""
        if self.call is not None and self.call.ended_at is None:
            return "on_call" if self.call.answered_at is not None else "ringing"
        if self.wrapup_since is not None:
            return "wrap_up"
        if not self.queues:
            return "logged_out"
        return "paused" if self.paused else "available"

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "extension": self.extension,
            "status": self.status,
            "queues": self.queues,
            "paused": self.paused,
            "reason": self.reason,
            "phone_online": self.phone_online,
            "phone": self.phone,
            "wrapup_since": self.wrapup_since,
            "call": self.call.to_json() if self.call is not None else None,
            "pause_reasons": self.pause_reasons,
        }


class AgentDesk(CallControls):
    def __init__(
        self,
        directory: AgentDirectory,
        ami: AmiClient,
        bus: EventBus,
        *,
        book: CaseBook | None = None,
        lines: LineBook | None = None,
        live: DeskLive | None = None,
        wrapup_max_s: float = 180.0,
        clock: Callable[[], float] | None = None,
        softphone_ws_url: str = "",
        sip_domain: str = "hotline",
        left_grace_s: float = 2.0,
        dial_out: bool = False,
    ) -> None:
        # app_queue raises QueueCallerLeave just before AgentConnect when a call is answered: a
        # caller who left without an answer leaves the agent's screen only after this grace
        self.left_grace_s = left_grace_s
        self.dial_out = dial_out  # a carrier is configured: agents may call citizens from a case
        self.softphone_ws_url = softphone_ws_url
        self.sip_domain = sip_domain
        self.directory = directory
        self.ami = ami
        self.bus = bus
        self.book = book
        self.lines = lines
        self.live = live or DeskLive()
        self.wrapup_max_s = wrapup_max_s
        self.states: dict[str, DeskState] = {}
        self.calls_in_queue: dict[str, list[str]] = {}  # call id -> utterances heard so far
        self._tasks: set[asyncio.Task[Any]] = set()
        self.clock = clock or time.time

    # --- the agent's actions ---------------------------------------------------------------------------
    async def state(self, actor: Actor) -> DeskState:
        phone = await self._phone(actor)
        return self._at_desk(actor, phone)

    def _at_desk(self, actor: Actor, phone: SipAccount) -> DeskState:
        """The agent's desk, with the reasons to pause of their skills' queues (the lines may change)."""
        state = self.states.setdefault(actor.name, DeskState(actor.name, phone.extension))
        if self.lines is not None:
            reasons = self.lines.pause_reasons([q for q in phone.skills if q in self.lines.queues] or None)
            state.pause_reasons = [r.model_dump() for r in reasons]
        return state

    async def login(self, actor: Actor, phone_kind: str = "desk") -> DeskState:
        """Join the queues of one's skills, answering on the desk phone or the browser phone
        (switching phones is logging in again with the other one)."""
        phone = await self._phone(actor)
        state = self._at_desk(actor, phone)
        if state.queues and state.phone != phone_kind:
            for queue in list(state.queues):
                await self._ami(self._remove(queue, state.interface))
                del state.queues[queue]
        state.phone = phone_kind
        for queue, penalty in sorted(phone.skills.items()):
            await self._ami(self._add(queue, state.interface, actor.name, penalty))
            state.queues[queue] = penalty
        if state.paused:
            await self._ami(self.ami.queue_pause(None, state.interface, False))
        state.paused, state.reason = False, ""
        state.phone_online = await self._phone_answers(state)
        self._event(state, "agent.login", queues=sorted(state.queues), phone=phone_kind)
        return state

    async def _phone_answers(self, state: DeskState) -> bool:
        """Whether the phone just put in the queues answers Asterisk: a phone never registered raises
        no member event, and would be shown and counted available while callers hear "no agent"
        (issue 19). Asterisk not telling now: as it was."""
        try:
            members = await self.ami.queue_members()
        except (AmiError, ConnectionError, TimeoutError) as exc:
            log.warning("could not read whether %s's phone answers: %s", state.username, exc)
            return state.phone_online
        mine = [m.status for m in members if m.interface == state.interface]
        return not mine or any(status != UNAVAILABLE for status in mine)

    async def logout(self, actor: Actor) -> DeskState:
        state = await self.state(actor)
        for queue in list(state.queues):
            await self._ami(self._remove(queue, state.interface))
            del state.queues[queue]
        state.paused, state.reason = False, ""
        if state.wrapup_since is not None:
            self._end_wrapup(state, "logout")
        self._event(state, "agent.logout")
        return state

    async def pause(self, actor: Actor, reason: str) -> DeskState:
        state = await self.state(actor)
        if not state.queues:
            return state
        await self._ami(self.ami.queue_pause(None, state.interface, True, reason))
        state.paused, state.reason = True, reason
        self._event(state, "agent.paused", reason=reason)
        return state

    async def resume(self, actor: Actor) -> DeskState:
        state = await self.state(actor)
        if not state.queues:
            return state
        await self._ami(self.ami.queue_pause(None, state.interface, False))
        state.paused, state.reason = False, ""
        if state.wrapup_since is not None:
            self._end_wrapup(state, "ready")
        self._event(state, "agent.resumed")
        return state

    async def ready(self, actor: Actor) -> DeskState:
        """Wrap-up done: take calls again (the pause the agent chose themselves stays)."""
        state = await self.state(actor)
        await self._leave_wrapup(state, "ready")
        return state

    async def save_case(self, actor: Actor, call_id: str, draft: dict[str, Any]) -> tuple[DeskState, str]:
        """Register and dispatch the case of the call on screen (or just ended) in one step."""
        state = await self.state(actor)
        call = state.call
        if call is None or call.call_id != call_id:
            raise NoCall("that call is no longer on your screen")
        if self.book is None:
            raise PhoneSystemDown("the casebook is not connected to the desk")
        made = CallDraft(
            call_id=call.call_id,
            caller_number=call.caller or None,
            line=call.line or None,
            ivr_path=tuple(call.ivr_path),
            description=str(draft["description"]),
            category=str(draft["category"]),
            place=draft.get("place") or None,
            urgency=draft.get("urgency") or None,
            lead_unit=draft.get("lead_unit") or None,
            co_units=tuple(draft.get("co_units") or ()),
        )
        case = await asyncio.to_thread(save_call, self.book, actor, made)
        call.case_number = case.number
        self._event(state, "agent.case-saved", case=case.number, call=call.call_id)
        if call.ended_at is not None:
            await self._leave_wrapup(state, "saved")
        else:
            self._push(state)
        return state, case.number

    # --- what the queues tell ---------------------------------------------------------------------------
    def on_queue_event(self, event: QueueEvent) -> None:
        """Called for every queue event (in the event loop, from the AMI reader)."""
        if event.kind == "joined":
            self.calls_in_queue.setdefault(event.call_id, [])
            while len(self.calls_in_queue) > MAX_CALLS_FOLLOWED:  # events missed: forget the oldest
                del self.calls_in_queue[next(iter(self.calls_in_queue))]
            return
        if event.kind == "abandoned":
            self.calls_in_queue.pop(event.call_id, None)
            self._clear_unanswered(event.call_id, event.kind)
            return
        if event.kind == "left":
            # also raised when the call is answered, just before AgentConnect: only a call that is
            # still unanswered a moment later has really gone (to leave a message, say)
            self._spawn(self._clear_later(event.call_id))
            return
        if event.kind == "member":
            self._on_member(event)
            return
        if event.kind.startswith("direct-"):
            self.on_direct_event(event)
            return
        state = self._state_of_member(event)
        if state is None:
            return
        if event.kind == "ringing":
            self._ring(state, event)
        elif event.kind == "no-answer":
            if state.call is not None and state.call.call_id == event.call_id and state.call.answered_at is None:
                state.call = None
                self._push(state, cancelled="no-answer")
        elif event.kind == "answered":
            if state.call is None or state.call.call_id != event.call_id:
                self._ring(state, event)
            assert state.call is not None
            state.call.answered_at = self.clock()
            state.call.wait_s = event.wait_s
            state.call.agent_channel = event.member_channel
            self._push(state)
        elif event.kind in ("completed", "transferred"):
            self.calls_in_queue.pop(event.call_id, None)
            if state.call is not None and state.call.call_id == event.call_id:
                state.call.ended_at = self.clock()
                state.call.ended_by = event.reason or event.kind
                self._start_wrapup(state)

    def on_platform_event(self, event: PlatformEvent) -> None:
        """Live transcript of the calls in the queues and on the agents' screens."""
        if event.name not in ("transcript.partial", "transcript.final"):
            return
        text = str(event.data.get("text", "")).strip()
        heard = self.calls_in_queue.get(event.call_id)
        final = event.name == "transcript.final"
        if heard is not None and final and text:
            heard.append(text)
        for state in self.states.values():
            call = state.call
            if call is None or call.call_id != event.call_id:
                continue
            if final:
                if text:
                    call.heard.append(text)
                call.partial = ""
                self.live.push(state.username, TranscriptMessage(final=text, transcript=call.transcript))
                self._spawn(self._suggest(state, call))
            else:
                call.partial = text
                self.live.push(state.username, TranscriptMessage(partial=text))

    async def resync(self) -> int:
        """Membership and pauses as Asterisk has them (after a restart or a lost connection)."""
        members = await self.ami.queue_members()
        owners = await asyncio.to_thread(self.directory.owners)
        by_agent: dict[str, DeskState] = {}
        for member in members:
            device = member.interface.split("/", 1)[-1]
            extension = device.removesuffix("-web")
            username = owners.get(extension)
            if username is None:
                continue
            state = self.states.setdefault(username, DeskState(username, extension))
            if username not in by_agent:
                by_agent[username] = state
                state.queues = {}
                state.phone = "browser" if device.endswith("-web") else "desk"
            state.queues[member.queue] = member.penalty
            state.paused = member.paused
            state.reason = member.reason
            state.phone_online = member.status != UNAVAILABLE
        for username, state in self.states.items():
            if username not in by_agent and state.queues:
                state.queues, state.paused, state.reason = {}, False, ""
        for state in self.states.values():
            self._push(state)
        return len(members)

    async def run(self) -> None:
        """Follow the bus (transcripts) and close wrap-ups that ran out; resync every minute."""
        with self.bus.subscribe(50_000) as subscription:
            next_resync = 0.0
            while True:
                with contextlib.suppress(TimeoutError):
                    self.on_platform_event(await subscription.get(timeout=1.0))
                    while not subscription.queue.empty():
                        self.on_platform_event(subscription.queue.get_nowait())
                now = self.clock()
                for state in list(self.states.values()):
                    if state.wrapup_since is not None and now - state.wrapup_since > self._wrapup_limit(state):
                        await self._leave_wrapup(state, "timeout")
                if now >= next_resync and self.ami.connected:
                    next_resync = now + 60
                    try:
                        await self.resync()
                    except (AmiError, ConnectionError, TimeoutError) as exc:
                        log.warning("desk resync from AMI failed (%s); next try in a minute", exc)

    # --- helpers -------------------------------------------------------------------------------------
    def _ring(self, state: DeskState, event: QueueEvent) -> None:
        call = DeskCall(
            call_id=event.call_id,
            queue=event.queue,
            caller=event.caller,
            line=event.line,
            line_name=line_name(self.lines, event.line),
            ivr_path=[p for p in event.ivr_path.split(">") if p],
            rang_at=self.clock(),
            wait_s=event.wait_s,
            heard=list(self.calls_in_queue.get(event.call_id, [])),
        )
        if state.wrapup_since is not None:  # Asterisk rang: the agent is taking calls again
            self._end_wrapup(state, "next-call")
        state.call = call
        self._push(state)  # at once: who is calling; the history follows
        if self.book is not None:
            self._spawn(self._compose(state, call))

    def _clear_unanswered(self, call_id: str, why: str) -> None:
        """A queue's caller who left unanswered leaves the screens it rang on (not a screen the
        caller reached outside the queues: a colleague's transfer, queue "", follows its own)."""
        for state in self.states.values():
            call = state.call
            if call is not None and call.call_id == call_id and call.answered_at is None and call.queue:
                state.call = None
                self._push(state, cancelled=why)

    async def _clear_later(self, call_id: str) -> None:
        await asyncio.sleep(self.left_grace_s)
        self._clear_unanswered(call_id, "left")
        if not any(s.call is not None and s.call.call_id == call_id for s in self.states.values()):
            self.calls_in_queue.pop(call_id, None)  # gone to leave a message

    async def _compose(self, state: DeskState, call: DeskCall) -> None:
        assert self.book is not None
        try:
            await asyncio.to_thread(compose, self.book, call)
        except Exception:
            log.exception("screen pop: the caller's history could not be read")
        if state.call is call:
            self._push(state)

    async def _suggest(self, state: DeskState, call: DeskCall) -> None:
        if self.book is None:
            return
        try:
            found = await asyncio.to_thread(refresh_suggestion, self.book, call)
        except Exception:
            log.exception("screen pop: no suggestion")
            return
        if state.call is call and found is not None:
            self._push(state)

    def _on_member(self, event: QueueEvent) -> None:
        state = self._state_of_member(event)
        if state is None or event.member_status is None:
            return
        online = event.member_status != UNAVAILABLE
        if online != state.phone_online:
            state.phone_online = online
            self._event(state, "agent.phone-online" if online else "agent.phone-offline")

    def _wrapup_limit(self, state: DeskState) -> float:
        """The longest wrap-up after this call: its queue's own (lines file), else the desk's."""
        queue = state.call.queue if state.call is not None else ""
        limit = self.lines.rules(queue).wrapup_max_s if self.lines is not None and queue else None
        return float(limit) if limit is not None else self.wrapup_max_s

    def _start_wrapup(self, state: DeskState) -> None:
        state.wrapup_since = self.clock()
        self._event(state, "agent.wrapup", call=state.call.call_id if state.call else "")

    async def _leave_wrapup(self, state: DeskState, how: str) -> None:
        if state.wrapup_since is None:
            self._push(state)
            return
        self._end_wrapup(state, how)

    def _end_wrapup(self, state: DeskState, how: str) -> None:
        assert state.wrapup_since is not None
        seconds = round(self.clock() - state.wrapup_since, 1)
        state.wrapup_since = None
        call = state.call
        if call is not None and call.ended_at is not None:
            state.call = None
        self._event(state, "agent.ready", wrapup_s=seconds, how=how, call=call.call_id if call else "")

    def _state_of_member(self, event: QueueEvent) -> DeskState | None:
        state = self.states.get(event.member)
        if state is None and event.extension:
            extension = event.extension.removesuffix("-web")
            state = next((s for s in self.states.values() if s.extension == extension), None)
        return state

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _push(self, state: DeskState, **extra: Any) -> None:
        self.live.push(state.username, StateMessage.model_validate({**state.to_json(), **extra}))

    async def _phone(self, actor: Actor) -> SipAccount:
        phone = await asyncio.to_thread(self.directory.phone_of, actor.name)
        if phone is None:
            raise NoPhone(f"{actor.name} has no phone: an administrator gives one (POST /api/v1/agents)")
        return phone

    async def _add(self, queue: str, interface: str, member: str, penalty: int) -> None:
        try:
            await self.ami.queue_add(queue, interface, member_name=member, penalty=penalty)
        except AmiError as exc:
            if "already" not in str(exc).lower():  # logged in already: fine
                raise

    async def _remove(self, queue: str, interface: str) -> None:
        try:
            await self.ami.queue_remove(queue, interface)
        except AmiError as exc:
            if "not there" not in str(exc).lower():
                raise

    async def _ami(self, action: Awaitable[None]) -> None:
        try:
            await action
        except AmiError as exc:
            raise PhoneSystemDown(f"the phone system did not take it: {exc}") from exc
        except (ConnectionError, TimeoutError) as exc:
            raise PhoneSystemDown("the phone system is not reachable; try again in a moment") from exc

    def _event(self, state: DeskState, name: str, **data: object) -> None:
        self.bus.publish(
            PlatformEvent(
                name, f"agent:{state.username}", {"extension": state.extension, "status": state.status, **data}
            )
        )
        self._push(state)
