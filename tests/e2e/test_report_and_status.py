"""Key 1 records a report that becomes a case; key 2 reads a case's status.

Expected for a report: ivr.report 1, recording.finished 1, ivr.recorded 1, ivr.case-opened 1,
recording.stored 1 (same case number), call.ended outcome=reported; Asterisk: RecordingStarted and
RecordingFinished for the caller's channel. The stored audio is the caller's speech: its length
matches what was said, and it is not silence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casebook.auth.policy import SYSTEM
from casebook.cases.intake import NewAppeal
from casebook.db.models import Caller, Case, Recording
from common.paths import prompts_dir
from common.settings import Settings
from hotline.platform import Platform
from tests.e2e.helpers import (
    AriObserver,
    assert_events,
    best_match,
    place_call,
    prompt_seconds,
    speech_seconds,
    wait_for,
    wait_for_all,
)
from tests.e2e.helpers import read_wav as _read_wav


def _speech_length(path: Path) -> float:
    samples, rate = _read_wav(path)
    return len(samples) / rate


def _intro(settings: Settings) -> float:
    return prompt_seconds(settings, "record-intro") + 1.2  # the prompt, then the beep


async def _case(platform: Platform, number: str) -> tuple[Case, list[Recording]]:
    with platform.sessions() as session:
        case = session.scalar(select(Case).where(Case.number == number).options(selectinload(Case.caller)))
        assert case is not None
        recordings = list(session.scalars(select(Recording).where(Recording.case_id == case.id)))
    return case, recordings


async def test_a_report_is_recorded_and_becomes_a_case_read_back_to_the_caller(
    platform: Platform, asterisk: Settings, speech_wav: Path, tmp_path: Path
) -> None:
    heard = tmp_path / "heard.wav"
    script = f"wait 1; keys 1; wait {_intro(asterisk):.1f}; say {speech_wav}; keys #; until-hangup 60"
    log: list = []
    async with AriObserver(asterisk).running() as ari:
        with platform.bus.subscribe() as sub:
            result = await place_call(asterisk, "96960", script, caller="13912345678", record=heard)
            ended = await wait_for(sub, "call.ended", log=log, timeout=40)
    # this call's own: an earlier test's message may be stored meanwhile (the sweep, a late ingest)
    stored = next(e for e in log if e.name == "recording.stored" and e.call_id == ended.call_id)

    assert result["ended_by"] == "far end", result["timeline"]
    assert_events(
        log,
        {"ivr.report": 1, "recording.finished": 1, "ivr.recorded": 1, "ivr.case-opened": 1, "recording.stored": 1},
        ended.call_id,
    )
    assert ended.data["outcome"] == "reported"
    opened = next(e for e in log if e.name == "ivr.case-opened")
    number = opened.data["case_number"]
    assert stored.data["case_number"] == number and number.isdigit()
    assert ari.count("RecordingStarted") == 1 and ari.count("RecordingFinished") == 1

    case, recordings = await _case(platform, number)
    assert (case.line_number, case.caller.phone, case.channel_code, case.origin) == (
        "96960",
        "13912345678",
        "line-96960",
        "ivr",
    )
    assert case.status == "received" and case.register_due is not None  # the one-hour clock runs
    assert len(recordings) == 1
    audio = Path(recordings[0].path)
    said = _speech_length(speech_wav)
    assert abs(recordings[0].duration_s - said) < 2.0, (recordings[0].duration_s, said)
    assert speech_seconds(audio) > 0.5 * speech_seconds(speech_wav)  # the caller's voice, not silence
    # The caller heard the confirmation with the case number.
    assert best_match(heard, prompts_dir(asterisk) / "zh" / "case-opened.wav") > 0.8


async def test_hanging_up_while_recording_keeps_the_message_as_a_case(
    platform: Platform, asterisk: Settings, speech_wav: Path
) -> None:
    # expected: recording.finished 1, recording.stored 1, ivr.case-opened 0 (nobody to tell), no loss
    script = f"wait 1; keys 1; wait {_intro(asterisk):.1f}; say {speech_wav}; hangup"
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", script, caller="13700000001")
        ended = await wait_for(sub, "call.ended", log=log, timeout=20)
        stored = await wait_for(sub, "recording.stored", log=log, timeout=20)

    assert_events(log, {"recording.finished": 1, "recording.stored": 1, "ivr.case-opened": 0}, ended.call_id)
    assert ended.data["outcome"] == "caller-hung-up"
    case, recordings = await _case(platform, stored.data["case_number"])
    assert case.caller.phone == "13700000001" and case.origin == "ivr"
    assert len(recordings) == 1 and recordings[0].duration_s > 0.6 * _speech_length(speech_wav)


async def test_hanging_up_in_the_menu_ends_the_call_cleanly_without_a_case(
    platform: Platform, asterisk: Settings
) -> None:
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", "wait 3; hangup", caller="13700000002")
        await wait_for_all(sub, ("call.ended", "recording.discarded"), log)  # the call's end, its tape's fate
    ended = next(e for e in log if e.name == "call.ended")
    assert ended.data["outcome"] == "caller-hung-up"
    assert_events(log, {"recording.stored": 0, "ivr.case-opened": 0}, ended.call_id)
    assert platform.stasis.sessions == {}
    with platform.sessions() as session:
        assert session.scalar(select(Case).join(Caller).where(Caller.phone == "13700000002")) is None


async def test_status_of_an_unknown_case_number_says_so(platform: Platform, asterisk: Settings) -> None:
    # expected: ivr.status 1, ivr.status-result 1 (found=False); Asterisk plays status-not-found
    log: list = []
    async with AriObserver(asterisk).running() as ari:
        with platform.bus.subscribe() as sub:
            await place_call(asterisk, "12345", "wait 1; keys 2; wait 1; keys 999999999#; wait 6; hangup")
            ended = await wait_for(sub, "call.ended", log=log)
    assert_events(log, {"ivr.status": 1, "ivr.status-result": 1}, ended.call_id)
    assert next(e for e in log if e.name == "ivr.status-result").data["found"] is False
    uris = [e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted")]
    assert any(u.endswith("/status-not-found") for u in uris), uris


async def test_status_of_a_known_case_is_read_with_its_number(platform: Platform, asterisk: Settings) -> None:
    case = platform.book.open(
        NewAppeal(
            channel="line-12345",
            call_id=f"status-test-{datetime.now(UTC).timestamp()}",
            line_number="12345",
            caller_phone="13700000003",
            origin="ivr",
        ),
        SYSTEM,
    )
    number = case.number
    log: list = []
    async with AriObserver(asterisk).running() as ari:
        with platform.bus.subscribe() as sub:
            await place_call(asterisk, "12345", f"wait 1; keys 2; wait 1; keys {number}#; wait 8; hangup")
            ended = await wait_for(sub, "call.ended", log=log)
    assert next(e for e in log if e.name == "ivr.status-result").data["found"] is True
    assert_events(log, {"ivr.status-result": 1}, ended.call_id)
    uris = [e.raw["playback"]["media_uri"] for e in ari.of_type("PlaybackStarted")]
    assert any(u.endswith("/status-received") for u in uris), uris
    digits = [u.rsplit("digit-", 1)[1] for u in uris if "/digit-" in u]
    assert "".join(digits) == number


async def test_a_report_without_a_word_is_a_case_to_call_back_and_the_caller_is_told(
    platform: Platform, asterisk: Settings
) -> None:
    # expected: ivr.recorded with no voice, recording.stored with call_back set, ivr.case-opened;
    # Asterisk plays "call-back" and the case number: the caller chose to report, so a person calls
    script = f"wait 1; keys 1; wait {_intro(asterisk) + 7:.1f}; until-hangup 30"
    log: list = []
    async with AriObserver(asterisk).running() as ari:
        with platform.bus.subscribe() as sub:
            await place_call(asterisk, "12345", script, caller="13700000004")
            await wait_for_all(sub, ("ivr.case-opened", "recording.stored", "call.ended"), log, timeout=40)
    ended = next(e for e in log if e.name == "call.ended")
    assert_events(
        log, {"ivr.recorded": 1, "ivr.case-opened": 1, "recording.stored": 1, "recording.discarded": 0}, ended.call_id
    )
    stored = next(e for e in log if e.name == "recording.stored")
    assert stored.data["call_back"] == "no words in the message"
    assert ended.data["outcome"] == "reported"
    assert any(e.raw["playback"]["media_uri"].endswith("/call-back") for e in ari.of_type("PlaybackStarted"))
    with platform.sessions() as session:
        case = session.scalar(select(Case).join(Caller).where(Caller.phone == "13700000004"))
        assert case is not None and case.call_back == "no words in the message" and case.needs_intake


async def test_hanging_up_before_the_tone_without_a_word_is_a_case_to_call_back(
    platform: Platform, asterisk: Settings
) -> None:
    # expected: the caller presses 1 and hangs up during the intro: recording.stored (no voice,
    # call_back "hung up before the tone, without a word"), no ivr.case-opened (the caller is gone)
    script = "wait 1; keys 1; wait 1; hangup"
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", script, caller="13700000005")
        await wait_for_all(sub, ("recording.stored", "call.ended"), log)  # a case-opened would be among them
    stored = next(e for e in log if e.name == "recording.stored")
    assert stored.data["call_back"] == "hung up before the tone, without a word", stored.data
    assert_events(log, {"ivr.case-opened": 0, "recording.discarded": 0})
    with platform.sessions() as session:
        case = session.scalar(select(Case).join(Caller).where(Caller.phone == "13700000005"))
        assert case is not None and case.call_back is not None


async def test_hanging_up_at_the_menu_without_a_word_leaves_no_case(platform: Platform, asterisk: Settings) -> None:
    # expected: recording.discarded (nothing chosen, no voice), no recording.stored, no case
    log: list = []
    with platform.bus.subscribe() as sub:
        await place_call(asterisk, "12345", "wait 3; hangup", caller="13700000006")
        await wait_for_all(sub, ("recording.discarded", "call.ended"), log)
    discarded = next(e for e in log if e.name == "recording.discarded")
    assert discarded.data["reason"] in ("no voice", "no audio") and discarded.data["kind"] == "call"
    assert_events(log, {"recording.stored": 0})
    with platform.sessions() as session:
        assert session.scalar(select(Case).join(Caller).where(Caller.phone == "13700000006")) is None
