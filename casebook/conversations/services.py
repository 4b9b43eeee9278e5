"""The recorded conversations between callers and agents (issue 19).

Telephony hands over each conversation once the call is over: the two voices mixed, for
listening, and each side alone, for transcription. They are written here as files
(`<root>/YYYY/MM/<name>-<side>.wav`, whole or not at all) before their row is committed, so the
copy in Asterisk is deleted only once the casebook holds it. A conversation belongs to its call;
the case is the one that call opened, found when read, so it does not matter whether the agent
saved the case before or after the recording arrived.

Who hears it: whoever may read the call's case, and the agent who took the call (their own
history, a case or not). Retention: the files of a conversation older than the center's
retention are deleted by the daily purge unless its case is still open, the citizen was not
satisfied (a dispute) or a supervisor holds the case's recordings; the row stays, with the time
it was purged, so nothing disappears without a trace.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.policy import Actor, Role, require
from casebook.cases.errors import InvalidInput, NotFound
from casebook.cases.lifecycle import Status
from casebook.cases.queries import check_visible
from casebook.clock import Clock
from casebook.db.models import CallEventRow, Case, CaseEvent, Conversation, QueueVisit
from common.files import write_durably

log = logging.getLogger(__name__)

Side = Literal["mixed", "caller", "agent"]
SIDES: tuple[Side, ...] = ("mixed", "caller", "agent")
MAX_HOLD_REASON = 200
CASELESS_READERS = frozenset({Role.SUPERVISOR})  # besides the agent who took it


@dataclass(frozen=True, slots=True)
class ConversationAudio:
    """One conversation as telephony hands it over."""

    name: str
    call_id: str
    started_at: datetime
    mixed: bytes
    caller: bytes | None
    agent: bytes | None
    duration_s: float | None


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation as a reader sees it (never a path)."""

    id: int
    call_id: str
    case_number: str | None
    agent: str | None
    started_at: datetime
    duration_s: float | None
    sides: tuple[Side, ...]  # the files that can be played (none once purged)
    caller_text: str | None
    agent_text: str | None
    transcript_state: str
    purged_at: datetime | None


