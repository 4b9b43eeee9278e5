"""What the calls ask of the book: a call's recorded message kept with its case, the case a call
opened, the status a caller asks for by number (key 2), and a person's call back of a citizen
whose words were cut short.

A mixin of `CaseBook` (casebook/cases/services.py), split out along its own seam.
"""

from __future__ import annotations

from sqlalchemy import select

from casebook.auth.policy import Actor, Role
from casebook.cases import transcripts
from casebook.cases.errors import InvalidInput, NotFound
from casebook.cases.intake import MAX_DESCRIPTION
from casebook.cases.lifecycle import Status
from casebook.cases.part import BookPart
from casebook.cases.recordings import RecordingStore
from casebook.db.models import Case, Recording

TELEPHONY = Actor("telephony", Role.SYSTEM)


class Calls(BookPart):
    """Needs of the book (given by `CaseBook`): sessions, clock, the recording store, the event
    log, the notifier."""

    recordings: RecordingStore

    def attach_recording(
        self, call_id: str, name: str, audio: bytes, media_type: str, duration_s: float | None = None
    ) -> None:
        """Store a call's recorded message with its case (idempotent: the same recording once)."""
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id))
            if case is None:
                raise NotFound(f"no case for call {call_id}")
            if s.scalar(select(Recording.id).where(Recording.case_id == case.id, Recording.name == name)):
                return
            now = self.clock.now()
            kept = self.recordings.keep(case.number, name, audio, now)
            s.add(
                Recording(
                    case_id=case.id,
                    name=name,
                    media_type=media_type,
                    path=str(kept.path),
                    size_bytes=kept.size_bytes,
                    duration_s=duration_s,
                    sha256=kept.sha256,
                    created_at=now,
                )
            )
            if case.transcript_state in (None, transcripts.WAITING):
                case.transcript_state = transcripts.PENDING
            self._event(s, case, TELEPHONY, "recording_stored", name=name, bytes=len(audio), duration_s=duration_s)
            s.commit()

    def number_of_call(self, call_id: str) -> str | None:
        """The number of the case a call opened, if it opened one."""
        with self.sessions() as s:
            return s.scalar(select(Case.number).where(Case.call_id == call_id))

    def called_back(self, number: str, actor: Actor, *, reached: bool, note: str = "") -> Case:
        """Someone called the citizen of a "call back" case: reached, the mark is cleared; not
        reached, it stays (the attempt is in the case's history either way)."""
        if len(note) > MAX_DESCRIPTION:
            raise InvalidInput(f"note is longer than {MAX_DESCRIPTION} characters")
        with self.acting(number, actor, "callback") as a:
            s, case = a.s, a.case
            if case.call_back is None:
                raise InvalidInput(f"case {number} is not marked for a call back")
            why = case.call_back
            if reached:
                case.call_back = None
            case.updated_at = self.clock.now()
            self._event(s, case, actor, "called_back", note, reached=reached, why=why)
            a.tell("case.called_back", reached=reached)
        return case

    def dialling(self, number: str, actor: Actor, call_id: str) -> str:
        """An agent is about to call the case's citizen from the case (click-to-dial): the
        citizen's number, and the call in the case's history (its recording joins the case by it)."""
        with self.acting(number, actor, "callback") as a:
            s, case = a.s, a.case
            phone = case.caller.phone if case.caller is not None else None
            if not phone:
                raise InvalidInput(f"case {number} has no caller's number to call")
            case.updated_at = self.clock.now()
            self._event(s, case, actor, "dialled", call_id=call_id)
            a.tell("case.dialled")
        return phone

    def status_of(self, number: str) -> str | None:
        if not number.isdigit() or len(number) > 20:
            return None
        with self.sessions() as s:
            status = s.scalar(select(Case.status).where(Case.number == number))
            if status == Status.MERGED:
                master = s.scalar(
                    select(Case.status).where(
                        Case.id == select(Case.duplicate_of_id).where(Case.number == number).scalar_subquery()
                    )
                )
                return str(master) if master else str(status)
        return str(status) if status is not None else None
