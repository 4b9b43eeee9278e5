"""The IVR flow's decisions, over a scripted call leg (logic only; real calls are in tests/e2e).

The scripted leg plays the recording keeper's part with the same rule (`ivr.messages.judge`): a
message is stored and becomes a case, a case to call back, or nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ivr.flow import FlowTimings, HotlineFlow
from ivr.lines import load_lines
from ivr.messages import MessageKind, MessageStage, judge
from ivr.ports import (
    SPOKE,
    CaseStatusView,
    Digits,
    RecordedMessage,
    ReportedCall,
    Resumption,
    Say,
    Sound,
    Utterance,
)

NUMBER = "2611270001"


@dataclass
class ScriptedLeg:
    """Keys arrive in order; each play or wait consumes time only in the caller's imagination."""

    keys: deque[str | Utterance | None]  # a key, a thing said, or None (nothing within the timeout)
    record_seconds: float = 12.0
    call_id: str = "c-1"
    caller_number: str = "13800138000"
    dialled_number: str = "12345"
    language: str = "zh"
    played: list[str] = field(default_factory=list)
    hung_up: bool = False
    transferred_to: str | None = None
    buffered: deque[str | Utterance] = field(default_factory=deque)
    listening: list[str] = field(default_factory=list)
    hears_speech: bool = False
    speech_language: str = "zh"
    kept: list[MessageKind] = field(default_factory=list)  # why the words were kept, in order
    forgotten: int = 0
    meta: ReportedCall | None = None
    stored: bool = True  # False: the casebook is away when the message ends

    async def answer(self) -> None:
        pass

    async def play(self, *items: Say, interruptible: bool = True, speech: bool = False) -> str | None:
        for item in items:
            self.played.append(item.name if isinstance(item, Sound) else f"digits:{item.value}")
        if not interruptible or not self.keys or self.keys[0] is None:
            return None
        if isinstance(self.keys[0], Utterance):
            if not speech:
                return None
            self.buffered.append(self.keys.popleft())  # type: ignore[arg-type]
            return SPOKE
        self.buffered.append(self.keys.popleft())  # type: ignore[arg-type]
        return self.buffered[0] if isinstance(self.buffered[0], str) else SPOKE

    async def next_input(self, timeout: float) -> str | Utterance | None:
        if self.buffered:
            return self.buffered.popleft()
        if timeout <= 0 or not self.keys:
            return None
        return self.keys.popleft()

    async def next_key(self, timeout: float) -> str | None:
        got = await self.next_input(timeout)
        return got if isinstance(got, str) else None

    async def listen(self, purpose: str, *, digits: bool = False, spot: Sequence[str] = ()) -> None:
        self.listening.append(purpose + (":digits" if digits else "") + (":spot" if spot else ""))

    def clear_keys(self) -> None:
        self.buffered.clear()

    async def keep_words(self, meta: ReportedCall, kind: MessageKind) -> None:
        self.kept.append(kind)
        self.meta = meta

    async def forget_words(self) -> None:
        self.forgotten += 1

    async def record(self, max_duration_s: int, max_silence_s: int) -> RecordedMessage:
        self.played.append("<record>")
        if not self.stored:
            return RecordedMessage("rec-1", self.record_seconds, None, stored=False)
        verdict = judge(self.kept[-1], MessageStage.ENDED, self.record_seconds)
        return RecordedMessage(
            "rec-1",
            self.record_seconds,
            self.record_seconds,
            case_number=NUMBER if verdict.case else None,
            call_back=verdict.call_back,
            spoke_after_tone=self.record_seconds >= 1.0,
        )

    async def transfer_to_queue(
        self, queue: str, ivr_path: tuple[str, ...], *, priority: int = 0, line: Mapping[str, str] | None = None
    ) -> None:
        self.transferred_to = queue
        self.queue_priority, self.queue_line = priority, dict(line or {})

    async def hangup(self) -> None:
        self.hung_up = True


