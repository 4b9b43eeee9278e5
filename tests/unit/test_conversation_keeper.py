"""The conversation keeper's decisions (telephony/calls/conversations.py), with a scripted Asterisk
in place of ARI: logic only; the real MixMonitor files go through tests/e2e/test_conversations.py.

Nominal and off-nominal side by side: a call still up is left alone; an ended one is stored, then
deleted from Asterisk; a casebook that refuses leaves the files in Asterisk for the next sweep
(nothing lost); a queue that never connected anyone leaves audio-less files, deleted.
"""

from __future__ import annotations

import asyncio
import io
import wave
from typing import Any

import pytest

from common.bus import EventBus
from telephony.ari.errors import AriNotFound
from telephony.calls.conversations import ConversationKeeper
from telephony.calls.notifier import CallNotifier
from telephony.calls.ports import RecordedConversation

BASE = "conv-1796455842-0-1796455847"
CALL = "1796455842.0"


def _wav(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(8000)
        wav.writeframes(b"\x10\x00" * int(8000 * seconds))
    return out.getvalue()


class ScriptedAsterisk:
    def __init__(self, files: dict[str, bytes], channels: set[str]) -> None:
        self.files = dict(files)
        self.channels = set(channels)

    async def list_stored_recordings(self) -> list[dict[str, Any]]:
        return [{"name": name, "format": "wav"} for name in self.files]

    async def request(self, method: str, path: str, *_: Any, **__: Any) -> Any:
        channel = path.rsplit("/", 1)[-1]
        if channel not in self.channels:
            raise AriNotFound(404, "Channel not found", method=method, path=path)
        return {"id": channel}

    async def fetch_recording(self, name: str) -> bytes:
        return self.files[name]

    async def delete_recording(self, name: str) -> None:
        if self.files.pop(name, None) is None:
            raise AriNotFound(404, "Recording not found", method="DELETE", path=name)


class Casebook:
    def __init__(self, refusals: int = 0) -> None:
        self.kept: list[RecordedConversation] = []
        self.refusals = refusals

    async def keep_conversation(self, conversation: RecordedConversation) -> None:
        if self.refusals:
            self.refusals -= 1
            raise ConnectionError("the database is down")
        self.kept.append(conversation)


def _keeper(asterisk: ScriptedAsterisk, book: Casebook) -> ConversationKeeper:
    keeper = ConversationKeeper(asterisk, book, CallNotifier(EventBus()))  # type: ignore[arg-type]
    keeper.settle_s = 0.0
    return keeper


def _three(seconds: float = 3.0) -> dict[str, bytes]:
    return {f"{BASE}-{side}": _wav(seconds) for side in ("mixed", "caller", "agent")}


async def test_a_call_still_up_is_left_alone_and_an_ended_one_is_stored_then_deleted() -> None:
    asterisk, book = ScriptedAsterisk(_three(), {CALL}), Casebook()
    keeper = _keeper(asterisk, book)
    assert await keeper.sweep() == 1 and book.kept == [] and len(asterisk.files) == 3
    asterisk.channels.clear()  # the caller hung up
    assert await keeper.sweep() == 0
    [kept] = book.kept
    assert (kept.name, kept.call_id, kept.duration_s) == (BASE, CALL, 3.0)
    assert kept.caller and kept.agent and asterisk.files == {}


async def test_a_casebook_that_refuses_leaves_the_files_in_asterisk_for_the_next_sweep() -> None:
    asterisk, book = ScriptedAsterisk(_three(), set()), Casebook(refusals=1)
    keeper = _keeper(asterisk, book)
    with pytest.raises(ConnectionError):
        await keeper.sweep()
    assert len(asterisk.files) == 3 and book.kept == []  # nothing deleted, nothing lost
    await keeper.sweep()
    assert len(book.kept) == 1 and asterisk.files == {}


async def test_a_queue_that_never_connected_anyone_leaves_nothing_to_keep() -> None:
    asterisk, book = ScriptedAsterisk(_three(seconds=0.0), set()), Casebook()
    await _keeper(asterisk, book).sweep()
    assert book.kept == [] and asterisk.files == {}


async def test_a_recording_asterisk_was_killed_over_is_repaired_and_kept() -> None:
    files = _three()
    broken = bytearray(files[f"{BASE}-mixed"])
    broken[40:44] = b"\x00\x00\x00\x00"  # the data size Asterisk never wrote
    files[f"{BASE}-mixed"] = bytes(broken)
    asterisk, book = ScriptedAsterisk(files, set()), Casebook()
    await _keeper(asterisk, book).sweep()
    assert book.kept and book.kept[0].duration_s == 3.0


async def test_files_of_other_recordings_are_not_touched() -> None:
    files = {"rec-1796455842-0-1": _wav(1), f"{BASE}-mixed": _wav(1)}
    asterisk, book = ScriptedAsterisk(files, set()), Casebook()
    await _keeper(asterisk, book).sweep()
    assert list(asterisk.files) == ["rec-1796455842-0-1"] and len(book.kept) == 1


async def test_a_call_leaving_its_queue_has_its_conversation_taken_soon_after() -> None:
    from telephony.ami.queue_events import QueueEvent

    asterisk, book = ScriptedAsterisk(_three(), set()), Casebook()
    keeper = _keeper(asterisk, book)
    keeper.on_queue_event(QueueEvent("ringing", CALL, "intake"))  # not an ending: nothing happens
    assert not keeper._later
    keeper.on_queue_event(QueueEvent("completed", CALL, "intake"))
    await asyncio.gather(*keeper._later)
    assert len(book.kept) == 1


async def test_the_dialplans_word_that_a_recorded_call_ended_has_the_conversation_taken() -> None:
    """No queue event tells the end of a call transferred to an agent's phone: the dialplan's
    hangup handler does (an AMI UserEvent)."""
    asterisk, book = ScriptedAsterisk(_three(), set()), Casebook()
    keeper = _keeper(asterisk, book)
    keeper.on_user_event(None, {"UserEvent": "SomethingElse"})
    assert not keeper._later
    keeper.on_user_event(None, {"UserEvent": "HotlineConversationEnded", "Conversation": BASE})
    await asyncio.gather(*keeper._later)
    assert len(book.kept) == 1
