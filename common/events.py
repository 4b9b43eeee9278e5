"""The catalogue of the platform's events: every name published on the bus, with its data.

One entry per event kind: its name, its data fields (with what their values mean), and when it
is published. `docs/events.md` is this table rendered (`python -m common.events` prints it; a
test keeps the two in step), and the bus checks every event it carries against it
(`EventBus.published_outside_catalogue`), so a new event or a new field cannot be published
without being declared here first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventKind:
    name: str
    data: str  # "field (what its values mean), field, ...", as the docs show it
    when: str
    fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", frozenset(_field_names(self.data)))


def _field_names(data: str) -> list[str]:
    """The names in "a (x, y), b, c (z)": the words before each top-level comma."""
    flat = re.sub(r"\([^()]*\)", "", data)
    return [part.strip().split()[0] for part in flat.split(",") if part.strip()]


_CASE = "case, status"  # every casebook notice: the case number and its status after the change
_AGENT = "extension, status"  # every agent event (call id `agent:<username>`): the phone and the desk status
_CALLER = "line, ivr_path, caller (masked)"  # what the queue knows of the caller, on its events when known

KINDS: tuple[EventKind, ...] = (
    EventKind("ari.connected", "connection (count)", "the event socket (re)connected; a resync follows"),
    EventKind("ari.disconnected", "", "the event socket dropped"),
    EventKind(
        "sip.blocked",
        "address, failures, until",
        "an address failed SIP authentication too often and Asterisk now refuses it (logged as a warning)",
    ),
    EventKind("sip.unblocked", "address", "its block ran out (or was lifted)"),
    EventKind(
        "call.started",
        "line, caller (masked), resumed",
        "a caller entered the Stasis application (`resumed`: adopted after a restart)",
    ),
    EventKind("call.state", "state (in_ivr, recording, transferred, ended)", "the call changed state"),
    EventKind(
        "call.ended",
        "outcome (reported, transferred, no-message, caller-hung-up, unknown-number, error), reason",
        "the session ended",
    ),
    EventKind("call.rejected", "args", "StasisStart with arguments the application does not serve"),
    EventKind("ivr.greeting", "line", "the line's greeting starts"),
    EventKind("ivr.menu", "", "the main menu is offered"),
    EventKind("ivr.key", "key (null = no input)", "a menu choice"),
    EventKind("ivr.language", "language", "key 8 switched the language"),
    EventKind("ivr.menu-failed", "", "second wrong key or silence"),
    EventKind("ivr.out-of-hours", "", "the line is closed: straight to a message"),
    EventKind(
        "ivr.report",
        "kind (report, spoken, no-agent, queue, asked)",
        "the caller is about to leave a message (their words since the answer are already recorded)",
    ),
    EventKind(
        "ivr.recorded",
        "duration_s, voiced_s, stored, call_back",
        "the message ended (stored: the casebook has it)",
    ),
    EventKind("ivr.case-opened", "case_number, call_back", "the case number is read back"),
    EventKind(
        "ivr.resumed",
        "kind, toned",
        "a caller adopted after the application restarted: where they stood, as Asterisk kept it",
    ),
    EventKind("ivr.status", "", "the caller asked for a case's status"),
    EventKind("ivr.status-result", "found, status", "the status query's outcome"),
    EventKind("ivr.spoken-report", "chars", "the caller said the problem at the menu instead of pressing 1"),
    EventKind("ivr.said", "key", 'a menu choice said as a number word ("一", "일", "one")'),
    EventKind("ivr.said-number", "digits (how many)", "a case number said aloud (digits-only grammar)"),
    EventKind("ivr.transfer", "queue", "handed to an agent queue"),
    EventKind("ivr.no-agent", "queue", "nobody free: a message instead"),
    EventKind(
        "ivr.queue-message",
        "reason (message-instead: key 1 while waiting; no-agent: the wait ran out or the queue could not take "
        "the caller)",
        "a caller back from a queue leaves a message (then `ivr.report` and the rest of a report)",
    ),
    EventKind(
        "ivr.queue-callback",
        "queue",
        "a caller in a queue pressed 2 (keep my place): a short message, then a callback when an agent is free",
    ),
    EventKind(
        "ivr.queue-callback-refused",
        "why (no-number: the caller's number is withheld; off: this installation places no calls)",
        "no callback can be promised: the caller leaves a message instead",
    ),
    EventKind(
        "ivr.queue-callback-kept",
        "queue, kept (false: the casebook could not schedule it; the message is a case all the same)",
        "the callback is scheduled on the message's case (`callback.scheduled`, reason queue)",
    ),
    EventKind("recording.finished", "name, duration_s, failed, cause", "Asterisk finished a recording"),
    EventKind(
        "recording.stored",
        "name, case_number, origin, kind, duration_s, voiced_s, bytes, call_back",
        "a caller's words are safely in the casebook (call_back: why a person must call them back, or null)",
    ),
    EventKind(
        "recording.discarded",
        "name, reason (no voice, no audio, discarded), kind, duration_s, voiced_s",
        "not a case: nothing chosen and nothing said, or thrown away by the caller's choice (a status, an agent)",
    ),
    EventKind(
        "conversation.stored",
        "seconds, sides (mixed, caller, agent)",
        "a caller's conversation with an agent, recorded by Asterisk, is safely in the casebook",
    ),
    EventKind(
        "transcript.partial",
        "text, start_s, end_s, words, purpose, language",
        "live speech recognition's current guess (several a second; never logged)",
    ),
    EventKind(
        "transcript.final",
        "text, start_s, end_s, words, purpose, language",
        "a finished utterance; purpose: menu, case-number, message, call (logged without its words)",
    ),
    EventKind("media.tap_failed", "reason", "the caller's audio could not be tapped: no live transcript for this call"),
    EventKind(
        "media.tap_refused",
        "streams, late_ms, ari_ms, behind_s",
        "no live speech for this call now (the process is behind: its loop late, Asterisk slow, or the "
        "callers' decodes waiting); asked again when a message begins; the message is transcribed from "
        "its recording if still refused",
    ),
    EventKind(
        "media.tap_ended",
        "heard_s, voiced_s, decoded_s, decode_ms, packets_lost, packets_dropped",
        "the caller hung up: seconds of their audio received, let through by the voice gate, decoded; "
        "RTP packets missing from the stream, and dropped because decoding fell behind",
    ),
    EventKind(
        "case.received",
        f"{_CASE}, channel, origin, call_back",
        "an appeal became a case (call id `-`, as for every casebook notice); call_back: why a person must call",
    ),
    EventKind("case.registered", f"{_CASE}, category", "the case was screened: classified and registered"),
    EventKind("case.dispatched", f"{_CASE}, lead, co_units", "the case went to its lead unit (and co-handling units)"),
    EventKind("case.returned", f"{_CASE}, reason", "a unit sent the case back to the center"),
    EventKind("case.accepted", f"{_CASE}, section", "the unit took the case and named the section that handles it"),
    EventKind(
        "case.replied", f"{_CASE}, reply_id, joint, via_master", "the unit replied (via_master: a merged case's)"
    ),
    EventKind("case.closed", f"{_CASE}, verdict, reason, stage", "the case was closed"),
    EventKind("case.reopened", f"{_CASE}, verdict, reason, lead", "the citizen was not satisfied, or it was reopened"),
    EventKind("case.interview_scheduled", f"{_CASE}, unit", "a face-to-face meeting with the citizen was set"),
    EventKind("case.to_leader", f"{_CASE}, stage", "still unsatisfied after the meeting: on the leader's Monday list"),
    EventKind("case.leader_decision", f"{_CASE}, deadline, lead", "a county leader decided on the case"),
    EventKind("case.joint_session", f"{_CASE}, lead", "the units of a joint case were called together"),
    EventKind("case.attached", f"{_CASE}, attachment, name", "a photo or document was attached to the case"),
    EventKind("case.extension_asked", f"{_CASE}, unit, until", "the lead unit asked for more time to reply"),
    EventKind(
        "case.extension_decided", f"{_CASE}, granted, unit", "a supervisor granted (the reply clock moved) or refused"
    ),
    EventKind("case.merged", f"{_CASE}, master", "the case was merged into another (its master)"),
    EventKind("case.unmerged", f"{_CASE}, master", "a person undid a merge: the case is handled on its own again"),
    EventKind("case.breached", f"{_CASE}, clock, escalated_to, unit", "one of the case's clocks ran out"),
    EventKind("case.transcribed", f"{_CASE}, state (done, failed)", "a call's message is transcribed, or not"),
    EventKind("case.called_back", f"{_CASE}, reached", 'a person called back the citizen of a case marked "call back"'),
    EventKind("case.dialled", _CASE, "an agent called the case's citizen from the case (click-to-dial)"),
    EventKind(
        "callback.scheduled",
        f"{_CASE}, callback, reason (satisfaction, agent), due",
        "a callback waits for its time (call id `-`)",
    ),
    EventKind(
        "callback.dialling",
        "callback, case, attempt, reason, to (masked), line",
        "a callback is placed through the trunk (call id: the new channel, `callback-<id>-<attempt>-<hex>`)",
    ),
    EventKind(
        "callback.failed",
        "callback, case, attempt, cause (busy, no-answer, rejected, failed, lost), code (Q.850), state, "
        "next_attempt_at",
        "nobody answered; `state` due (retried at next_attempt_at) or no_verdict",
    ),
    EventKind(
        "callback.answered",
        "callback, case",
        "the citizen picked up: the reply notice starts (a kept place: they are told and join the queue)",
    ),
    EventKind("callback.key", "callback, key (null = no input)", "the citizen's key at the satisfaction question"),
    EventKind(
        "callback.verdict",
        "callback, case, verdict (satisfied, unsatisfied, null), result (the verdict, or no-input, invalid-keys, "
        "hangup; queued: a kept place, the citizen joined the queue), state, next_attempt_at, case_status",
        "the answered call ended and its outcome is on the case (after `call.ended`)",
    ),
    EventKind(
        "callback.given_up",
        f"{_CASE}, callback, attempts",
        "the attempts ran out without a verdict: a case event asks a person to call (call id `-`)",
    ),
    EventKind(
        "queue.joined",
        f"queue, position, {_CALLER}",
        "the caller entered the queue (AMI QueueCallerJoin; call id from the channel's `HL_CALL_ID`)",
    ),
    EventKind(
        "queue.ringing",
        f"queue, member, extension, {_CALLER}",
        "the queue rings an agent's phone (AgentCalled): the agent's screen pops",
    ),
    EventKind(
        "queue.no-answer",
        f"queue, member, extension, ring_s, {_CALLER}",
        "the agent did not answer in time (AgentRingNoAnswer); the queue tries the next",
    ),
    EventKind(
        "queue.answered",
        f"queue, member, extension, wait_s, ring_s, {_CALLER}",
        "the agent answered: caller and agent are bridged (AgentConnect)",
    ),
    EventKind(
        "queue.completed",
        f"queue, member, extension, wait_s, talk_s, reason (caller, agent), {_CALLER}",
        "the call with the agent ended (AgentComplete)",
    ),
    EventKind(
        "queue.transferred",
        f"queue, member, extension, wait_s, talk_s, reason (transfer), {_CALLER}",
        "the agent transferred the call on (AgentComplete)",
    ),
    EventKind(
        "call.agent-ringing",
        f"member, extension, {_CALLER}",
        "an agent's phone rings outside the queues (a call transferred to that agent)",
    ),
    EventKind(
        "call.agent-answered",
        "member, extension",
        "the agent answered a call outside the queues (a transfer to them, their call to a citizen)",
    ),
    EventKind("call.agent-missed", "member, extension", "the agent did not answer; the caller goes back to the queue"),
    EventKind("call.agent-ended", "member, extension, talk_s", "the agent's call outside the queues ended"),
    EventKind(
        "queue.abandoned",
        f"queue, position, original_position, wait_s, {_CALLER}",
        "the caller hung up while waiting (QueueCallerAbandon)",
    ),
    EventKind(
        "queue.left",
        f"queue, position, {_CALLER}",
        "the caller left the waiting list: answered, or gone to leave a message (QueueCallerLeave)",
    ),
    EventKind(
        "queue.member",
        "queue, member, extension, member_status, paused",
        "a member's phone changed state (QueueMemberStatus; call id `agent:<username>`)",
    ),
    EventKind(
        "agent.login",
        f"{_AGENT}, queues, phone (desk, browser)",
        "an agent joined the queues of their skills (call id `agent:<username>`)",
    ),
    EventKind("agent.logout", _AGENT, "an agent left every queue"),
    EventKind("agent.paused", f"{_AGENT}, reason", "an agent stopped taking calls"),
    EventKind("agent.resumed", _AGENT, "an agent started taking calls again"),
    EventKind("agent.wrapup", f"{_AGENT}, call", "the call on the agent's screen ended: wrap-up starts"),
    EventKind(
        "agent.ready",
        f"{_AGENT}, wrapup_s, how (saved, ready, timeout, next-call, logout), call",
        "wrap-up ended, and how long it took",
    ),
    EventKind(
        "agent.case-saved",
        f"{_AGENT}, case, call",
        "the agent saved the call's case (registered and dispatched)",
    ),
    EventKind(
        "agent.phone-offline", _AGENT, "the agent's phone stopped answering Asterisk (unregistered, unreachable)"
    ),
    EventKind("agent.phone-online", _AGENT, "the agent's phone answers Asterisk again"),
    EventKind("agent.dialled", f"{_AGENT}, case, call", "the agent called a case's citizen (click-to-dial)"),
    EventKind(
        "agent.transferred",
        f"{_AGENT}, call, to (queue, agent), target",
        "the agent handed the caller on (a blind transfer); queue.transferred follows",
    ),
    EventKind(
        "agent.consulting",
        f"{_AGENT}, call, to (queue, agent, unit), target",
        "the agent calls someone while the caller hears music (an attended transfer begun)",
    ),
    EventKind("agent.consult-complete", f"{_AGENT}, call, consulted", "the caller handed to the one consulted"),
    EventKind("agent.consult-three-way", f"{_AGENT}, call, consulted", "all three talk (会办)"),
    EventKind("agent.consult-cancel", f"{_AGENT}, call, consulted", "the one consulted let go; back to the caller"),
    EventKind(
        "supervisor.joined",
        "supervisor, mode (listen, whisper, barge), extension (the supervisor's phone, ringing), "
        "switched (instead of extension: the supervisor, already on the call, moved to this mode)",
        "a supervisor asked to join the agent's call (call id agent:<user name>)",
    ),
    EventKind("supervisor.paused", "supervisor, reason", "a supervisor paused the agent"),
    EventKind("supervisor.signed-out", "supervisor", "a supervisor took the agent out of the queues"),
)

CATALOGUE: dict[str, EventKind] = {kind.name: kind for kind in KINDS}


def outside_catalogue(name: str, data: dict[str, object]) -> str | None:
    """Why an event does not match the catalogue (None when it does)."""
    kind = CATALOGUE.get(name)
    if kind is None:
        return f"no event kind {name!r} in the catalogue (common/events.py)"
    extra = sorted(set(data) - kind.fields)
    return f"{name} carries fields the catalogue does not declare: {', '.join(extra)}" if extra else None


def render_markdown() -> str:
    """The table of docs/events.md."""
    lines = ["| name | data | when |", "| --- | --- | --- |"]
    lines += [f"| `{k.name}` | {k.data} | {k.when} |" for k in KINDS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
