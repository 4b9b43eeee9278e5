"""The IVR's view of the world: a call leg, the intake (casebook) and agent availability.

Each arrow of the platform carries plain data; these dataclasses are that data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ivr.messages import MessageKind


class CallEnded(Exception):
    """The caller hung up (or the channel vanished): whatever the flow was doing is moot."""


@dataclass(frozen=True, slots=True)
class Sound:
    """A prompt of the catalogue, by name; the leg picks the file of the caller's language."""

    name: str


@dataclass(frozen=True, slots=True)
class Digits:
    """A string of digits read one by one in the caller's language (case numbers)."""

    value: str


Say = Sound | Digits


@dataclass(frozen=True, slots=True)
class Utterance:
    """Something the caller said (live speech recognition): its words, and the digits in them."""

    text: str
    digits: str
    model: str = ""
    words: tuple[dict[str, object], ...] = ()  # {word, start, end, conf}
    duration_s: float | None = None
    language: str = ""  # the recognizer's language (not the caller's prompt language)
    spotted: tuple[dict[str, object], ...] = ()  # the menu's keyword spotter's words in the same audio


# what `play` returns when the caller spoke over the prompt (the utterance waits in `next_input`)
SPOKE = "speech"


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    """A message as it ended, and what became of it (the recording keeper stored it already)."""

    name: str
    duration_s: float
    voiced_s: float | None = None  # how much of it is voice (None: not known)
    stored: bool = True  # False: kept in Asterisk, the casebook will have it later (it is down)
    case_number: str | None = None  # None when stored: not a case (nothing said, nothing chosen)
    call_back: str | None = None  # why a person will call the caller back, if they will
    spoke_after_tone: bool = True


@dataclass(frozen=True, slots=True)
class ReportedCall:
    """A caller's recorded report, as handed to the intake. `call_id` makes it idempotent."""

    call_id: str
    line_number: str
    caller_number: str
    started_at: datetime
    recording_name: str
    recording_duration_s: float | None
    origin: str = "ivr"  # "ivr" or "fallback" (recorded by plain Asterisk while the app was down)
    language: str = "zh"
    ivr_path: tuple[str, ...] = field(default_factory=tuple)
    call_back: str | None = None  # why a person must call the citizen back (their words are missing)


@dataclass(frozen=True, slots=True)
class Resumption:
    """Where a caller adopted after a crash of the application stood, as Asterisk kept it."""

    kind: MessageKind | None  # why their words were being recorded (None: no recording running)
    toned: bool  # they had heard the tone: they were leaving their message
    case_number: str | None  # their message was already stored as this case
    started_at: datetime | None = None
    ivr_path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseStatusView:
    number: str
    status: str  # a code with a prompt "status-<code>" in the catalogue


class CallLeg(Protocol):
    """One caller's channel as the IVR sees it. Every method raises `CallEnded` after a hangup."""

    call_id: str
    caller_number: str
    dialled_number: str
    language: str

    @property
    def hears_speech(self) -> bool:
        """The caller's words are recognised live (else only keys come in)."""

    @property
    def speech_language(self) -> str:
        """The language of the speech recogniser ("" without one): the words it can spot."""

    async def answer(self) -> None: ...

    async def play(self, *items: Say, interruptible: bool = True, speech: bool = False) -> str | None:
        """Play in order; with `interruptible`, stop at the first key and return it (left buffered);
        with `speech` too, stop when the caller has said something and return `SPOKE`."""

    async def next_key(self, timeout: float) -> str | None:
        """Take the next key (buffered or new) or return None after `timeout` seconds."""

    async def next_input(self, timeout: float) -> str | Utterance | None:
        """The next key, or the next thing the caller says (when the leg hears speech), or None."""

    async def listen(self, purpose: str, *, digits: bool = False, spot: Sequence[str] = ()) -> None:
        """Listen afresh for `purpose` (menu, case-number...); `digits`: a digits-only grammar;
        `spot`: words a keyword spotter listens for beside the free recognition (`Utterance.spotted`).
        Without live speech recognition this does nothing and `next_input` only gives keys."""

    def clear_keys(self) -> None: ...

    async def keep_words(self, meta: ReportedCall, kind: MessageKind) -> None:
        """From now on what the caller says is recorded by Asterisk (their side only, never the
        prompts), with `meta` and `kind` kept beside it: a hangup, a crash of this application or a
        restart of Asterisk loses none of it. Called again, the same recording goes on, kept now
        for the new `kind`."""

    async def forget_words(self) -> None:
        """The caller chose something that is no message (a status, an agent): what was recorded
        since `keep_words` is thrown away."""

    async def record(self, max_duration_s: int, max_silence_s: int) -> RecordedMessage:
        """The tone, then the caller's message until `#`, `max_silence_s` of silence or the limit;
        what they said since `keep_words` is part of it. Returns once the message is stored."""

    async def transfer_to_queue(
        self, queue: str, ivr_path: tuple[str, ...], *, priority: int = 0, line: Mapping[str, str] | None = None
    ) -> None:
        """Hand the caller to the dialplan's queue. `priority`: ahead of callers with less (a
        citizen called back keeps their place); `line`: the line's facts (number, code, language,
        queue_wait_s) and the caller's number (caller) for a call that did not come in through the
        line (the callback placed by the platform)."""

    async def hangup(self) -> None: ...


class IntakePort(Protocol):
    async def open_report(self, report: ReportedCall) -> str:
        """Open (or find, for the same call id) the case of a recorded report; return its number."""

    async def case_status(self, number: str) -> CaseStatusView | None: ...

    async def keep_spoken(self, call_id: str, utterance: Utterance, language: str) -> None:
        """Keep what the caller said at the menu about their problem (it joins their case)."""

    async def spoken_report_only(self, call_id: str) -> None:
        """The caller said nothing after the tone: their words at the menu are the report."""


class AgentsPort(Protocol):
    async def agents_available(self, queue: str) -> bool: ...


class PlacesPort(Protocol):
    async def keep_place(self, case_number: str, queue: str) -> bool:
        """Call the citizen of this case back when an agent of `queue` is free; False when that
        cannot be promised (no number to call, callbacks off, the casebook away)."""


class EventsPort(Protocol):
    def emit(self, call_id: str, event: str, /, **data: object) -> None: ...
