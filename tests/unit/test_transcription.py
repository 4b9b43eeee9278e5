"""A call's stored message becomes text on its case, then the case is screened: the real
PostgreSQL, the real Vosk model, real synthesised speech; no telephony (tests/e2e has the calls).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import wave
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from asr.engine import SpeechEngine
from asr.model import load_model, resolve_model_path
from asr.schemas import Transcript as Heard
from casebook.auth.policy import SYSTEM, Role
from casebook.auth.services import AuthService
from casebook.cases.intake import NewAppeal
from casebook.cases.screening import screen_pending
from casebook.cases.services import CaseBook
from casebook.cases.transcripts import SpeechText
from casebook.clock import FixedClock
from casebook.db.models import Case, CaseEvent, Transcript
from hotline.adapters import CasebookIntake
from hotline.features.transcription.services import NotReady, Transcriber
from tests.speech import REPORT_KO, speak

_calls = itertools.count()


@pytest.fixture(scope="module")
def engine() -> SpeechEngine:
    return SpeechEngine(load_model(resolve_model_path(None)))


@pytest.fixture(scope="module")
def report_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return speak(REPORT_KO, tmp_path_factory.mktemp("t") / "report.wav").read_bytes()


@pytest.fixture
def transcriber(book: CaseBook, engine: SpeechEngine) -> Transcriber:
    return Transcriber(book, lambda: engine)


def _call(book: CaseBook, audio: bytes | None = None) -> tuple[str, str]:
    """A call's case as the IVR opens it, with its recording stored (when given)."""
    call_id = f"call-{book.clock.now().timestamp():.0f}-{next(_calls)}"
    case = book.open(
        NewAppeal(channel="line-12345", caller_phone="13800001111", line_number="12345", call_id=call_id, origin="ivr"),
        SYSTEM,
    )
    if audio is not None:
        book.attach_recording(call_id, f"rec-{call_id}", audio, "audio/wav", 10.0)
    return call_id, case.number


def _case(book: CaseBook, number: str) -> Case:
    with book.sessions() as s:
        return book.get(s, number)


def _transcripts(book: CaseBook, number: str) -> list[Transcript]:
    with book.sessions() as s:
        case = book.get(s, number)
        return list(s.scalars(select(Transcript).where(Transcript.case_id == case.id).order_by(Transcript.id)))


def _heard(text: str) -> Heard:
    """A live transcript of a message, as telephony hands it over at the hangup."""
    return Heard(text, (), 0.9, 3.0, "ko", "vosk-model-small-ko-0.22", 8000, source="live")


def _silence(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return buffer.getvalue()


# --- nominal -----------------------------------------------------------------------------------------
def test_a_call_case_waits_for_its_recording_then_its_transcript(book: CaseBook, report_wav: bytes) -> None:
    call_id, number = _call(book)
    assert _case(book, number).transcript_state == "waiting"
    book.attach_recording(call_id, "rec-x", report_wav, "audio/wav", 9.6)
    assert _case(book, number).transcript_state == "pending"


def test_the_recording_is_transcribed_with_word_timings_and_the_case_screened(
    book: CaseBook, transcriber: Transcriber, report_wav: bytes
) -> None:
    call_id, number = _call(book, report_wav)
    outcome = transcriber.run(call_id)
    assert (outcome.number, outcome.state, outcome.source) == (number, "done", "file")
    case = _case(book, number)
    assert case.transcript_state == "done" and case.transcript and case.classification is not None
    [stored] = _transcripts(book, number)
    assert stored.source == "file" and stored.words and stored.recording_id is not None
    assert all(w["end"] > w["start"] for w in stored.words)
    # Korean text does not match the Chinese classifier: the case waits for an intake agent, clock running
    assert case.status == "received" and case.needs_intake and case.register_due > case.received_at
    with book.sessions() as s:
        kinds = list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))
    assert kinds[:4] == ["received", "recording_stored", "transcribed", "classified"]


