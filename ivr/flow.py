"""The hotline's main call flow: greeting, menu, report, status, agent.

Written as handler methods over an abstract `CallLeg`; a sub-menu is an awaited method that
returns when done. The telephony layer runs one flow per call inside the call's task group, so
a hangup cancels the flow wherever it is; anything that must survive a hangup (a recording that
has to become a case) is guaranteed by the leg, not by this code.

Keys: any prompt can be interrupted by a key (barge-in) and keys pressed ahead are kept, so a
regular caller can key `1` during the greeting and be recording at once.

Words: from the answer on, what the caller says is recorded by Asterisk (`keep_words`), so words
said over the greeting, the menu, the intro or an apology are part of their message if it comes
to one, and a crash loses none of them; choosing a status or an agent throws that recording away.
What becomes of a message (a case, a case to call back, nothing) is `ivr.messages.judge`'s call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from ivr.hours import is_open
from ivr.lines import LANGUAGES, LineProfile
from ivr.menu_words import said_choice, spotter_grammar
from ivr.messages import CHOSEN, MessageKind
from ivr.ports import (
    AgentsPort,
    CallLeg,
    CaseStatusView,
    Digits,
    EventsPort,
    IntakePort,
    PlacesPort,
    ReportedCall,
    Resumption,
    Sound,
    Utterance,
)

log = logging.getLogger(__name__)

MAX_CASE_NUMBER_DIGITS = 16
MENU_KEYS = frozenset("1230989")
QUEUE_MESSAGE_PROMPTS = ("no-agent", "message-instead")  # why a caller left a queue for a message
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
    recording_notice: bool = False  # "this call is recorded" after the greeting (conversations are)


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
        places: PlacesPort | None = None,
    ) -> None:
        self.leg = leg
        self.line = line
        self.intake = intake
        self.agents = agents
        self.events = events
        self.now = now
        self.timings = timings
        self.places = places  # keep-my-place callbacks (None: this installation places no calls)
        self.started_at = now()
        self.path: list[str] = []
        self.told_recorded = False  # the caller heard the whole recording notice
        self.outcome = "hangup"
        self.spoken_at_menu = False

    # --- helpers ---------------------------------------------------------------------------------
    def _step(self, name: str, **data: object) -> None:
        self.path.append(name)
        self.events.emit(self.leg.call_id, f"ivr.{name.split(':', 1)[0]}", **data)

    def _report_meta(self) -> ReportedCall:
        return ReportedCall(
            call_id=self.leg.call_id,
            line_number=self.line.number,
            caller_number=self.leg.caller_number,
            started_at=self.started_at,
            recording_name="",
            recording_duration_s=None,
            origin="ivr",
            language=self.leg.language,
            ivr_path=tuple(self.path),
        )

    async def _keep_words(self, kind: MessageKind) -> None:
        await self.leg.keep_words(self._report_meta(), kind)

    # --- the flow --------------------------------------------------------------------------------
    async def run(self) -> str:
        """Run the call to its end; return the outcome (reported, transferred, goodbye, hangup)."""
        self.leg.language = self.line.language
        await self.leg.answer()
        self._step("greeting", line=self.line.number)
        await self._keep_words(MessageKind.CALL)
        if not is_open(self.line.hours, self.now()):
            await self.leg.play(*self._greeting(), interruptible=False)
            self._step("out-of-hours")
            await self.report(MessageKind.ASKED, intro=(Sound("out-of-hours"), Sound("record-intro")))
            return self.outcome
        cut_short = await self.leg.play(*self._greeting())
        self.told_recorded = self.timings.recording_notice and cut_short is None
        await self.main_menu()
        return self.outcome

    def _greeting(self) -> tuple[Sound, ...]:
        """The line's greeting, and the notice that the call is recorded where conversations are
        (a caller is told before anything they say is kept)."""
        notice = (Sound("recording-notice"),) if self.timings.recording_notice else ()
        return (Sound(f"greeting-{self.line.code}"), *notice)

    async def leave_message(self, prompt: str) -> str:
        """A caller taken out of a queue (key 1, or the wait ran out): their message becomes a case,
        as a report at the menu does."""
        self._language_back_from_queue()
        await self.leg.answer()
        self._step("queue-message", reason=prompt)
        kind = MessageKind.QUEUE if prompt in QUEUE_MESSAGE_PROMPTS else MessageKind.ASKED
        await self.report(
            kind, intro=(Sound(prompt if prompt in QUEUE_MESSAGE_PROMPTS else "no-agent"), Sound("record-intro"))
        )
        return self.outcome

    async def keep_place(self, queue: str) -> str:
        """A caller who pressed 2 while waiting in `queue`: they say briefly what it is about (a
        case, as any message), hang up, and are called back when an agent of that queue is free.
        Without a number to call (a withheld caller id, callbacks off) they leave a message."""
        self._language_back_from_queue()
        await self.leg.answer()
        self._step("queue-callback", queue=queue)
        if self.places is None or not self.leg.caller_number:
            self._step("queue-callback-refused", why="no-number" if self.places else "off")
            await self.report(MessageKind.QUEUE, intro=(Sound("queue-callback-no-number"), Sound("record-intro")))
        else:
            await self.report(MessageKind.QUEUE, intro=(Sound("queue-callback-intro"),), keep_place=queue)
        return self.outcome

    def _language_back_from_queue(self) -> None:
        """A caller back from a queue keeps the language they chose (8 at the menu), else the line's."""
        if self.leg.language not in LANGUAGES:
            self.leg.language = self.line.language

    async def resume(self, where: Resumption) -> str:
        """A caller adopted after this application restarted mid-call (Asterisk kept them and
        whatever they were saying). A message already stored: their number is read again. A
        message under way: it goes on to its end. Otherwise they are told what happened and leave
        their message, words said since they chose included; the menu is not started again."""
        if where.started_at is not None:
            self.started_at = where.started_at
        self.path = list(where.ivr_path)
        self._step("resumed", kind=where.kind.value if where.kind else None, toned=where.toned)
        if where.case_number is not None:
            self.outcome = "reported"
            await self._read_back(where.case_number)
            return self.outcome
        if where.kind is not None and where.toned:
            await self.report(where.kind, intro=())
            return self.outcome
        kind = where.kind if where.kind in CHOSEN else MessageKind.ASKED
        await self.report(kind, intro=(Sound("interrupted"),))
        return self.outcome

    async def _menu_input(self, pending: str | None) -> tuple[str | Utterance | None, str | None]:
        """The caller's next choice at the menu (a key, words, or nothing), and a key pressed while
        waiting for late words, which is the choice after it."""
        if pending is not None:
            return pending, None
        await self.leg.listen("menu", spot=spotter_grammar(self.leg.speech_language))
        played = await self.leg.play(Sound("menu"), Sound("menu-language"), speech=True)
        got = await self.leg.next_input(self.timings.menu_timeout_s if played is None else 0)
        if isinstance(got, str) and got not in MENU_KEYS and self.leg.hears_speech:
            # "#" or a stray key right after speaking: the words may still be on their way
            late = await self.leg.next_input(LATE_SPEECH_S)
            if isinstance(late, Utterance):
                return await self._rest_of_sentence(late)
            if late is not None:
                return got, late  # no words but another key: both count, in order
        if isinstance(got, Utterance):
            return await self._rest_of_sentence(got)
        return got, None

    async def _rest_of_sentence(self, said: Utterance) -> tuple[str | Utterance, str | None]:
        """Words too few to be a choice or a report may be the start of a sentence the recognizer
        cut at a pause ("我家门口 ... 路灯坏了"): what follows within a moment is joined to them. A key
        in that moment is the caller's choice (a "hello?" and then 1)."""
        while self._spoken_choice(said) is None and not _is_description(said.text):
            more = await self.leg.next_input(LATE_SPEECH_S)
            if more is None:
                break
            if isinstance(more, str):
                return more, None
            said = _joined(said, more)
        return said, None

    async def main_menu(self) -> None:
        failures, pressed = 0, False
        pending: str | None = None  # a key pressed while waiting for late words: the next choice
        while True:
            self._step("menu")
            got, pending = await self._menu_input(pending)
            key: str | None
            if isinstance(got, Utterance):
                key = self._spoken_choice(got)
                if key is None and _is_description(got.text):
                    # the caller said what the problem is instead of pressing 1
                    self._step("spoken-report", chars=len(got.text))
                    await self.intake.keep_spoken(self.leg.call_id, got, self.leg.language)
                    self.spoken_at_menu = True
                    await self.report(MessageKind.SPOKEN, intro=(Sound("spoken-report"),))
                    return
                self._step(f"said:{key or 'unclear'}", key=key)
            else:
                key = got
            self._step(f"key:{key or 'none'}", key=key)
            if key == "1":
                await self.report(MessageKind.REPORT, intro=(Sound("record-intro"),))
                return
            if key == "2":
                await self.leg.forget_words()  # a status lookup is no message
                await self.status()
                await self._keep_words(MessageKind.CALL)
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
            pressed = pressed or key is not None
            self.leg.clear_keys()
            await self.leg.play(Sound("no-input" if key is None else "invalid-key"))
            if failures >= 2:
                self._step("menu-failed")
                # a caller who pressed keys was trying: their message is a case, words or not; one
                # who only kept silent (a pocket dial, a line left open) has a case only if they speak
                await self.agent(chose=pressed)
                return

    @staticmethod
    def _spoken_choice(utterance: Utterance) -> str | None:
        """A menu choice said as one number word ("one", "一", "일") or in words ("转人工", "查询";
        `menu_words`), else None."""
        if len(utterance.text.split()) == 1 and len(utterance.digits) == 1 and utterance.digits in MENU_KEYS:
            return utterance.digits
        return said_choice(utterance.text, utterance.spotted, utterance.words, utterance.language)

    async def report(self, kind: MessageKind, intro: tuple[Sound, ...], *, keep_place: str | None = None) -> None:
        """Take the caller's message (their words since `keep_words` included) and read back the
        number of the case it opened (`keep_place`: and call them back when that queue is free)."""
        self._step("report", kind=kind.value)
        await self._keep_words(kind)
        if intro:
            # after words said at the menu, a "#" pressed as they end (out of habit) must not cut the
            # prompt that tells the caller they may add more after the tone: it is cleared below
            await self.leg.play(*intro, interruptible=kind is not MessageKind.SPOKEN)
        self.leg.clear_keys()
        message = await self.leg.record(self.timings.record_max_s, self.timings.record_silence_s)
        self._step(
            "recorded",
            duration_s=message.duration_s,
            voiced_s=message.voiced_s,
            stored=message.stored,
            call_back=message.call_back is not None,
        )
        if not message.stored:
            # the casebook is away: the message is safe in Asterisk and becomes a case when it is back
            self.outcome = "reported"
            await self.leg.play(Sound("message-received"), Sound("goodbye"), interruptible=False)
            await self.leg.hangup()
            return
        if message.case_number is None:
            await self.leg.play(Sound("no-recording"), Sound("goodbye"), interruptible=False)
            self.outcome = "no-message"
            await self.leg.hangup()
            return
        if self.spoken_at_menu and not message.spoke_after_tone:  # what was said at the menu is the report
            await self.intake.spoken_report_only(self.leg.call_id)
        self._step("case-opened", case_number=message.case_number, call_back=message.call_back is not None)
        self.outcome = "reported"
        if keep_place is not None and self.places is not None:
            kept = await self.places.keep_place(message.case_number, keep_place)
            self._step("queue-callback-kept", queue=keep_place, kept=kept)
            await self.leg.play(Sound("queue-callback-kept" if kept else "queue-callback-failed"), interruptible=False)
        if message.call_back is not None:
            await self.leg.play(Sound("call-back"), interruptible=False)
        await self._read_back(message.case_number)

    async def _read_back(self, number: str) -> None:
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

    async def agent(self, *, chose: bool = True) -> None:
        """Hand the caller to the line's queue, or take a message when nobody can answer (one the
        caller chose, or, when they got here by silence alone, one they are asked for). A line that
        waits unstaffed queues its callers in its hours whoever is signed in: they wait, seen on the
        wallboard, and may leave a message (key 1, or after the line's wait)."""
        queue = self.line.default_queue
        if self.line.wait_unstaffed or await self.agents.agents_available(queue):
            await self.leg.forget_words()  # the caller talks to a person: no message
            self._step("transfer", queue=queue)
            # a caller who keyed through the greeting is told, before the agent, that the
            # conversation is recorded (the notice is never skipped by pressing ahead)
            notice = (Sound("recording-notice"),) if self.timings.recording_notice and not self.told_recorded else ()
            await self.leg.play(Sound("transfer"), *notice, interruptible=False)
            self.told_recorded = self.told_recorded or bool(notice)
            self.outcome = "transferred"
            await self.leg.transfer_to_queue(queue, tuple(self.path))
            return
        self._step("no-agent", queue=queue)
        kind = MessageKind.NO_AGENT if chose else MessageKind.ASKED
        await self.report(kind, intro=(Sound("no-agent"), Sound("record-intro")))


def _joined(first: Utterance, then: Utterance) -> Utterance:
    """One utterance of two the recognizer split at a pause."""
    duration = None
    if first.duration_s is not None and then.duration_s is not None:
        duration = round(first.duration_s + then.duration_s, 2)
    return replace(
        first,
        text=f"{first.text} {then.text}".strip(),
        digits=first.digits + then.digits,
        words=first.words + then.words,
        duration_s=duration,
        spotted=first.spotted + then.spotted,
    )


def _is_description(text: str) -> bool:
    """Enough words to be about a problem (not a cough, a "hello?" or a lone word)."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return len(text.split()) >= MIN_SPOKEN_WORDS or cjk >= MIN_SPOKEN_CJK_CHARS