class Intake:
    def __init__(self) -> None:
        self.reports: list[ReportedCall] = []
        self.spoken: list[str] = []

    async def open_report(self, report: ReportedCall) -> str:
        self.reports.append(report)
        return "2611270001"

    async def case_status(self, number: str) -> CaseStatusView | None:
        return CaseStatusView(number, "dispatched") if number == "2611270001" else None

    async def keep_spoken(self, call_id: str, utterance: Utterance, language: str) -> None:
        self.spoken.append(utterance.text)

    async def spoken_report_only(self, call_id: str) -> None:
        self.spoken.append("<nothing more>")


class Agents:
    def __init__(self, free: bool) -> None:
        self.free = free

    async def agents_available(self, queue: str) -> bool:
        return self.free


class Places:
    def __init__(self, works: bool = True) -> None:
        self.works = works
        self.kept: list[tuple[str, str]] = []

    async def keep_place(self, case_number: str, queue: str) -> bool:
        self.kept.append((case_number, queue))
        return self.works


class Events:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.keys: list[object] = []

    def emit(self, call_id: str, event: str, /, **data: object) -> None:
        self.names.append(event)
        if event == "ivr.key":
            self.keys.append(data.get("key"))


def _flow(
    keys: list[str | Utterance | None],
    *,
    agents_free: bool = False,
    number: str = "12345",
    record_seconds: float = 12.0,
    recording_notice: bool = False,
    places: Places | None = None,
) -> tuple[HotlineFlow, ScriptedLeg, Intake, Events]:
    line = load_lines().by_number(number)
    assert line is not None
    leg = ScriptedLeg(deque(keys), record_seconds=record_seconds, dialled_number=number)
    intake, events = Intake(), Events()
    flow = HotlineFlow(
        leg,
        line,
        intake=intake,
        agents=Agents(agents_free),
        events=events,
        now=lambda: datetime(2026, 11, 23, 10, 0),
        timings=FlowTimings(recording_notice=recording_notice),
        places=places,
    )
    return flow, leg, intake, events


async def test_one_records_a_report_and_reads_the_case_number_twice() -> None:
    flow, leg, _, _ = _flow(["1"])
    assert await flow.run() == "reported"
    assert leg.kept == [MessageKind.CALL, MessageKind.REPORT]  # from the answer, then for a report
    assert leg.played.count(f"digits:{NUMBER}") == 2 and "call-back" not in leg.played
    assert leg.meta is not None and leg.meta.ivr_path[:3] == ("greeting", "menu", "key:1")
    assert leg.hung_up


async def test_a_report_with_no_words_is_a_case_to_call_back_not_nothing() -> None:
    flow, leg, _, events = _flow(["1"], record_seconds=0.3)
    assert await flow.run() == "reported"
    assert "call-back" in leg.played and leg.played.count(f"digits:{NUMBER}") == 2
    assert "ivr.case-opened" in events.names


async def test_a_caller_asked_for_a_message_who_says_nothing_leaves_no_case() -> None:
    flow, leg, _, _ = _flow([], record_seconds=0.3)
    assert await flow.resume(Resumption(None, False, None)) == "no-message"
    assert leg.kept[-1] == MessageKind.ASKED and "no-recording" in leg.played


async def test_the_casebook_away_the_caller_is_told_their_message_is_kept() -> None:
    flow, leg, _, _ = _flow(["1"])
    leg.stored = False
    assert await flow.run() == "reported"
    assert "message-received" in leg.played and f"digits:{NUMBER}" not in leg.played


async def test_status_reads_a_known_case_and_returns_to_the_menu() -> None:
    flow, leg, _, events = _flow(["2", "2", "6", "1", "1", "2", "7", "0", "0", "0", "1", "#", "9"])
    await flow.main_menu()
    assert "status-dispatched" in leg.played
    assert events.names.count("ivr.menu") >= 2
    assert leg.forgotten == 1 and leg.kept[0] == MessageKind.CALL  # a status is no message; kept again after


async def test_status_ignores_star_and_gives_up_after_two_unknown_numbers() -> None:
    flow, leg, _, _ = _flow(["2", "4", "*", "4", "#", "5", "#", "9"])
    await flow.main_menu()
    assert leg.played.count("status-not-found") == 2


async def test_two_wrong_keys_reach_an_agent_when_one_is_free() -> None:
    flow, leg, _, events = _flow(["7", "*"], agents_free=True)
    await flow.main_menu()
    assert leg.transferred_to == "intake" and leg.forgotten == 1  # talking to a person is no message
    assert "ivr.menu-failed" in events.names


