"""Queue events from AMI, translated into the platform's own named events.

Asterisk's app_queue tells AMI (class `agent`) when a caller joins a queue, when a member's phone
rings, is answered, is not answered, when the call ends, and when a caller gives up. The
platform stores these itself (the call log) instead of reading Asterisk's in-memory counters,
which are lost at every restart and cannot be asked about last week.

The caller's channel carries the hotline's own variables (HL_CALL_ID, HL_NUMBER, HL_IVR_PATH),
which manager.conf's `channelvars` adds to every event, so a queue event is tied to the call
the IVR handed over even after the platform restarted.

`translate` is pure (an AMI message in, a `QueueEvent` out); `QueueEvents` wires it to the AMI
connection, publishes the events (caller number masked) and hands the full facts to in-process
listeners such as the agent desk's screen pop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from common.listeners import Listeners
from common.privacy import mask_number
from telephony.ami.client import AmiClient
from telephony.calls.notifier import CallNotifier

log = logging.getLogger(__name__)

# AMI event -> the platform's kind (published as `queue.<kind>`)
KINDS = {
    "QueueCallerJoin": "joined",
    "AgentCalled": "ringing",
    "AgentRingNoAnswer": "no-answer",
    "AgentConnect": "answered",
    "AgentComplete": "completed",
    "QueueCallerAbandon": "abandoned",
    "QueueCallerLeave": "left",
    "QueueMemberStatus": "member",
}


@dataclass(frozen=True, slots=True)
class QueueEvent:
    # joined, ringing, no-answer, answered, completed, transferred, abandoned, left, member; and
    # direct-ringing, direct-answered, direct-missed, direct-ended: an agent's call outside the queues
    kind: str
    call_id: str  # the caller's channel id (the IVR's call id); "" for member events
    queue: str
    caller: str = ""  # the caller's number: for the screen pop only, never published unmasked
    line: str = ""  # the hotline number the caller dialled
    ivr_path: str = ""  # e.g. "menu>3"
    member: str = ""  # the queue member's name: the agent's user name
    interface: str = ""  # PJSIP/1001
    position: int | None = None
    original_position: int | None = None
    wait_s: int | None = None  # time in the queue
    ring_s: int | None = None
    talk_s: int | None = None
    reason: str = ""  # completed: who hung up (caller, agent) or transfer
    member_status: int | None = None  # member events: Asterisk's device state of the member
    paused: bool | None = None
    member_channel: str = ""  # the agent's leg (AgentCalled, AgentConnect): what a transfer moves; never published

    @property
    def extension(self) -> str:
        return self.interface.split("/", 1)[1] if "/" in self.interface else ""

    def public(self) -> dict[str, Any]:
        """The event's data as published and logged: no caller number in clear."""
        data: dict[str, Any] = {"queue": self.queue}
        for key in ("line", "ivr_path", "member", "reason"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.interface:
            data["extension"] = self.extension
        for key in ("position", "original_position", "wait_s", "ring_s", "talk_s", "member_status", "paused"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.caller:
            data["caller"] = mask_number(self.caller)
        return data


def chan_variables(message: Mapping[str, Any], key: str = "ChanVariable") -> dict[str, str]:
    """`ChanVariable: NAME=value` headers (one, or a list when there are several)."""
    raw = message.get(key)
    items = raw if isinstance(raw, list) else [raw] if raw else []
    found: dict[str, str] = {}
    for item in items:
        name, _, value = str(item).partition("=")
        found[name] = value
    return found


# The dialplan's own events of an agent's phone in a call outside the queues (a transfer to that
# agent, a call to a citizen): UserEvent HotlineAgentCall, State -> the kind
AGENT_CALL_EVENT = "HotlineAgentCall"
AGENT_CALL_KINDS = {
    "ringing": "direct-ringing",
    "answered": "direct-answered",
    "missed": "direct-missed",
    "ended": "direct-ended",
}


def translate(message: Mapping[str, Any]) -> QueueEvent | None:
    """One AMI message -> a queue event, or None for anything else."""
    if str(message.get("Event", "")) == "UserEvent":
        return _agent_call(message)
    kind = KINDS.get(str(message.get("Event", "")))
    if kind is None:
        return None
    queue = str(message.get("Queue", ""))
    if kind == "member":
        return QueueEvent(
            kind,
            "",
            queue,
            member=str(message.get("MemberName", "")),
            interface=str(message.get("Interface", "")),
            member_status=_int(message.get("Status")),
            paused=str(message.get("Paused", "0")) == "1",
        )
    variables = chan_variables(message)
    ring = _int(message.get("RingTime"))
    if ring is not None and kind == "no-answer":
        ring //= 1000  # AgentRingNoAnswer says milliseconds, AgentConnect seconds
    reason = str(message.get("Reason", "")) if kind == "completed" else ""
    if kind == "completed" and reason == "transfer":
        kind = "transferred"
    return QueueEvent(
        kind,
        variables.get("HL_CALL_ID") or str(message.get("Uniqueid", "")),
        queue,
        caller=_digits(message.get("CallerIDNum")),
        line=variables.get("HL_NUMBER", ""),
        ivr_path=variables.get("HL_IVR_PATH", ""),
        member=str(message.get("MemberName", "")),
        interface=str(message.get("Interface", "")),
        position=_int(message.get("Position")),
        original_position=_int(message.get("OriginalPosition")),
        wait_s=_int(message.get("HoldTime")),
        ring_s=ring,
        talk_s=_int(message.get("TalkTime")),
        reason=reason,
        member_channel=str(message.get("DestChannel", "")),
    )


def _agent_call(message: Mapping[str, Any]) -> QueueEvent | None:
    """The dialplan's HotlineAgentCall: an agent's phone rings, answers, misses or ends a call that
    no queue tells (queue ""). Raised on the caller's channel (ringing, missed), or on the agent's
    own (answered: its channel is the one a transfer moves; ended: when that channel hangs up)."""
    if str(message.get("UserEvent", "")) != AGENT_CALL_EVENT:
        return None
    kind = AGENT_CALL_KINDS.get(str(message.get("State", "")).strip())
    call_id = str(message.get("Call", "")).strip()
    extension = str(message.get("Extension", "")).strip()
    if kind is None or not call_id or not extension:
        return None
    variables = chan_variables(message)
    on_agent_leg = kind == "direct-answered"
    return QueueEvent(
        kind,
        call_id,
        "",
        caller="" if on_agent_leg else _digits(message.get("Caller") or message.get("CallerIDNum")),
        line=variables.get("HL_NUMBER", ""),
        ivr_path=variables.get("HL_IVR_PATH", ""),
        interface=f"PJSIP/{extension}",
        member_channel=str(message.get("Channel", "")) if on_agent_leg else "",
    )


Listener = Callable[[QueueEvent], None]


class QueueEvents:
    """Listens to AMI's queue events for the life of the AMI client (panoramisk keeps the
    registrations across reconnections)."""

    def __init__(self, ami: AmiClient, notifier: CallNotifier) -> None:
        self.ami = ami
        self.notifier = notifier
        self.listeners: Listeners[QueueEvent] = Listeners("the queue events", lambda e: e.kind)
        self.seen = 0

    def attach(self) -> None:
        for name in (*KINDS, "UserEvent"):
            self.ami.on_event(name, self._on_message)

    def subscribe(self, listener: Listener) -> None:
        self.listeners.add(listener)

    def _on_message(self, _manager: Any, message: Mapping[str, Any]) -> None:
        event = translate(message)
        if event is None:
            return
        self.seen += 1
        self.handle(event)

    def handle(self, event: QueueEvent) -> None:
        if event.kind.startswith("direct-"):
            # not a queue's: the desk, which knows whose phone it is, logs them (call.agent-*)
            self.listeners.tell(event)
            return
        # member events belong to the agent (their phone's state), the others to the call
        call_id = (f"agent:{event.member}" if event.member else "-") if event.kind == "member" else event.call_id
        self.notifier.emit(call_id or "-", f"queue.{event.kind}", **event.public())
        self.listeners.tell(event)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _digits(value: Any) -> str:
    text = str(value or "")
    return "".join(ch for ch in text if ch.isdigit() or ch == "+")