class ConversationBook:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, root: Path, *, retention: timedelta = timedelta(days=180)
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.root = root
        self.retention = retention  # HOTLINE_CONVERSATION_RETENTION_DAYS, set by the composition root

    # --- kept -------------------------------------------------------------------------------------
    def keep(self, audio: ConversationAudio) -> int:
        """Store one conversation (idempotent by name: handed over twice, kept once); its id."""
        with self.sessions() as s:
            found = s.scalar(select(Conversation.id).where(Conversation.name == audio.name))
            if found is not None:
                return int(found)
            now = self.clock.now()
            folder = self.root / audio.started_at.strftime("%Y/%m")
            paths: dict[Side, str | None] = {}
            size = 0
            sides: tuple[tuple[Side, bytes | None], ...] = (
                ("mixed", audio.mixed),
                ("caller", audio.caller),
                ("agent", audio.agent),
            )
            for side, data in sides:
                if data is None:
                    paths[side] = None
                    continue
                path = folder / f"{audio.name}-{side}.wav"
                write_durably(path, data)
                paths[side] = str(path)
                size += len(data)
            case = _case_of_call(s, audio.call_id)
            row = Conversation(
                name=audio.name,
                call_id=audio.call_id,
                agent=_agent_of(s, audio.call_id, case),
                started_at=audio.started_at,
                stored_at=now,
                duration_s=audio.duration_s,
                mixed_path=str(paths["mixed"]),
                caller_path=paths["caller"],
                agent_path=paths["agent"],
                size_bytes=size,
                sha256=hashlib.sha256(audio.mixed).hexdigest(),
                transcript_state="pending" if audio.caller or audio.agent else "failed",
            )
            s.add(row)
            if case is not None:
                _event(s, case, now, "conversation_stored", seconds=audio.duration_s, agent=row.agent)
            try:
                s.commit()
            except IntegrityError:  # another process kept it a moment ago (the same files, the same paths)
                s.rollback()
                return int(s.scalar(select(Conversation.id).where(Conversation.name == audio.name)) or 0)
            return int(row.id)

    # --- read -------------------------------------------------------------------------------------
    def of_case(self, number: str, actor: Actor) -> list[ConversationView]:
        """The conversations of the call that opened this case, for whoever may read the case."""
        with self.sessions() as s:
            case = _case(s, number)
            check_visible(s, case, actor)
            calls = _calls_of(s, case)
            if not calls:
                return []
            rows = s.scalars(
                select(Conversation).where(Conversation.call_id.in_(calls)).order_by(Conversation.started_at)
            ).all()
            return [_view(row, case.number) for row in rows]

    def of_agent(self, agent: str, *, limit: int = 50) -> list[ConversationView]:
        """An agent's own conversations, newest first, each with its case when there is one."""
        with self.sessions() as s:
            rows = s.execute(
                select(Conversation, Case.number)
                .outerjoin(Case, Case.call_id == Conversation.call_id)
                .where(or_(Conversation.agent == agent, Conversation.call_id.in_(_calls_taken_by(agent))))
                .order_by(Conversation.started_at.desc(), Conversation.id.desc())
                .limit(limit)
            ).all()
            dialled = _dialled_from(s, [row.call_id for row, number in rows if number is None])  # one query
            return [_view(row, number or dialled.get(row.call_id)) for row, number in rows]

    def audio_path(self, conversation_id: int, side: str, actor: Actor) -> str:
        """The file of one side of a conversation, if the actor may hear it and it is still kept."""
        if side not in SIDES:
            raise InvalidInput(f"a conversation's sides are {', '.join(SIDES)}, not {side!r}")
        with self.sessions() as s:
            row = s.get(Conversation, conversation_id)
            if row is None:
                raise NotFound(f"no conversation {conversation_id}")
            case = _case_of_call(s, row.call_id)
            if actor.is_system or not _took_part(s, row, actor.name):
                try:
                    if case is not None:
                        check_visible(s, case, actor)
                    elif actor.role not in CASELESS_READERS:  # no case: its agent and supervisors only
                        raise NotFound("not the reader's")
                except NotFound:  # not even the case's number is told
                    raise NotFound(f"no conversation {conversation_id}") from None
            if row.purged_at is not None:
                deleted = f"{row.purged_at:%Y-%m-%d}"
                raise NotFound(f"the recording of conversation {conversation_id} was deleted (retention) on {deleted}")
            path = {"mixed": row.mixed_path, "caller": row.caller_path, "agent": row.agent_path}[side]
            if not path or not Path(path).is_file():
                raise NotFound(f"conversation {conversation_id} has no {side} recording in storage")
            return path

    # --- hold and purge ---------------------------------------------------------------------------
    def hold(self, number: str, actor: Actor, reason: str | None) -> str | None:
        """Hold the case's recordings (a dispute: never purged while held), or release them (None)."""
        text = None if reason is None else reason.strip()
        if text == "":
            raise InvalidInput("write why the recordings are held (null releases the hold)")
        if text is not None and len(text) > MAX_HOLD_REASON:
            raise InvalidInput(f"the reason for a hold is at most {MAX_HOLD_REASON} characters")
        with self.sessions() as s:
            case = _case(s, number)
            check_visible(s, case, actor)  # another unit's case is "no case", whatever the action
            require(actor, "hold_recordings")
            case.recording_hold = text
            _event(
                s,
                case,
                self.clock.now(),
                "recordings_held" if text else "recordings_released",
                actor=actor.name,
                reason=text or "",
            )
            s.commit()
            return text

    def purge(self, retention: timedelta | None = None) -> int:
        """Delete the files of conversations older than the retention whose case is closed,
        satisfied or without a verdict, and not held; keep their rows. How many were purged."""
        retention = self.retention if retention is None else retention
        now = self.clock.now()
        with self.sessions() as s:
            rows = s.execute(
                select(Conversation, Case)
                .outerjoin(Case, Case.call_id == Conversation.call_id)
                .where(Conversation.purged_at.is_(None), Conversation.started_at < now - retention)
                .where(
                    or_(
                        Case.id.is_(None),
                        (Case.status == Status.CLOSED)
                        & Case.recording_hold.is_(None)
                        & or_(Case.satisfaction.is_(None), Case.satisfaction != "unsatisfied"),
                    )
                )
            ).all()
            for row, case in rows:
                for path in (row.mixed_path, row.caller_path, row.agent_path):
                    if path:
                        Path(path).unlink(missing_ok=True)
                row.purged_at = now
                if case is not None:
                    _event(s, case, now, "conversation_purged", name=row.name, days=retention.days)
            s.commit()
        if rows:
            log.info("retention: %d conversation recordings older than %d days deleted", len(rows), retention.days)
        return len(rows)

    # --- transcripts of both sides ------------------------------------------------------------------
    def waiting_transcripts(self, limit: int = 10) -> list[tuple[int, str | None, str | None]]:
        """Conversations whose sides are not transcribed yet: (id, caller file, agent file)."""
        with self.sessions() as s:
            rows = s.scalars(
                select(Conversation)
                .where(Conversation.transcript_state == "pending", Conversation.purged_at.is_(None))
                .order_by(Conversation.id)
                .limit(limit)
            ).all()
            return [(row.id, row.caller_path, row.agent_path) for row in rows]

    def keep_transcripts(
        self, conversation_id: int, caller: str | None, agent: str | None, *, failed: bool = False
    ) -> None:
        with self.sessions() as s:
            row = s.get(Conversation, conversation_id)
            if row is None:
                return
            row.caller_text, row.agent_text = caller, agent
            row.transcript_state = "failed" if failed else "done"
            s.commit()


