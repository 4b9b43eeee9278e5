"""The speech part of the case service: transcripts of calls, kept and put on their cases.

A mixin of `CaseBook` (casebook/cases/services.py), split out along its own seam: it needs only
the book's sessions, clock, event log and notifier. A call's transcript may come before its case
(live, or said at the menu) and joins it when the case is opened; the transcript of the message
is stored once (a retried task stores nothing twice) and the case's transcript state follows it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from casebook.auth.policy import Actor, Role
from casebook.cases import transcripts
from casebook.cases.errors import NotFound
from casebook.cases.notices import CaseNotice
from casebook.cases.part import BookPart
from casebook.cases.transcripts import SpeechText, TranscriptionJob
from casebook.db.models import Case, Recording, Transcript

SPEECH = Actor("speech-recognition", Role.SYSTEM)
MAX_TRANSCRIPT = 16000  # characters kept on the case (four times a typed description)


class Transcribing(BookPart):
    """Needs of the book (given by `CaseBook`): its sessions, clock, event log and notifier."""

    def keep_call_transcript(self, call_id: str, speech: SpeechText) -> None:
        """A transcript heard during a call (live, or said at the menu), kept by call id; it joins
        the call's case when there is one (now or when the case is opened)."""
        with self.sessions() as s:
            case_id = s.scalar(select(Case.id).where(Case.call_id == call_id))
            s.add(self._transcript_row(case_id, call_id, speech, recording_id=None))
            s.commit()

    def transcription_job(self, call_id: str) -> TranscriptionJob | None:
        """What transcribing this call's message needs; None while its case or recording is not stored."""
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id))
            if case is None:
                return None
            recording = s.scalar(select(Recording).where(Recording.case_id == case.id).order_by(Recording.id.desc()))
            live = s.scalar(
                select(Transcript)
                .where(Transcript.call_id == call_id, Transcript.source == "live")
                .order_by(Transcript.id.desc())
            )
            return TranscriptionJob(
                call_id=call_id,
                number=case.number,
                status=case.status,
                state=case.transcript_state,
                recording_name=recording.name if recording else None,
                recording_path=recording.path if recording else None,
                live=SpeechText(
                    "live",
                    live.text,
                    live.language,
                    live.model,
                    live.words,
                    live.confidence,
                    live.duration_s,
                )
                if live is not None
                else None,
                screened=case.classification is not None,
            )

    def store_transcript(self, call_id: str, speech: SpeechText) -> str:
        """The transcript of a call's message: on the case, with its words; idempotent (a retried
        task stores it once). Returns the case's transcript state (done, or failed when nothing
        intelligible was said)."""
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id).with_for_update())
            if case is None:
                raise NotFound(f"no case for call {call_id}")
            if case.transcript_state == transcripts.DONE:
                return transcripts.DONE
            recording_id = s.scalar(
                select(Recording.id).where(Recording.case_id == case.id).order_by(Recording.id.desc())
            )
            kept_live = speech.source == "live" and s.scalar(
                select(Transcript.id).where(Transcript.call_id == call_id, Transcript.source == "live")
            )
            nothing_new = speech.source == "menu" and not speech.text  # the menu's words are the report
            if not kept_live and not nothing_new:
                s.add(self._transcript_row(case.id, call_id, speech, recording_id=recording_id))
            s.execute(
                update(Transcript)
                .where(Transcript.call_id == call_id, Transcript.case_id.is_(None))
                .values(case_id=case.id)
            )
            spoken_at_menu = s.scalars(
                select(Transcript.text)
                .where(Transcript.call_id == call_id, Transcript.source == "menu")
                .order_by(Transcript.id)
            ).all()
            language = speech.language or s.scalar(
                select(Transcript.language).where(Transcript.call_id == call_id).order_by(Transcript.id)
            )
            text = _join_speech([*spoken_at_menu, speech.text], language or "")
            if not text.strip():
                case.transcript_state = transcripts.FAILED
                case.transcript_note = "no transcript: nothing intelligible was said; listen to the recording"
                self._event(s, case, SPEECH, "transcription_failed", case.transcript_note, source=speech.source)
            else:
                case.transcript = text[:MAX_TRANSCRIPT]
                case.transcript_state, case.transcript_note = transcripts.DONE, None
                self._event(
                    s,
                    case,
                    SPEECH,
                    "transcribed",
                    source=speech.source,
                    model=speech.model,
                    words=len(speech.words),
                    confidence=speech.confidence,
                    duration_s=speech.duration_s,
                )
            case.updated_at = self.clock.now()
            state = case.transcript_state
            number = case.number
            s.commit()
        self._notify([CaseNotice("case.transcribed", number, case.status, {"state": state})])
        return state

    def transcription_failed(self, call_id: str, reason: str) -> None:
        """No transcript can be made (corrupt or empty recording): say so on the case, for a person."""
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.call_id == call_id).with_for_update())
            if case is None:
                raise NotFound(f"no case for call {call_id}")
            if case.transcript_state in (transcripts.DONE, transcripts.FAILED):
                return
            case.transcript_state = transcripts.FAILED
            case.transcript_note = f"no transcript: {reason}"[:200]
            self._event(s, case, SPEECH, "transcription_failed", case.transcript_note)
            s.commit()

    def waiting_transcriptions(self, older_than: timedelta, limit: int = 200) -> list[str]:
        """Call ids whose recording is stored but not transcribed for a while (a lost task)."""
        cutoff = self.clock.now() - older_than
        with self.sessions() as s:
            return [
                str(c)
                for c in s.scalars(
                    select(Case.call_id)
                    .where(Case.transcript_state == transcripts.PENDING, Case.updated_at < cutoff)
                    .order_by(Case.id)
                    .limit(limit)
                )
                if c
            ]

    def _transcript_row(
        self, case_id: int | None, call_id: str, speech: SpeechText, *, recording_id: int | None
    ) -> Transcript:
        return Transcript(
            case_id=case_id,
            call_id=call_id,
            source=speech.source,
            recording_id=recording_id,
            text=speech.text,
            language=speech.language,
            model=speech.model[:64],
            words=speech.words,
            confidence=speech.confidence,
            duration_s=speech.duration_s,
            created_at=self.clock.now(),
        )


def _join_speech(parts: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(p.strip() for p in parts if p and p.strip())
