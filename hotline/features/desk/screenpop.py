"""The screen pop: what the agent sees when the queue rings their phone.

Built from the queue event (caller, dialled line, IVR path: all carried by the call's channel
variables, no lookup needed) and the casebook (the caller's earlier cases; the suggested
category, place and unit from what the caller has said so far). The transcript keeps growing
while the call lasts; each finished utterance refreshes the suggestion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from casebook.cases.desk import EarlierCase, Suggestion, caller_history, history_json, suggest
from casebook.cases.services import CaseBook
from ivr.lines import LineBook


@dataclass
class DeskCall:
    call_id: str
    queue: str
    caller: str
    line: str
    line_name: str
    ivr_path: list[str]
    rang_at: float  # when Asterisk rang the agent (AMI timestamp, or our clock)
    wait_s: int | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    ended_by: str = ""
    history: list[EarlierCase] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)  # finished utterances, in order
    partial: str = ""
    suggestion: Suggestion | None = None
    case_number: str | None = None
    agent_channel: str = ""  # the agent's leg in Asterisk, once answered (what a transfer hands over)
    direction: str = "in"  # in (a caller), out (the agent called a case's citizen)
    consulting: str = ""  # an attended transfer under way: "<queue|agent|unit>:<target>"
    three_way: bool = False  # the one consulted joined the caller and the agent (会办)

    @property
    def transcript(self) -> str:
        return " ".join(self.heard)

    def to_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "queue": self.queue,
            "caller": self.caller,
            "line": self.line,
            "line_name": self.line_name,
            "ivr_path": self.ivr_path,
            "rang_at": self.rang_at,
            "wait_s": self.wait_s,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "ended_by": self.ended_by,
            "history": history_json(self.history),
            "transcript": self.transcript,
            "partial": self.partial,
            "suggestion": suggestion_json(self.suggestion),
            "case_number": self.case_number,
            "direction": self.direction,
            "consulting": self.consulting,
            "three_way": self.three_way,
        }


def suggestion_json(found: Suggestion | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "category": found.category,
        "confident": found.confident,
        "place": found.place,
        "township": found.township,
        "urgency": found.urgency,
        "lead_unit": found.lead_unit,
        "co_units": list(found.co_units),
    }


def line_name(lines: LineBook | None, number: str) -> str:
    line = lines.by_number(number) if lines is not None and number else None
    return line.name_zh if line is not None else number


def compose(book: CaseBook, call: DeskCall) -> DeskCall:
    """Fill in what needs the casebook (blocking: run in a worker thread)."""
    call.history = caller_history(book, call.caller)
    if call.transcript:
        call.suggestion = suggest(book, call.transcript)
    return call


def refresh_suggestion(book: CaseBook, call: DeskCall) -> Suggestion | None:
    call.suggestion = suggest(book, call.transcript) if call.transcript else None
    return call.suggestion


def now() -> float:
    return time.time()
