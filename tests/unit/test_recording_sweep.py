"""The recording sweep never takes a message that has not begun for one that ended, nor a tape
another keeper has just stored for one that Asterisk lost.

The facts of a message are written just before Asterisk starts recording it; under load (issue 7's
bench) the sweep ran in between, found neither live nor stored audio, called it "no audio" and
dropped the facts, and the message recorded a moment later had no case. Stand-ins for Asterisk's
database and ARI (logic only; the real path is covered by the e2e tests).
"""

from __future__ import annotations

import io
import math
import struct
import wave
from datetime import UTC, datetime, timedelta
from typing import Any

from asr.schemas import Transcript
from ivr.messages import MessageKind, MessageStage
from ivr.ports import ReportedCall
from telephony.ami.client import AmiError
from telephony.ari.errors import AriNotFound
from telephony.calls.facts import TapeFacts
from telephony.calls.recordings import DONE_FAMILY, FAMILY, RecordingKeeper


class Db:
    def __init__(self) -> None:
        self.families: dict[str, dict[str, str]] = {FAMILY: {}, DONE_FAMILY: {}}

    async def put(self, family: str, key: str, value: str) -> None:
        self.families.setdefault(family, {})[key] = value

    async def get(self, family: str, key: str) -> str | None:
        return self.families.get(family, {}).get(key)

    async def delete(self, family: str, key: str) -> None:
        self.families.get(family, {}).pop(key, None)

    async def tree(self, family: str) -> dict[str, str]:
        return dict(self.families.get(family, {}))


class Ari:
    """Nothing live, nothing stored: the moment between the facts and the recording's start."""

    async def live_recording(self, name: str) -> dict[str, Any]:
        raise AriNotFound(404, "no such recording", method="GET", path=f"/recordings/live/{name}")

    async def stored_recording(self, name: str) -> dict[str, Any]:
        raise AriNotFound(404, "no such recording", method="GET", path=f"/recordings/stored/{name}")

    async def fetch_recording(self, name: str) -> bytes:
        raise AriNotFound(404, "no such recording", method="GET", path=f"/recordings/stored/{name}/file")

    async def list_stored_recordings(self) -> list[dict[str, Any]]:
        return []

    async def delete_recording(self, name: str) -> None: ...

    async def asterisk_info(self) -> dict[str, Any]:
        return {"status": {"startup_time": "2026-01-01T00:00:00.000+0000"}}


class Sink:
    def __init__(self) -> None:
        self.opened: list[ReportedCall] = []
        self.without_audio: list[str] = []

    async def open_report(self, report: ReportedCall) -> str:
        self.opened.append(report)
        return "1"

    async def attach_recording(self, *args: object) -> None: ...

    async def message_stored(self, call_id: str, live: Transcript | None) -> None: ...

    async def no_recording(self, call_id: str, reason: str) -> None:
        self.without_audio.append(reason)

    async def case_of_call(self, call_id: str) -> str | None:
        return "1" if self.opened else None


class Events:
    def __init__(self) -> None:
        self.names: list[str] = []

    def emit(self, call_id: str, event: str, /, **data: object) -> None:
        self.names.append(event)


def _report(name: str, started: datetime, kind: MessageKind = MessageKind.CALL) -> TapeFacts:
    return TapeFacts(ReportedCall("c-1", "12345", "13800000000", started, name, None), kind, MessageStage.WORDS)


def _keeper() -> tuple[RecordingKeeper, Db, Events]:
    db, events = Db(), Events()
    keeper = RecordingKeeper(Ari(), db, Sink(), events)  # type: ignore[arg-type]
    return keeper, db, events


async def test_a_recording_this_process_is_about_to_begin_is_left_alone() -> None:
    keeper, db, events = _keeper()
    started = datetime.now(UTC) - timedelta(minutes=5)  # a long call: the facts carry its start
    await keeper.remember("rec-c-1-1", _report("rec-c-1-1", started))
    assert await keeper.sweep() == 0
    assert "rec-c-1-1" in db.families[FAMILY], "the facts of the message about to be recorded were dropped"
    assert "recording.discarded" not in events.names