def _case(s: Session, number: str) -> Case:
    case = s.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound(f"no case {number}")
    return case


def _calls_of(s: Session, case: Case) -> list[str]:
    """The calls of a case: the one that opened it, and those an agent placed from it (dialled)."""
    dialled = s.scalars(select(CaseEvent.detail).where(CaseEvent.case_id == case.id, CaseEvent.kind == "dialled"))
    calls = [str(detail.get("call_id")) for detail in dialled if detail.get("call_id")]
    return ([case.call_id] if case.call_id else []) + calls


def _case_of_call(s: Session, call_id: str) -> Case | None:
    """The case a call opened, or the case it was placed from."""
    case = s.scalar(select(Case).where(Case.call_id == call_id))
    if case is not None:
        return case
    return s.scalar(
        select(Case)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(CaseEvent.kind == "dialled", CaseEvent.detail["call_id"].as_string() == call_id)
        .limit(1)
    )


def _dialled_from(s: Session, call_ids: list[str]) -> dict[str, str]:
    """The cases these calls were placed from (click-to-dial), by call id."""
    if not call_ids:
        return {}
    call_id = CaseEvent.detail["call_id"].as_string()
    rows = s.execute(
        select(call_id, Case.number)
        .join(Case, CaseEvent.case_id == Case.id)
        .where(CaseEvent.kind == "dialled", call_id.in_(call_ids))
    ).all()
    return {str(found): str(number) for found, number in rows}


def _calls_taken_by(agent: str) -> Any:
    """The calls an agent answered: from a queue (its visits), or handed to them by a colleague
    (the desk's call.agent-answered): a transferred caller's conversation is each one's."""
    from_queues = select(QueueVisit.call_id).where(QueueVisit.agent == agent)
    handed = select(CallEventRow.call_id).where(
        CallEventRow.name == "call.agent-answered", CallEventRow.data["member"].as_string() == agent
    )
    return from_queues.union(handed)


def _took_part(s: Session, row: Conversation, agent: str) -> bool:
    if row.agent == agent:
        return True
    taken = _calls_taken_by(agent).subquery()
    return s.scalar(select(taken.c.call_id).where(taken.c.call_id == row.call_id).limit(1)) is not None


def _agent_of(s: Session, call_id: str, case: Case | None) -> str | None:
    """The agent who answered the call (its first answered stay in a queue), or who placed it."""
    answered = s.scalar(
        select(QueueVisit.agent)
        .where(QueueVisit.call_id == call_id, QueueVisit.agent.is_not(None))
        .order_by(QueueVisit.seq)
        .limit(1)
    )
    if answered is not None or case is None:
        return answered
    return s.scalar(
        select(CaseEvent.actor)
        .where(
            CaseEvent.case_id == case.id,
            CaseEvent.kind == "dialled",
            CaseEvent.detail["call_id"].as_string() == call_id,
        )
        .limit(1)
    )


def _event(
    s: Session, case: Case, at: datetime, kind: str, *, actor: str = "telephony", reason: str = "", **detail: object
) -> None:
    s.add(CaseEvent(case_id=case.id, at=at, actor=actor, kind=kind, reason=reason, detail=detail))


def _view(row: Conversation, number: str | None) -> ConversationView:
    kept = row.purged_at is None
    paths: dict[Side, str | None] = {"mixed": row.mixed_path, "caller": row.caller_path, "agent": row.agent_path}
    return ConversationView(
        id=row.id,
        call_id=row.call_id,
        case_number=number,
        agent=row.agent,
        started_at=row.started_at,
        duration_s=row.duration_s,
        sides=tuple(side for side in SIDES if kept and paths[side]),
        caller_text=row.caller_text,
        agent_text=row.agent_text,
        transcript_state=row.transcript_state,
        purged_at=row.purged_at,
    )
