"""Facts of a message kept in Asterisk survive the round trip; bad audio and bad scripts are named."""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.messages import MessageKind, MessageStage
from ivr.ports import ReportedCall
from telephony.calls.audio import repaired_wav, trimmed, voiced_seconds
from telephony.calls.facts import TapeFacts, decode_facts, encode_facts
from telephony.calls.recordings import wav_duration
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
    facts = TapeFacts(report, MessageKind.NO_AGENT, MessageStage.MESSAGE, "host:1:2", "it stopped | early")
    decoded = decode_facts(encode_facts(facts), "rec-1")
    back = decoded.report
    assert back.caller_number == "+8613800138000"
    assert (back.call_id, back.line_number, back.origin, back.language) == ("1795.2", "12345", "ivr", "en")
    assert back.started_at == report.started_at and back.ivr_path == report.ivr_path
    assert (decoded.kind, decoded.stage, decoded.owner) == (MessageKind.NO_AGENT, MessageStage.MESSAGE, "host:1:2")
    assert decoded.problem == "it stopped / early"  # the separator never splits a field


def test_facts_written_by_the_dialplan_fallback_decode() -> None:
    decoded = decode_facts("12345|13800138000|1795755000|fallback|zh|1795755000.7", "fb-1795755000-7")
    back = decoded.report
    assert (back.origin, back.call_id, back.caller_number) == ("fallback", "1795755000.7", "13800138000")
    # asked for a message after its own tone: a case only if the caller spoke
    assert (decoded.kind, decoded.stage) == (MessageKind.ASKED, MessageStage.MESSAGE)


def test_facts_of_an_older_version_are_a_report_from_the_tone() -> None:
    decoded = decode_facts("12345|13800138000|1795755000|ivr|zh|1795755000.7|greeting>menu>key:1", "rec-1")
    assert (decoded.kind, decoded.stage) == (MessageKind.REPORT, MessageStage.MESSAGE)


def test_garbled_facts_still_give_a_report() -> None:
    decoded = decode_facts("only-a-line|x|nan-time|ivr|zh|c|p|no-such-kind|no-such-stage", "fb-x")
    assert decoded.report.call_id == "c" and decoded.report.line_number == "only-a-line"
    assert (decoded.kind, decoded.stage) == (MessageKind.REPORT, MessageStage.MESSAGE)
    assert decode_facts("only-a-line", "fb-x").report.call_id == "fb-x"


def _wav(*parts: tuple[float, float]) -> bytes:
    """16-bit 8 kHz mono: (seconds, amplitude) parts; a 440 Hz tone where amplitude > 0."""
    import math

    buffer = io.BytesIO()
    frames = bytearray()
    for seconds, amplitude in parts:
        for i in range(int(seconds * 8000)):
            value = int(amplitude * 32767 * math.sin(2 * math.pi * 440 * i / 8000))
            frames += value.to_bytes(2, "little", signed=True)
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(bytes(frames))
    return buffer.getvalue()


def test_a_recording_asterisk_never_finished_is_read_from_the_bytes_it_holds() -> None:
    whole = _wav((1.0, 0.0), (2.0, 0.3))
    killed = bytearray(whole)
    killed[4:8] = (0).to_bytes(4, "little")  # Asterisk killed: the sizes it writes at the end are 0
    killed[40:44] = (0).to_bytes(4, "little")
    assert wav_duration(bytes(killed)) in (None, 0.0)
    fixed = repaired_wav(bytes(killed))
    assert wav_duration(fixed) == 3.0 and voiced_seconds(fixed) == 2.0
    assert repaired_wav(whole) == whole and repaired_wav(b"RIFF") == b"RIFF"


def test_long_silence_around_the_words_is_trimmed_and_no_word_is() -> None:
    audio, voiced = trimmed(_wav((10.0, 0.0), (3.0, 0.3), (0.5, 0.0), (2.0, 0.01), (6.0, 0.0)))
    assert voiced is not None and voiced >= 5.0  # the quiet words (-40 dBFS) count as words
    assert wav_duration(audio) == 7.5  # 1 s of silence kept each side of the 5.5 s said
    short, _ = trimmed(_wav((0.5, 0.0), (2.0, 0.3), (1.0, 0.0)))
    assert wav_duration(short) == 3.5  # too little to cut: left as it is
    silent, none = trimmed(_wav((3.0, 0.0)))
    assert none == 0.0 and wav_duration(silent) == 3.0


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
