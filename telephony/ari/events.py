"""Typed ARI events: the JSON from the event socket turned into small frozen dataclasses.

Only the events the platform acts on get their own class; everything else arrives as
`OtherEvent` with its raw JSON, so an unexpected or malformed event never raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AUXILIARY_PREFIXES = ("Snoop/", "UnicastRTP/", "WebSocket/", "AudioSocket/", "Local/")


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    state: str
    caller_number: str
    caller_name: str
    exten: str
    app_data: str
    language: str

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Channel:
        data = data or {}
        caller = data.get("caller") or {}
        dialplan = data.get("dialplan") or {}
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            state=str(data.get("state", "")),
            caller_number=str(caller.get("number", "")),
            caller_name=str(caller.get("name", "")),
            exten=str(dialplan.get("exten", "")),
            app_data=str(dialplan.get("app_data", "")),
            language=str(data.get("language", "")),
        )

    @property
    def is_auxiliary(self) -> bool:
        """Snoop, externalMedia and local helper channels raise StasisStart too: they are not callers."""
        return self.name.startswith(AUXILIARY_PREFIXES)


@dataclass(frozen=True, slots=True)
class AriEvent:
    type: str
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class OtherEvent(AriEvent):
    pass


@dataclass(frozen=True, slots=True)
class ChannelEvent(AriEvent):
    channel: Channel


@dataclass(frozen=True, slots=True)
class StasisStart(ChannelEvent):
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StasisEnd(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True)
class ChannelDtmfReceived(ChannelEvent):
    digit: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class ChannelHangupRequest(ChannelEvent):
    cause: int


@dataclass(frozen=True, slots=True)
class ChannelDestroyed(ChannelEvent):
    cause: int
    cause_txt: str


@dataclass(frozen=True, slots=True)
class ChannelTalkingStarted(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True)
class ChannelTalkingFinished(ChannelEvent):
    duration_ms: int  # how long the caller talked


@dataclass(frozen=True, slots=True)
class PlaybackEvent(AriEvent):
    playback_id: str
    media_uri: str
    target_uri: str
    state: str


@dataclass(frozen=True, slots=True)
class PlaybackStarted(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class PlaybackFinished(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True)
class RecordingEvent(AriEvent):
    name: str
    target_uri: str
    state: str
    duration: int | None
    cause: str
    talking_duration: int | None = None


@dataclass(frozen=True, slots=True)
class RecordingStarted(RecordingEvent):
    pass


@dataclass(frozen=True, slots=True)
class RecordingFinished(RecordingEvent):
    pass


@dataclass(frozen=True, slots=True)
class RecordingFailed(RecordingEvent):
    pass


def parse_event(data: Any) -> AriEvent:
    """Turn one decoded JSON message into an event; never raises."""
    if not isinstance(data, dict):
        return OtherEvent(type="Malformed", raw={"value": data})
    kind = str(data.get("type", "Unknown"))
    try:
        return _parse_known(kind, data)
    except (TypeError, ValueError, AttributeError, KeyError):
        return OtherEvent(type=kind, raw=data)


def _parse_known(kind: str, data: dict[str, Any]) -> AriEvent:
    if kind in _CHANNEL_EVENTS:
        channel = Channel.from_json(data.get("channel"))
        if kind == "StasisStart":
            return StasisStart(kind, data, channel, tuple(str(a) for a in data.get("args") or ()))
        if kind == "StasisEnd":
            return StasisEnd(kind, data, channel)
        if kind == "ChannelDtmfReceived":
            return ChannelDtmfReceived(kind, data, channel, str(data["digit"]), int(data.get("duration_ms", 0)))
        if kind == "ChannelTalkingStarted":
            return ChannelTalkingStarted(kind, data, channel)
        if kind == "ChannelTalkingFinished":
            return ChannelTalkingFinished(kind, data, channel, int(data.get("duration", 0)))
        if kind == "ChannelHangupRequest":
            return ChannelHangupRequest(kind, data, channel, int(data.get("cause", 0)))
        return ChannelDestroyed(kind, data, channel, int(data.get("cause", 0)), str(data.get("cause_txt", "")))
    if kind in _PLAYBACK_EVENTS:
        pb = data.get("playback") or {}
        cls = PlaybackStarted if kind == "PlaybackStarted" else PlaybackFinished
        return cls(
            kind,
            data,
            str(pb["id"]),
            str(pb.get("media_uri", "")),
            str(pb.get("target_uri", "")),
            str(pb.get("state", "")),
        )
    if kind in _RECORDING_EVENTS:
        rec = data.get("recording") or {}
        rcls = _RECORDING_EVENTS[kind]
        duration = rec.get("duration")
        talking = rec.get("talking_duration")
        return rcls(
            kind,
            data,
            str(rec["name"]),
            str(rec.get("target_uri", "")),
            str(rec.get("state", "")),
            int(duration) if duration is not None else None,
            str(rec.get("cause", "")),
            int(talking) if talking is not None else None,
        )
    return OtherEvent(kind, data)


_CHANNEL_EVENTS = frozenset(
    {
        "StasisStart",
        "StasisEnd",
        "ChannelDtmfReceived",
        "ChannelHangupRequest",
        "ChannelDestroyed",
        "ChannelTalkingStarted",
        "ChannelTalkingFinished",
    }
)
_PLAYBACK_EVENTS = frozenset({"PlaybackStarted", "PlaybackFinished"})
_RECORDING_EVENTS: dict[str, type[RecordingEvent]] = {
    "RecordingStarted": RecordingStarted,
    "RecordingFinished": RecordingFinished,
    "RecordingFailed": RecordingFailed,
}