def test_a_transcript_that_names_the_problem_routes_the_case_without_a_person(
    book: CaseBook, transcriber: Transcriber, report_wav: bytes
) -> None:
    """As a Chinese model would hear it: the live transcript of the message is used as it is."""
    call_id, number = _call(book, report_wav)
    heard = SpeechText(
        "live", "五津镇 河边 有 几十头 死猪 很臭 请 尽快 处理".replace(" ", ""), "zh", "vosk-model-small-cn-0.22"
    )
    book.keep_call_transcript(call_id, heard)
    outcome = transcriber.run(call_id)
    assert (outcome.state, outcome.source, outcome.dispatched) == ("done", "live", True)
    case = _case(book, number)
    assert case.status == "dispatched" and case.lead_unit_code and case.category_code == "environment.dead-animals"
    assert [t.source for t in _transcripts(book, number)] == ["live"]  # the live one, not a second copy


def test_a_live_transcript_is_screened_at_once_without_the_queue(
    book: CaseBook, transcriber: Transcriber, report_wav: bytes
) -> None:
    """The live transcript is ready when the caller hangs up: the keeper screens it in place
    (`run_live`), instead of queueing it behind stored messages being decoded."""
    queued: list[str] = []
    intake = CasebookIntake(book, queued.append, transcriber.run_live)
    call_id, number = _call(book, report_wav)
    heard = _heard("죽은 돼지가 강가에 있어요")
    asyncio.run(intake.message_stored(call_id, heard))
    assert queued == []
    case = _case(book, number)
    assert case.transcript_state == "done" and case.classification is not None
    assert [t.source for t in _transcripts(book, number)] == ["live"]


def test_a_message_without_a_live_transcript_is_queued_for_decoding(
    book: CaseBook, transcriber: Transcriber, report_wav: bytes
) -> None:
    queued: list[str] = []
    intake = CasebookIntake(book, queued.append, transcriber.run_live)
    call_id, number = _call(book, report_wav)
    assert transcriber.run_live(call_id) is None  # nothing live: the recording must be decoded
    asyncio.run(intake.message_stored(call_id, None))
    assert queued == [call_id]
    assert _case(book, number).transcript_state == "pending"


def test_a_live_transcript_that_cannot_be_screened_now_is_queued(book: CaseBook, report_wav: bytes) -> None:
    def broken(_call_id: str) -> None:
        raise RuntimeError("database gone for a moment")

    queued: list[str] = []
    intake = CasebookIntake(book, queued.append, broken)
    call_id, _number = _call(book, report_wav)
    asyncio.run(intake.message_stored(call_id, _heard("말")))
    assert queued == [call_id]  # nothing lost: the queue (and the sweep behind it) will screen it


def test_running_twice_stores_one_transcript_and_screens_once(
    book: CaseBook, transcriber: Transcriber, report_wav: bytes
) -> None:
    call_id, number = _call(book, report_wav)
    transcriber.run(call_id)
    again = transcriber.run(call_id)
    assert again.state == "already"
    assert len(_transcripts(book, number)) == 1
    with book.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.call_id == call_id)) == 1
        classified = s.scalar(
            select(func.count()).where(CaseEvent.case_id == _case(book, number).id, CaseEvent.kind == "classified")
        )
    assert classified == 1


def test_what_was_said_at_the_menu_joins_the_message(
    book: CaseBook, transcriber: Transcriber, report_wav: bytes
) -> None:
    call_id = f"menu-{next(_calls)}"
    book.keep_call_transcript(call_id, SpeechText("menu", "五津镇有死猪", "zh", "m"))  # before the case exists
    number = book.open(
        NewAppeal(channel="line-12345", line_number="12345", call_id=call_id, origin="ivr"), SYSTEM
    ).number
    book.attach_recording(call_id, "rec-menu", report_wav, "audio/wav", 9.6)
    book.keep_call_transcript(call_id, SpeechText("live", "就在河边很臭", "zh", "m"))
    transcriber.run(call_id)
    assert _case(book, number).transcript == "五津镇有死猪就在河边很臭"
    assert [t.source for t in _transcripts(book, number)] == ["menu", "live"]


