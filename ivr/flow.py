"""The hotline's main call flow: greeting, menu, report, status, agent.

Written as handler methods over an abstract `CallLeg`; a sub-menu is an awaited method that
returns when done. The telephony layer runs one flow per call inside the call's task group, so
a hangup cancels the flow wherever it is; anything that must survive a hangup (a recording that
has to become a case) is guaranteed by the leg, not by this code.

Keys: any prompt can be interrupted by a key (barge-in) and keys pressed ahead are kept, so a
regular caller can key `1` during the greeting and be recording at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from ivr.hours import is_open
from ivr.lines import LineProfile
from ivr.ports import (
    AgentsPort,
    CallLeg,
    CaseStatusView,
    Digits,
    EventsPort,
    IntakePort,
    ReportedCall,
    Sound,
    Utterance,
)

log = logging.getLogger(__name__)

MAX_CASE_NUMBER_DIGITS = 16
MENU_KEYS = frozenset("1230989")
QUEUE_MESSAGE_PROMPTS = ("no-agent", "message-instead", "interrupted")  # why a caller is asked for a message
LATE_SPEECH_S = 1.5  # how long a key after speech waits for the words' final result
MIN_SPOKEN_WORDS, MIN_SPOKEN_CJK_CHARS = 2, 4  # less than this said at the menu is not a report
# statuses with a prompt of their own ("status-<code>" in prompts.yaml); others say "in progress"
STATUS_PROMPTS = frozenset(
    {"received", "registered", "dispatched", "accepted", "replied", "closed", "reopened", "interview", "leader_review"}
)


@dataclass(frozen=True, slots=True)
class FlowTimings:
    menu_timeout_s: float = 6.0
    digit_timeout_s: float = 5.0
    record_max_s: int = 120
    record_silence_s: int = 5
    min_message_s: float = 1.0


class HotlineFlow:
    """What a caller of one line experiences, from answer to hangup or transfer."""

    def __init__(
        self,
        leg: CallLeg,
        line: LineProfile,
        *,
        intake: IntakePort,
        agents: AgentsPort,
        events: EventsPort,
        now: Callable[[], datetime],
        timings: FlowTimings,
    ) -> None:
        self.leg = leg
        self.line = line
        self.intake = intake
        self.agents = agents
        self.events = events
        self.now = now
        self.timings = timings
        self.started_at = now()
        self.path: list[str] = []
        self.outcome = "hangup"
        self.spoken_at_menu = False

    # --- helpers ---------------------------------------------------------------------------------
    def _step(self, name: str, **data: object) -> None:
        self.path.append(name)
        self.events.emit(self.leg.call_id, f"ivr.{name.split(':', 1)[0]}", **data)

    def _report_meta(self, recording_name: str = "") -> ReportedCall:
        return ReportedCall(
            call_id=self.leg.call_id,
            line_number=self.line.number,
            caller_number=self.leg.caller_number,
            started_at=self.started_at,
            recording_name=recording_name,
            recording_duration_s=None,
            origin="ivr",
            language=self.leg.language,
            ivr_path=tuple(self.path),
        )

    # --- the flow --------------------------------------------------------------------------------
    async def run(self) -> str:
        """Run the call to its end; return the outcome (reported, transferred, goodbye, hangup)."""
        self.leg.language = self.line.language
        await self.leg.answer()
        self._step("greeting", line=self.line.number)
        if not is_open(self.line.hours, self.now()):
            await self.leg.play(Sound(f"greeting-{self.line.code}"), interruptible=False)
            self._step("out-of-hours")
            await self.report(intro=(Sound("out-of-hours"), Sound("record-intro")))
            return self.outcome
        await self.leg.play(Sound(f"greeting-{self.line.code}"))
        await self.main_menu()
        return self.outcome

    async def leave_message(self, prompt: str) -> str:
        """A caller taken out of a queue (key 1, or the wait ran out), or adopted after the
        application restarted mid-call: their message becomes a case, as a report at the menu does."""
        self.leg.language = self.line.language
        await self.leg.answer()
        self._step("queue-message", reason=prompt)
        await self.report(
            intro=(Sound(prompt if prompt in QUEUE_MESSAGE_PROMPTS else "no-agent"), Sound("record-intro"))
        )
        return self.outcome

    async def main_menu(self) -> None:
        failures = 0
        pending: str | None = None  # a key pressed while waiting for late words: the next choice
        while True:
            self._step("menu")
            got: str | Utterance | None
            if pending is not None:
                got, pending = pending, None
            else:
                await self.leg.listen("menu")
                played = await self.leg.play(Sound("menu"), Sound("menu-language"), speech=True)
                got = await self.leg.next_input(self.timings.menu_timeout_s if played is None else 0)
            if isinstance(got, str) and got not in MENU_KEYS and self.leg.hears_speech:
                # "#" or a stray key right after speaking: the words may still be on their way
                late = await self.leg.next_input(LATE_SPEECH_S)
                if isinstance(late, Utterance):
                    got = late
                elif late is not None:
                    pending = late  # no words but another key: both count, in order
            key: str | None
            if isinstance(got, Utterance):
                key = self._spoken_choice(got)
                if key is None and _is_description(got.text):
                    # the caller said what the problem is instead of pressing 1
                    self._step("spoken-report", chars=len(got.text))
                    await self.intake.keep_spoken(self.leg.call_id, got, self.leg.language)
                    self.spoken_at_menu = True
                    await self.report(intro=(Sound("spoken-report"),))
                    return
                self._step(f"said:{key or 'unclear'}", key=key)
            else:
                key = got
            self._step(f"key:{key or 'none'}", key=key)
            if key == "1":
                await self.report(intro=(Sound("record-intro"),))
                return
            if key == "2":
                await self.status()
                failures = 0
                continue
            if key in ("3", "0"):
                await self.agent()
                return
            if key == "9":
                continue
            if key == "8":
                self.leg.language = "en" if self.leg.language == "zh" else "zh"
                self._step("language", language=self.leg.language)
                continue
            failures += 1
            self.leg.clear_keys()
            await self.leg.play(Sound("no-input" if key is None else "invalid-key"))
            if failures >= 2:
                self._step("menu-failed")
                await self.agent()
                return

    @staticmethod
    def _spoken_choice(utterance: Utterance) -> str | None:
        """A menu choice said as one number word ("one", "一", "일"), else None."""
        if len(utterance.text.split()) == 1 and len(utterance.digits) == 1 and utterance.digits in MENU_KEYS:
            return utterance.digits
        return None

    async def report(self, intro: tuple[Sound, ...]) -> None:
        """Record the caller's message and read back the case number."""
        self._step("report")
        await self.leg.play(*intro)
        self.leg.clear_keys()
        message = await self.leg.record(self.timings.record_max_s, self.timings.record_silence_s, self._report_meta())
        self._step("recorded", duration_s=message.duration_s, voiced_s=message.voiced_s)
        spoken = message.voiced_s if message.voiced_s is not None else message.duration_s
        if spoken < self.timings.min_message_s and not self.spoken_at_menu:
            await self.leg.play(Sound("no-recording"), Sound("goodbye"), interruptible=False)
            self.outcome = "no-message"
            await self.leg.hangup()
            return
        report = replace(self._report_meta(message.name), recording_duration_s=message.duration_s)
        number = await self.intake.open_report(report)
        if spoken < self.timings.min_message_s:  # what was said at the menu is the whole report
            await self.intake.spoken_report_only(self.leg.call_id)
        self._step("case-opened", case_number=number)
        self.outcome = "reported"
        await self.leg.play(
            Sound("case-opened"),
            Digits(number),
            Sound("case-number-again"),
            Digits(number),
            Sound("goodbye"),
            interruptible=False,
        )
        await self.leg.hangup()

    async def status(self) -> None:
        """Ask for a case number (keys then `#`, or said aloud) and read its status; two tries."""
        self._step("status")
        for _attempt in range(2):
            await self.leg.listen("case-number", digits=True)
            await self.leg.play(Sound("status-enter"), speech=True)
            number = await self._collect_number()
            if not number:
                await self.leg.play(Sound("no-input"))
                continue
            view: CaseStatusView | None = await self.intake.case_status(number)
            self._step("status-result", found=view is not None, status=view.status if view else None)
            if view is None:
                await self.leg.play(Sound("status-not-found"))
                continue
            status = view.status if view.status in STATUS_PROMPTS else "unknown"
            await self.leg.play(Sound("status-prefix"), Digits(view.number), Sound(f"status-{status}"))
            return

    async def _collect_number(self) -> str:
        digits = ""
        timeout = self.timings.digit_timeout_s * 2
        while len(digits) <= MAX_CASE_NUMBER_DIGITS:
            got = await self.leg.next_input(timeout)
            if isinstance(got, Utterance):
                if got.digits and not digits:
                    self._step("said-number", digits=len(got.digits))
                    return got.digits[: MAX_CASE_NUMBER_DIGITS + 1]
                continue  # words that are no number: keep waiting for keys or digits
            if got is None or got == "#":
                return digits
            if got.isdigit():
                digits += got
            timeout = self.timings.digit_timeout_s
        return digits

    async def agent(self) -> None:
        """Hand the caller to the line's queue, or take a message when nobody can answer."""
        queue = self.line.default_queue
        if await self.agents.agents_available(queue):
            self._step("transfer", queue=queue)
            await self.leg.play(Sound("transfer"), interruptible=False)
            self.outcome = "transferred"
            await self.leg.transfer_to_queue(queue, tuple(self.path))
            return
        self._step("no-agent", queue=queue)
        await self.report(intro=(Sound("no-agent"), Sound("record-intro")))


def _is_description(text: str) -> bool:
    """Enough words to be about a problem (not a cough, a "hello?" or a lone word)."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return len(text.split()) >= MIN_SPOKEN_WORDS or cjk >= MIN_SPOKEN_CJK_CHARS
