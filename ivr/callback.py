"""Callbacks: what a citizen hears when the platform calls them back. The satisfaction question
(`SatisfactionDialog`), and the place kept in a queue (`BackToQueue`). The first:

    <line greeting> "we are calling back about your case" <case number> "the department has
    replied" "satisfied: press 1, not satisfied: press 2"

A wrong key or silence repeats the question once; a second one ends the call without a verdict
(the citizen is called again later, up to the limit). The verdict is known the moment the key
is pressed: `verdict` is set before the thank-you, so a citizen who hangs up during it has still
answered. The reply's own text is not read out (no speech synthesis of free text during calls):
a fixed prompt says that the department has replied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ivr.ports import CallLeg, Digits, EventsPort, Sound

VERDICT_KEYS = {"1": "satisfied", "2": "unsatisfied"}
MAX_FAILURES = 2
KEPT_PLACE_PRIORITY = 10  # app_queue's QUEUE_PRIO: a citizen called back goes ahead of later callers


@dataclass(frozen=True, slots=True)
class CallbackTimings:
    answer_timeout_s: float = 6.0  # after the question, for the key


class SatisfactionDialog:
    """One answered callback, over the abstract call leg."""

    def __init__(
        self,
        leg: CallLeg,
        *,
        callback_id: int,
        case_number: str,
        greeting: str | None,
        events: EventsPort,
        timings: CallbackTimings | None = None,
    ) -> None:
        self.leg = leg
        self.callback_id = callback_id
        self.case_number = case_number
        self.greeting = greeting  # the line's greeting prompt, e.g. "greeting-mayor"
        self.events = events
        self.timings = timings or CallbackTimings()
        self.verdict: str | None = None
        # satisfied / unsatisfied, or why there is no verdict: no-input, invalid-keys, hangup
        self.outcome = "hangup"

    async def run(self) -> str:
        await self.leg.answer()  # answered by the citizen already; this starts the leg's bookkeeping
        self.events.emit(self.leg.call_id, "callback.answered", callback=self.callback_id, case=self.case_number)
        intro = (Sound(self.greeting),) if self.greeting else ()
        await self.leg.play(
            *intro,
            Sound("callback-intro"),
            Digits(self.case_number),
            Sound("callback-replied"),
            interruptible=False,  # keys pressed meanwhile are kept: a citizen may answer ahead
        )
        failures = 0
        while True:
            await self.leg.play(Sound("callback-question"))
            key = await self.leg.next_key(self.timings.answer_timeout_s)
            self.events.emit(self.leg.call_id, "callback.key", callback=self.callback_id, key=key)
            if key in VERDICT_KEYS:
                self.verdict = self.outcome = VERDICT_KEYS[key]
                await self.leg.play(Sound(f"callback-thanks-{self.verdict}"), interruptible=False)
                await self.leg.hangup()
                return self.outcome
            failures += 1
            self.leg.clear_keys()
            if failures >= MAX_FAILURES:
                self.outcome = "no-input" if key is None else "invalid-keys"
                await self.leg.play(Sound("callback-later"), interruptible=False)
                await self.leg.hangup()
                return self.outcome
            await self.leg.play(Sound("no-input" if key is None else "invalid-key"), interruptible=False)


class BackToQueue:
    """A keep-my-place callback, answered: the citizen hears why we call and joins the queue they
    left, ahead of the callers who came after them.

        <line greeting> "you asked us to call you back: connecting you to an agent" [recorded]
    """

    verdict: str | None = None  # asks for none: it ends in the queue

    def __init__(
        self,
        leg: CallLeg,
        *,
        callback_id: int,
        case_number: str,
        queue: str,
        line: Mapping[str, str],
        greeting: str | None,
        recording_notice: bool,
        events: EventsPort,
    ) -> None:
        self.leg = leg
        self.callback_id = callback_id
        self.case_number = case_number
        self.queue = queue
        self.line = line  # the line's facts the queue's dialplan reads (number, code, language)
        self.greeting = greeting
        self.recording_notice = recording_notice
        self.events = events
        self.outcome = "hangup"  # "queued" once the citizen is in the queue

    async def run(self) -> str:
        await self.leg.answer()
        self.events.emit(self.leg.call_id, "callback.answered", callback=self.callback_id, case=self.case_number)
        intro = (Sound(self.greeting),) if self.greeting else ()
        notice = (Sound("recording-notice"),) if self.recording_notice else ()
        await self.leg.play(*intro, Sound("queue-callback-connecting"), *notice, interruptible=False)
        await self.leg.transfer_to_queue(self.queue, ("callback",), priority=KEPT_PLACE_PRIORITY, line=self.line)
        self.outcome = "queued"
        return self.outcome
