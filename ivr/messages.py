"""What becomes of what a caller said: a case, a case to call back, or nothing.

From the moment a caller may be about to report (the call is answered), Asterisk records their
side of the call (never the prompts) into a *tape*, with facts that say why it is kept (its
`MessageKind`) and how far the caller got (`MessageStage`). When the tape ends, for whatever
reason (the caller's `#`, silence, a hangup, a crash of this application, a restart of Asterisk,
a full disk), one rule decides what it becomes: `judge()`. The IVR applies it to the message it
has just recorded; the recording keeper applies it to a tape found after a fault. Both reach the
same answer from the same facts, so a call never gets two verdicts.

The rule: a caller who *chose* to report (key 1, said their problem, asked for an agent and
found nobody, left a queue for a message) always has a case; if their words are missing or may
be cut short, the case is marked "call back" with what went wrong. A caller who chose nothing
has a case only if they said enough to be a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MessageKind(StrEnum):
    """Why a caller's words are being kept."""

    CALL = "call"  # answered, nothing chosen yet: kept only if the caller says enough
    REPORT = "report"  # key 1 at the menu
    SPOKEN = "spoken"  # said what the problem is at the menu
    NO_AGENT = "no-agent"  # asked for a person and nobody was free
    QUEUE = "queue"  # left an agents' queue for a message (key 1 there, or the wait ran out)
    ASKED = "asked"  # asked to leave one without choosing it (line closed, after a crash, fallback)
    DISCARDED = "discarded"  # the caller chose something else (status, an agent): thrown away


CHOSEN = frozenset({MessageKind.REPORT, MessageKind.SPOKEN, MessageKind.NO_AGENT, MessageKind.QUEUE})


class MessageStage(StrEnum):
    """How far the caller got with their message."""

    WORDS = "words"  # recording, the tone not played yet (prompts, menu)
    MESSAGE = "message"  # the tone was played: the caller is leaving their message
    ENDED = "ended"  # the message ended as it should (`#`, silence or the time limit)


MIN_CHOSEN_VOICE_S = 1.0  # less voice than this in a chosen message: no words, call back
MIN_UNCHOSEN_VOICE_S = 2.0  # before any choice or tone, a caller is reporting only if they said this much


@dataclass(frozen=True, slots=True)
class Verdict:
    case: bool  # the tape becomes (or joins) the call's case
    call_back: str | None = None  # why a person should call the citizen back (None: no need)


def judge(
    kind: MessageKind,
    stage: MessageStage,
    voiced_s: float | None,
    *,
    audio: bool = True,
    problem: str = "",
    cut_by_asterisk: bool = False,
) -> Verdict:
    """The fate of a tape, from its facts and what its audio holds.

    `voiced_s`: seconds of voice in the audio (None: not measurable, counted as voice when there is
    audio, so an unreadable file is never thrown away); `audio`: whether any audio exists;
    `problem`: what went wrong with the recording, if anything (it stopped early, it failed);
    `cut_by_asterisk`: Asterisk stopped (restart, crash) while the tape was running.
    """
    if kind == MessageKind.DISCARDED:
        return Verdict(case=False)
    voice = (voiced_s if voiced_s is not None else float("inf")) if audio else 0.0
    chosen = kind in CHOSEN
    # a caller asked for a message who heard the tone needs as little voice as one who chose it
    least = MIN_UNCHOSEN_VOICE_S if stage == MessageStage.WORDS else MIN_CHOSEN_VOICE_S
    if not chosen and voice < least:
        return Verdict(case=False)
    if problem:
        return Verdict(case=True, call_back=problem)
    if not audio:
        return Verdict(case=True, call_back="no recording of the call: Asterisk kept no audio")
    if cut_by_asterisk and stage != MessageStage.ENDED:
        return Verdict(case=True, call_back="the call was cut off (Asterisk stopped): the message may be incomplete")
    if chosen and voice < MIN_CHOSEN_VOICE_S:
        if stage == MessageStage.WORDS:
            return Verdict(case=True, call_back="hung up before the tone, without a word")
        return Verdict(case=True, call_back="no words in the message")
    if stage == MessageStage.WORDS:
        if not chosen:
            return Verdict(case=True, call_back="spoke, then the call ended before any choice")
        return Verdict(case=True, call_back="hung up before the tone: the message may be incomplete")
    return Verdict(case=True)
