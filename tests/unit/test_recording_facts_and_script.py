"""Facts of a message kept in Asterisk survive the round trip; bad audio and bad scripts are named."""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.ports import ReportedCall
from telephony.calls.recordings import decode_meta, encode_meta, wav_duration
from telephony.sip.script import ScriptError, default_script, parse_script


def test_message_facts_round_trip_through_asterisks_database() -> None:
    report = ReportedCall(
        call_id="1795.2",
        line_number="12345",
        caller_number="+86 138-0013-8000",
        started_at=datetime(2026, 11, 27, 3, 0, tzinfo=UTC),
        recording_name="rec-1",
        recording_duration_s=None,
        origin="ivr",
        language="en",
        ivr_path=("greeting", "menu", "key:1"),
    )
    back = decode_meta(encode_meta(report), "rec-1")
    assert back.caller_number == "+8613800138000"
    assert (back.call_id, back.line_number, back.origin, back.language) == ("1795.2", "12345", "ivr", "en")
    assert back.started_at == report.started_at and back.ivr_path == report.ivr_path


def test_facts_written_by_the_dialplan_fallback_decode() -> None:
    back = decode_meta("12345|13800138000|1795755000|fallback|zh|1795755000.7", "fb-1795755000-7")
    assert (back.origin, back.call_id, back.caller_number) == ("fallback", "1795755000.7", "13800138000")


def test_garbled_facts_still_give_a_report() -> None:
    back = decode_meta("only-a-line", "fb-x")
    assert back.call_id == "fb-x" and back.line_number == "only-a-line"


def test_wav_duration_and_corrupt_audio() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 12000)
    assert wav_duration(buffer.getvalue()) == 1.5
    assert wav_duration(b"RIFF....not a wav") is None
    assert wav_duration(b"") is None


def test_call_scripts(tmp_path: Path) -> None:
    speech = tmp_path / "s.wav"
    with wave.open(str(speech), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 800)
    not_audio = tmp_path / "bad.wav"
    not_audio.write_text("not a wav")
    steps = parse_script(f"wait 1.5; keys 1#; say {speech}; hangup")
    assert [s.action for s in steps] == ["wait", "keys", "say", "hangup"]
    assert "keys 2" in default_script("2", None, first_wait=1, before_say=2, hangup_wait=3)
    for bad, message in (
        ("wait x", "seconds"),
        ("keys 1x", "keys"),
        ("say /nope.wav", "no such file"),
        (f"say {not_audio}", "is not a WAV file"),
        ("say", "needs a WAV file"),
        ("dance", "unknown step"),
    ):
        with pytest.raises(ScriptError, match=message):
            parse_script(bad)