# --- off-nominal -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("audio", "note"),
    [
        (b"RIFF\x00\x00\x00\x00WAVEfmt garbage that is no audio", "not a readable WAV"),
        (b"", "empty"),
        (_silence(3.0), "nothing intelligible"),
    ],
    ids=["corrupt", "zero-bytes", "silence"],
)
def test_a_recording_without_words_leaves_a_clear_no_transcript_state_for_a_person(
    book: CaseBook, transcriber: Transcriber, audio: bytes, note: str
) -> None:
    call_id, number = _call(book, audio)
    outcome = transcriber.run(call_id)
    assert outcome.state in ("failed",) or _case(book, number).transcript_state == "failed"
    case = _case(book, number)
    assert case.transcript_state == "failed" and case.transcript_note and note in case.transcript_note
    assert case.transcript_note.startswith("no transcript")
    assert case.status == "received" and case.needs_intake  # the clock runs; an intake agent listens
    assert transcriber.run(call_id).state == "already"  # and a retry changes nothing


def test_without_its_recording_the_transcription_waits(book: CaseBook, transcriber: Transcriber) -> None:
    call_id, _number = _call(book)
    with pytest.raises(NotReady):
        transcriber.run(call_id)
    with pytest.raises(NotReady):
        transcriber.run("no-such-call")


def test_the_minute_sweep_leaves_cases_waiting_for_speech_alone_for_a_while(
    book: CaseBook, clock: FixedClock, report_wav: bytes
) -> None:
    call_id, number = _call(book, report_wav)
    clock.advance(minutes=3)
    assert call_id in book.waiting_transcriptions(timedelta(minutes=2))  # a lost transcription is found
    screen_pending(book)
    assert _case(book, number).classification is None  # not screened on an empty text
    clock.advance(minutes=10)
    screen_pending(book)
    assert _case(book, number).classification is not None  # nobody waits forever


def test_missing_model_says_how_to_fix_it(tmp_path: Path) -> None:
    from asr.errors import ModelNotFound

    with pytest.raises(ModelNotFound, match="HOTLINE_VOSK_MODEL"):
        resolve_model_path(tmp_path / "nothing-here")


def test_words_said_at_the_menu_alone_make_the_transcript(book: CaseBook) -> None:
    call_id = f"menu-only-{next(_calls)}"
    book.keep_call_transcript(call_id, SpeechText("menu", "五津镇河边有死猪", "zh", "m", confidence=0.8))
    number = book.open(
        NewAppeal(channel="line-12345", line_number="12345", call_id=call_id, origin="ivr"), SYSTEM
    ).number
    assert book.store_transcript(call_id, SpeechText("menu", "", "", "")) == "done"
    case = _case(book, number)
    assert case.transcript == "五津镇河边有死猪" and case.transcript_state == "done"
    assert [t.source for t in _transcripts(book, number)] == ["menu"]  # no empty row added


def test_a_recording_is_served_to_those_who_may_read_its_case(
    book: CaseBook, api: TestClient, auth: AuthService, report_wav: bytes
) -> None:
    call_id, number = _call(book, report_wav)
    suffix = book.clock.now().strftime("%H%M%S%f")
    auth.create_user(f"agent-{suffix}", Role.INTAKE_AGENT, password="a-long-password")
    auth.create_user(f"water-{suffix}", Role.UNIT_HANDLER, unit="water", password="a-long-password")
    agent = {"Authorization": f"Bearer {auth.login(f'agent-{suffix}', 'a-long-password')}"}
    water = {"Authorization": f"Bearer {auth.login(f'water-{suffix}', 'a-long-password')}"}
    path = f"/api/v1/cases/{number}/recordings/rec-{call_id}"
    heard = api.get(path, headers=agent)
    assert heard.status_code == 200 and heard.headers["content-type"] == "audio/wav"
    assert heard.content == report_wav
    assert api.get(path, headers=water).status_code == 404  # another unit's case does not exist for it
    assert api.get(path).status_code == 401
    missing = api.get(f"/api/v1/cases/{number}/recordings/rec-nothing", headers=agent)
    assert missing.status_code == 404 and "no recording" in missing.text
    assert api.get(f"/api/v1/cases/{number}/recordings/..%2F..%2Fetc", headers=agent).status_code in (404, 422)