async def test_a_caller_who_keys_through_the_greeting_hears_the_recording_notice_before_the_agent() -> None:
    flow, leg, _, _ = _flow(["3"], agents_free=True, recording_notice=True)  # 3 pressed during the greeting
    await flow.run()
    assert leg.transferred_to == "intake"
    assert leg.played[-2:] == ["transfer", "recording-notice"]  # said before the conversation is recorded


async def test_a_caller_who_heard_the_greeting_whole_is_not_told_twice() -> None:
    flow, leg, _, _ = _flow([None, "3"], agents_free=True, recording_notice=True)
    await flow.run()
    assert leg.transferred_to == "intake"
    assert leg.played.count("recording-notice") == 1 and leg.played[-1] == "transfer"


async def test_a_line_that_waits_unstaffed_queues_the_caller_with_nobody_free() -> None:
    flow, leg, _, events = _flow(["3"], agents_free=False, number="82512345")  # open on a Monday at 10:00
    assert flow.line.wait_unstaffed
    await flow.main_menu()
    assert leg.transferred_to == "intake" and "ivr.no-agent" not in events.names and "no-agent" not in leg.played


async def test_agent_key_without_a_free_agent_takes_a_message() -> None:
    flow, leg, _, _ = _flow(["3"], agents_free=False)
    await flow.main_menu()
    assert leg.transferred_to is None and "no-agent" in leg.played and leg.kept == [MessageKind.NO_AGENT]
    assert f"digits:{NUMBER}" in leg.played


async def test_silence_twice_without_a_free_agent_asks_for_a_message_that_needs_words() -> None:
    """A pocket dial or a line left open presses nothing and says nothing: the message it is asked
    for becomes a case only if words come (MessageKind.ASKED); wrong keys were a caller trying."""
    flow, leg, _, events = _flow([None, None], agents_free=False)
    await flow.main_menu()
    assert "ivr.menu-failed" in events.names and leg.kept == [MessageKind.ASKED]
    tried, leg_tried, _, _ = _flow(["7", None], agents_free=False)
    await tried.main_menu()
    assert leg_tried.kept == [MessageKind.NO_AGENT]


async def test_out_of_hours_skips_the_menu() -> None:
    line = load_lines().by_number("96960")
    assert line is not None
    leg = ScriptedLeg(deque())
    intake = Intake()
    flow = HotlineFlow(
        leg,
        line,
        intake=intake,
        agents=Agents(True),
        events=Events(),
        now=lambda: datetime(2026, 11, 28, 22, 0),
        timings=FlowTimings(),
    )  # Saturday night
    assert await flow.run() == "reported"
    assert "menu" not in leg.played and "out-of-hours" in leg.played
    assert leg.kept == [MessageKind.CALL, MessageKind.ASKED]


async def test_digits_are_read_one_by_one() -> None:
    assert Digits("2611").value == "2611"


# --- speaking instead of keying ------------------------------------------------------------------------
async def test_saying_the_problem_at_the_menu_records_a_report_and_keeps_what_was_said() -> None:
    said = Utterance("五津镇 河边 有 死猪", "")
    flow, leg, intake, events = _flow([said])
    assert await flow.run() == "reported"
    assert intake.spoken == ["五津镇 河边 有 死猪"]
    assert "spoken-report" in leg.played and "<record>" in leg.played
    assert "ivr.spoken-report" in events.names and leg.kept[-1] == MessageKind.SPOKEN


async def test_a_menu_number_said_aloud_works_like_its_key() -> None:
    flow, _leg, intake, events = _flow([Utterance("일", "1")])
    assert await flow.run() == "reported"
    assert "ivr.said" in events.names and intake.spoken == []


async def test_asking_for_a_person_in_words_reaches_an_agent() -> None:
    # expected: ivr.said key 0, no spoken report, the caller transferred to the intake queue
    flow, leg, intake, events = _flow([Utterance("你好 我 要 转 人工", "", language="zh")], agents_free=True)
    assert await flow.run() == "transferred"
    assert leg.transferred_to == "intake" and intake.spoken == []
    assert "said:0" in flow.path and "ivr.spoken-report" not in events.names
    assert "menu:spot" in leg.listening  # the spotter listened beside the free recognition


