"""What becomes of a caller's words: one rule for the IVR and for the keeper after a fault.

A caller who chose to report always has a case; if their words are missing or may be cut short,
a person calls them back. A caller who chose nothing has a case only if they said enough.
"""

from __future__ import annotations

import pytest

from ivr.messages import CHOSEN, MessageKind, MessageStage, Verdict, judge

K, S = MessageKind, MessageStage


@pytest.mark.parametrize("kind", sorted(CHOSEN))
def test_a_caller_who_chose_to_report_and_spoke_has_a_plain_case(kind: MessageKind) -> None:
    assert judge(kind, S.ENDED, 8.0) == Verdict(case=True)


@pytest.mark.parametrize(
    ("stage", "voiced", "why"),
    [
        (S.WORDS, 0.0, "hung up before the tone, without a word"),
        (S.WORDS, 4.0, "hung up before the tone: the message may be incomplete"),
        (S.MESSAGE, 0.2, "no words in the message"),
        (S.ENDED, 0.0, "no words in the message"),
    ],
)
def test_a_caller_who_chose_to_report_always_has_a_case_marked_call_back_when_words_are_missing(
    stage: MessageStage, voiced: float, why: str
) -> None:
    assert judge(K.REPORT, stage, voiced) == Verdict(case=True, call_back=why)


def test_what_went_wrong_with_the_recording_is_what_the_person_calling_back_reads() -> None:
    verdict = judge(K.REPORT, S.MESSAGE, 3.0, problem="the recording stopped early")
    assert verdict == Verdict(case=True, call_back="the recording stopped early")
    assert judge(K.REPORT, S.MESSAGE, None, audio=False).call_back is not None
    cut = judge(K.REPORT, S.MESSAGE, 6.0, cut_by_asterisk=True)
    assert cut.case and cut.call_back is not None and "Asterisk" in cut.call_back
    assert judge(K.REPORT, S.ENDED, 6.0, cut_by_asterisk=True) == Verdict(case=True)  # it had ended well


def test_a_caller_who_chose_nothing_is_a_case_only_if_they_said_enough() -> None:
    assert judge(K.CALL, S.WORDS, 0.0) == Verdict(case=False)
    assert judge(K.CALL, S.WORDS, 1.5) == Verdict(case=False)  # "hello?": not a report
    spoke = judge(K.CALL, S.WORDS, 5.0)
    assert spoke.case and spoke.call_back == "spoke, then the call ended before any choice"
    assert judge(K.CALL, S.WORDS, None, audio=False) == Verdict(case=False)


def test_a_caller_asked_for_a_message_who_heard_the_tone_needs_one_second_of_words() -> None:
    assert judge(K.ASKED, S.ENDED, 0.5) == Verdict(case=False)
    assert judge(K.ASKED, S.ENDED, 1.2) == Verdict(case=True)


def test_unreadable_audio_is_never_thrown_away() -> None:
    assert judge(K.CALL, S.WORDS, None).case and judge(K.ASKED, S.ENDED, None).case


def test_a_recording_thrown_away_by_the_callers_choice_is_nothing() -> None:
    assert judge(K.DISCARDED, S.WORDS, 30.0) == Verdict(case=False)
