"""The facts of a tape, kept in Asterisk's database beside its audio.

One line of `|`-separated fields under `hotline_rec/<recording name>`: what a case needs (line,
caller, time, call id, language, menu path) and what decides its fate (why the words are kept,
how far the caller got, which process recorded them, what went wrong). The dialplan's fallback
writes the first six fields itself; older versions wrote seven: both still decode.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ivr.messages import MessageKind, MessageStage
from ivr.ports import ReportedCall

FIELDS = 11


@dataclass(frozen=True, slots=True)
class TapeFacts:
    report: ReportedCall
    kind: MessageKind
    stage: MessageStage
    owner: str = ""  # the process that recorded it (see `process_token`)
    problem: str = ""  # what went wrong with the recording, said to the person who calls back

    def but(self, **changes: object) -> TapeFacts:
        return replace(self, **changes)  # type: ignore[arg-type]


def process_token() -> str:
    """Names this process among all that ever recorded on this Asterisk (host, pid, start)."""
    return f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}"


def encode_facts(facts: TapeFacts) -> str:
    report = facts.report
    caller = "".join(ch for ch in report.caller_number if ch.isdigit() or ch == "+")
    problem = facts.problem.replace("|", "/")[:200]
    return "|".join(
        [
            report.line_number,
            caller,
            f"{report.started_at.timestamp():.3f}",
            report.origin,
            report.language,
            report.call_id,
            ">".join(report.ivr_path),
            facts.kind.value,
            facts.stage.value,
            facts.owner.replace("|", "/"),
            problem,
        ]
    )


def decode_facts(raw: str, name: str) -> TapeFacts:
    """Never raises: garbled facts still give a report (a person will look at it)."""
    parts = raw.split("|")
    parts += [""] * (FIELDS - len(parts))
    line, caller, epoch, origin, language, call_id, path, kind, stage, owner, problem = parts[:FIELDS]
    try:
        started = datetime.fromtimestamp(float(epoch), UTC)
    except (ValueError, OverflowError):
        started = datetime.now(UTC)
    report = ReportedCall(
        call_id=call_id or name,
        line_number=line,
        caller_number=caller,
        started_at=started,
        recording_name=name,
        recording_duration_s=None,
        origin=origin or "fallback",
        language=language or "zh",
        ivr_path=tuple(p for p in path.split(">") if p),
    )
    # facts without a kind: the dialplan's fallback (asked to leave a message after its tone) or
    # an older version of this application (a report, recorded from the tone)
    default_kind = MessageKind.ASKED if report.origin == "fallback" else MessageKind.REPORT
    try:
        decoded_kind = MessageKind(kind) if kind else default_kind
    except ValueError:
        decoded_kind = default_kind
    try:
        decoded_stage = MessageStage(stage) if stage else MessageStage.MESSAGE
    except ValueError:
        decoded_stage = MessageStage.MESSAGE
    return TapeFacts(report, decoded_kind, decoded_stage, owner, problem)