async def test_asking_to_check_a_case_in_words_asks_for_its_number() -> None:
    said = Utterance("你好 我 想 查询 一下 我 的 案件 进度", "", language="zh")
    flow, leg, _, _ = _flow([said, *"2611270001", "#", "3"], agents_free=True)
    await flow.run()
    assert "said:2" in flow.path and "status-dispatched" in leg.played


async def test_a_complaint_said_with_its_problem_is_the_report_itself() -> None:
    # "投诉" and a whole problem: not the menu's key 1, but the problem said at once (kept as spoken)
    said = Utterance("我 要 投诉 我 家 门口 的 路灯 坏 了 三天", "", language="zh")
    flow, _leg, intake, events = _flow([said])
    assert await flow.run() == "reported"
    assert "ivr.spoken-report" in events.names and intake.spoken == [said.text]


async def test_a_word_only_the_spotter_heard_chooses_when_it_fills_a_short_utterance() -> None:
    # the free model guessed other syllables; the spotter heard 상담원 over most of them
    heard = (
        {"word": "아이", "start": 0.5, "end": 0.8, "conf": 0.4},
        {"word": "넘", "start": 0.8, "end": 1.2, "conf": 0.3},
    )
    spotted = ({"word": "상담원", "start": 0.57, "end": 1.11, "conf": 1.0},)
    flow, _leg, _, _ = _flow([Utterance("아이 넘", "", words=heard, language="ko", spotted=spotted)], agents_free=True)
    assert await flow.run() == "transferred" and "said:0" in flow.path


async def test_a_lone_unclear_word_at_the_menu_is_no_input_not_a_report() -> None:
    flow, leg, intake, _ = _flow([Utterance("네", ""), None, None], agents_free=True)
    assert await flow.run() == "transferred"
    assert intake.spoken == [] and "no-input" in leg.played


async def test_a_case_number_said_aloud_is_looked_up() -> None:
    flow, leg, _, events = _flow(["2", Utterance("二六一一二七零零零一", "2611270001"), "3"], agents_free=True)
    await flow.run()
    assert "case-number:digits" in leg.listening
    assert "digits:2611270001" in leg.played and "status-dispatched" in leg.played
    assert "ivr.said-number" in events.names


async def test_words_that_hold_no_number_do_not_end_the_number_entry() -> None:
    keys: list[str | Utterance | None] = ["2", Utterance("뭐라고요", ""), *"2611270001", "#", "3"]
    flow, leg, _, _ = _flow(keys, agents_free=True)
    await flow.run()
    assert "status-dispatched" in leg.played


async def test_words_at_the_menu_are_the_report_when_nothing_follows_the_tone() -> None:
    # (in a real call the words said at the menu are on the message's recording too)
    flow, leg, intake, _ = _flow([Utterance("五津镇 河边 有 死猪", "")], record_seconds=0.2)
    assert await flow.run() == "reported"
    assert intake.spoken == ["五津镇 河边 有 死猪", "<nothing more>"]
    assert "case-opened" in leg.played


async def test_a_hash_pressed_as_the_caller_finishes_speaking_does_not_lose_the_words() -> None:
    flow, leg, _intake, events = _flow(["#", Utterance("五津镇 河边 有 死猪", "")])
    leg.hears_speech = True
    assert await flow.run() == "reported"
    assert "ivr.spoken-report" in events.names and "invalid-key" not in leg.played


async def test_a_sentence_cut_at_a_pause_is_heard_whole() -> None:
    # the recognizer ended an utterance after two characters; the rest came a moment later
    flow, _leg, intake, events = _flow([Utterance("河边", ""), Utterance("有 死猪 很 臭", "")])
    assert await flow.run() == "reported"
    assert "ivr.said" not in events.names and "ivr.spoken-report" in events.names
    assert intake.spoken[0] == "河边 有 死猪 很 臭"


async def test_a_few_words_then_a_key_take_the_key_as_the_choice() -> None:
    flow, leg, _intake, events = _flow([Utterance("喂", ""), "1"])
    assert await flow.run() == "reported"
    assert events.keys == ["1"] and "record-intro" in leg.played and "no-input" not in leg.played