async def test_facts_another_process_left_without_audio_are_given_up_once_old() -> None:
    keeper, db, events = _keeper()  # a fresh process: it knows nothing of these facts
    other, _, _ = _keeper()
    other.astdb = db
    old = datetime.now(UTC) - timedelta(minutes=5)
    await other.remember("rec-c-1-1", _report("rec-c-1-1", old))
    await keeper.sweep()
    assert "rec-c-1-1" not in db.families[FAMILY]  # nothing chosen, nothing recorded: no message
    assert "recording.discarded" in events.names


async def test_a_caller_who_chose_to_report_and_left_no_audio_still_has_a_case_to_call_back() -> None:
    keeper, db, events = _keeper()
    other, _, _ = _keeper()
    other.astdb = db
    old = datetime.now(UTC) - timedelta(minutes=5)
    await other.remember("rec-c-1-1", _report("rec-c-1-1", old, MessageKind.REPORT))
    assert await keeper.sweep() == 1
    sink = keeper.sink
    assert isinstance(sink, Sink) and len(sink.opened) == 1
    assert sink.opened[0].call_back is not None and "no recording" in sink.opened[0].call_back
    assert sink.without_audio and "recording.stored" in events.names
    assert "rec-c-1-1" not in db.families[FAMILY]


class StoredAri(Ari):
    """A tape stored in Asterisk, shared by every keeper; `before_fetch` runs as a fetch begins
    (the moment another keeper may be storing the same tape)."""

    def __init__(self, audio: dict[str, bytes]) -> None:
        self.audio = audio
        self.before_fetch: Any = None

    async def stored_recording(self, name: str) -> dict[str, Any]:
        if name in self.audio:
            return {"name": name}
        return await super().stored_recording(name)

    async def fetch_recording(self, name: str) -> bytes:
        if self.before_fetch is not None:
            hook, self.before_fetch = self.before_fetch, None
            await hook()
        if name in self.audio:
            return self.audio[name]
        return await super().fetch_recording(name)

    async def delete_recording(self, name: str) -> None:
        self.audio.pop(name, None)


def _voice_wav(seconds: float = 3.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        n = int(8000 * seconds)
        wav.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 5))) for i in range(n)))
    return out.getvalue()


async def test_two_keepers_storing_one_tape_at_once_make_one_case_with_its_words() -> None:
    # a second process's sweep (a deploy's overlap) takes the tape this process is storing: it
    # read the facts, then found the audio gone (stored and deleted by the first). "Asterisk kept
    # no audio" would mark a case that has the caller's words; it lets the tape go instead
    db, audio = Db(), {"rec-c-1-1": _voice_wav()}
    first_ari, second_ari = StoredAri(audio), StoredAri(audio)
    first_sink, second_sink = Sink(), Sink()
    first = RecordingKeeper(first_ari, db, first_sink, Events())  # type: ignore[arg-type]
    second = RecordingKeeper(second_ari, db, second_sink, Events())  # type: ignore[arg-type]
    facts = _report("rec-c-1-1", datetime.now(UTC), MessageKind.REPORT).but(stage=MessageStage.ENDED)
    await first.remember("rec-c-1-1", facts)
    await first.mark_done("rec-c-1-1")

    async def first_stores_it() -> None:
        assert await first.ingest("rec-c-1-1") is not None

    second_ari.before_fetch = first_stores_it
    assert await second.ingest("rec-c-1-1") is None
    assert len(first_sink.opened) == 1 and first_sink.opened[0].call_back is None
    assert second_sink.opened == [] and second_sink.without_audio == []
    assert db.families[FAMILY] == {} and db.families[DONE_FAMILY] == {} and audio == {}


async def test_a_tape_whose_facts_asterisk_never_got_still_has_its_case_to_call_back() -> None:
    # AMI was down as the tape began (the facts are in this process only) and the recording
    # failed: no audio, no facts in Asterisk, but the caller chose to report: a case to call back
    keeper, db, _events = _keeper()

    async def refused(family: str, key: str, value: str) -> None:
        raise AmiError("AMI is not connected")

    db.put = refused  # type: ignore[method-assign]
    facts = _report("rec-c-1-1", datetime.now(UTC), MessageKind.REPORT).but(problem="the recording could not start")
    await keeper.remember("rec-c-1-1", facts)
    result = await keeper.ingest("rec-c-1-1")
    assert result is not None and result.case_number == "1"
    assert result.verdict.call_back == "the recording could not start"
