"""The satisfaction callback: what a citizen hears when the platform calls them back.

    <line greeting> "we are calling back about your case" <case number> "the department has
    replied" "satisfied: press 1, not satisfied: press 2"

A wrong key or silence repeats the question once; a second one ends the call without a verdict
(the citizen is called again later, up to the limit). The verdict is known the moment the key
is pressed: `verdict` is set before the thank-you, so a citizen who hangs up during it has still
answered. The reply's own text is not read out (no speech synthesis of free text during calls):
a fixed prompt says that the department has replied.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.ports import CallLeg, Digits, EventsPort, Sound

VERDICT_KEYS = {"1": "satisfied", "2": "unsatisfied"}
MAX_FAILURES = 2


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