async def test_a_few_words_and_nothing_more_are_not_a_choice() -> None:
    flow, leg, _intake, events = _flow([Utterance("喂", ""), None, "1"])
    assert await flow.run() == "reported"
    assert "ivr.said" in events.names and leg.played.count("menu") == 2


async def test_two_wrong_keys_in_quick_succession_both_count_while_speech_is_heard() -> None:
    """A stray key waits a moment for late words; a second key in that moment is not words: it is
    the caller's next choice, and two wrong choices take the caller on (an agent or a message)."""
    flow, leg, _intake, events = _flow(["*", "7"])
    leg.hears_speech = True
    await flow.run()
    assert events.keys == ["*", "7"]
    assert "ivr.menu-failed" in events.names and "ivr.no-agent" in events.names


async def test_a_caller_back_from_the_queue_leaves_a_message_that_is_a_report() -> None:
    flow, leg, _, events = _flow([])
    assert await flow.leave_message("message-instead") == "reported"
    assert leg.played[:2] == ["message-instead", "record-intro"] and leg.kept == [MessageKind.QUEUE]
    assert "ivr.queue-message" in events.names and "ivr.menu" not in events.names


async def test_a_caller_who_keeps_their_place_says_what_it_is_about_and_is_promised_a_callback() -> None:
    places = Places()
    flow, leg, _, events = _flow([], places=places)
    assert await flow.keep_place("intake") == "reported"
    assert leg.played[:2] == ["queue-callback-intro", "<record>"] and leg.kept == [MessageKind.QUEUE]
    assert places.kept == [(NUMBER, "intake")]
    assert leg.played.index("queue-callback-kept") < leg.played.index(f"digits:{NUMBER}")
    assert events.names[:1] == ["ivr.queue-callback"] and "ivr.queue-callback-kept" in events.names


async def test_a_withheld_number_or_a_failed_schedule_still_leaves_a_message_and_says_so() -> None:
    withheld = Places()
    flow, leg, _, events = _flow([], places=withheld)
    leg.caller_number = ""
    assert await flow.keep_place("intake") == "reported"
    assert leg.played[:2] == ["queue-callback-no-number", "record-intro"] and withheld.kept == []
    assert "ivr.queue-callback-refused" in events.names
    flow, leg, _, _ = _flow([], places=Places(works=False))
    assert await flow.keep_place("intake") == "reported"
    assert "queue-callback-failed" in leg.played and "queue-callback-kept" not in leg.played
    assert leg.played.count(f"digits:{NUMBER}") == 2  # the case is read back all the same


# --- a caller adopted after the application restarted ---------------------------------------------------
async def test_adopted_mid_message_the_message_goes_on_without_a_second_ask() -> None:
    flow, leg, _, events = _flow([])
    where = Resumption(MessageKind.REPORT, True, None, None, ("greeting", "menu", "key:1"))
    assert await flow.resume(where) == "reported"
    assert "interrupted" not in leg.played and leg.played[0] == "<record>"
    assert leg.meta is not None and leg.meta.ivr_path[:3] == ("greeting", "menu", "key:1")
    assert "ivr.resumed" in events.names


async def test_adopted_before_the_tone_they_are_told_and_their_choice_is_kept() -> None:
    flow, leg, _, _ = _flow([], record_seconds=0.0)
    assert await flow.resume(Resumption(MessageKind.REPORT, False, None)) == "reported"
    assert leg.played[:2] == ["interrupted", "<record>"]
    assert leg.kept == [MessageKind.REPORT] and "call-back" in leg.played  # they chose: never nothing


async def test_adopted_at_the_menu_they_are_asked_for_a_message() -> None:
    flow, leg, _, _ = _flow([])
    assert await flow.resume(Resumption(MessageKind.CALL, False, None)) == "reported"
    assert leg.kept == [MessageKind.ASKED] and leg.played[0] == "interrupted"


async def test_adopted_after_their_message_was_stored_they_hear_their_number_again() -> None:
    flow, leg, _, _ = _flow([])
    assert await flow.resume(Resumption(None, False, NUMBER)) == "reported"
    assert "<record>" not in leg.played and leg.played.count(f"digits:{NUMBER}") == 2 and leg.hung_up
