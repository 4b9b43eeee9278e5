"""ARI events are parsed defensively; keys are buffered in order (key-ahead)."""

from __future__ import annotations

import asyncio

from telephony.ari.events import (
    ChannelDtmfReceived,
    OtherEvent,
    PlaybackFinished,
    RecordingFinished,
    StasisStart,
    parse_event,
)
from telephony.calls.keys import KeyBuffer


def test_stasis_start_carries_the_caller_and_the_arguments() -> None:
    event = parse_event(
        {
            "type": "StasisStart",
            "args": ["incoming", "12345"],
            "channel": {
                "id": "1.1",
                "name": "PJSIP/carrier-00000001",
                "caller": {"number": "13800138000"},
                "dialplan": {"exten": "12345", "app_data": "hotline,incoming,12345"},
            },
        }
    )
    assert isinstance(event, StasisStart)
    assert event.args == ("incoming", "12345")
    assert event.channel.caller_number == "13800138000"
    assert not event.channel.is_auxiliary


def test_snoop_and_external_media_channels_are_not_callers() -> None:
    for name in ("Snoop/1.1-00000001", "UnicastRTP/127.0.0.1:5000-0x1"):
        event = parse_event({"type": "StasisStart", "args": [], "channel": {"id": "x", "name": name}})
        assert isinstance(event, StasisStart) and event.channel.is_auxiliary


def test_other_events_parse() -> None:
    dtmf = parse_event({"type": "ChannelDtmfReceived", "digit": "5", "duration_ms": 100, "channel": {"id": "a"}})
    assert isinstance(dtmf, ChannelDtmfReceived) and dtmf.digit == "5"
    done = parse_event({"type": "PlaybackFinished", "playback": {"id": "p1", "target_uri": "channel:a"}})
    assert isinstance(done, PlaybackFinished) and done.target_uri == "channel:a"
    rec = parse_event({"type": "RecordingFinished", "recording": {"name": "r", "duration": 12}})
    assert isinstance(rec, RecordingFinished) and rec.duration == 12


def test_malformed_events_never_raise() -> None:
    for data in (
        None,
        [],
        "x",
        {"type": "ChannelDtmfReceived"},
        {"type": "PlaybackStarted", "playback": None},
        {"type": "RecordingFinished", "recording": {"duration": "x", "name": "r"}},
    ):
        assert isinstance(parse_event(data), OtherEvent)


async def test_keys_pressed_ahead_are_kept_in_order() -> None:
    keys = KeyBuffer()
    keys.push("1")
    keys.push("2")
    assert keys.peek() == "1"
    assert await keys.take(0) == "1"
    assert await keys.take(0) == "2"
    assert await keys.take(0) is None
    assert await keys.take(0.05) is None

    async def press_later() -> None:
        await asyncio.sleep(0.02)
        keys.push("#")

    task = asyncio.create_task(press_later())
    assert await keys.take(1.0) == "#"
    await task
