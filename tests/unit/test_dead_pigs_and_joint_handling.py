"""The seed's incident: dead pigs by a school swimming pool, reported on six channels, must end as
one master case with one lead unit, and every reporter gets the one answer. Joint handling records
its participants, its decision and its single consolidated reply."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casebook.cases.errors import InvalidInput, NotFound
from casebook.cases.intake import NewAppeal
from casebook.cases.queries import detail
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from casebook.duplicates.finder import AUTO_THRESHOLD
from tests.unit.conftest import AGENT, SUPERVISOR, fresh, handler

SIX_REPORTS = [
    ("line-12345", "13800000011", "新津外国语实验学校游泳池旁边的河里有几十头死猪，臭得很，孩子们没法游泳。"),
    ("mailbox-mayor", "13800000012", "外国语学校游泳池边上河道里漂着很多死猪，恶臭严重，请相关部门尽快处理。"),
    (
        "line-96960",
        "13800000013",
        "五津镇外国语实验学校旁边河边搁浅了数十头死猪，气味难闻，打了几个电话都说不归他们管。",
    ),
    ("web", "13800000014", "学校游泳池旁的河岸有大量死猪尸体，臭气熏天，希望尽快清理。"),
    ("wechat", "13800000015", "外国语实验学校游泳池附近河边死猪很多，太臭了，影响游泳。"),
    ("weibo", "13800000016", "新津外国语实验学校游泳池旁边河里有死猪，味道很大，谁来管管？"),
]


def test_six_reports_of_the_dead_pigs_become_one_master_case_with_one_lead(book: CaseBook, clock: FixedClock) -> None:
    numbers = []
    for channel, phone, text in SIX_REPORTS:
        number = book.open(NewAppeal(channel=channel, description=text, caller_phone=phone), AGENT).number
        book.screen(number)
        numbers.append(number)
        clock.advance(minutes=7)
    master = numbers[0]
    with book.sessions() as s:
        views = {n: detail(s, n, SUPERVISOR, clock.now()) for n in numbers}
    assert views[master].status == "dispatched"
    assert (views[master].lead_unit, views[master].co_units) == ("livestock", ["env", "water", "wujin"])
    linked = {n for n, v in views.items() if v.duplicate_of == master}
    suggested = {n for n, v in views.items() if any(x.number == master for x in v.suggestions)}
    assert linked | suggested == set(numbers[1:]), {n: (v.status, v.suggestions) for n, v in views.items()}
    assert len(linked) >= 4  # most are linked without a person; the rest wait as suggestions
    for number in suggested:  # the intake agent confirms the suggestions
        book.merge(number, master, AGENT, reason="same incident")

    livestock = handler("livestock")
    book.accept(master, livestock, section="epidemic")
    book.reply(master, livestock, text="畜牧局会同环保局、水务局和五津镇，已打捞死猪并无害化处理，河道已消毒。")
    with book.sessions() as s:
        views = {n: detail(s, n, SUPERVISOR, clock.now()) for n in numbers}
    leads = {v.lead_unit for v in views.values() if v.duplicate_of is None}
    assert leads == {"livestock"}, "one lead unit for the one incident"
    assert [v.duplicate_of for v in views.values()].count(None) == 1
    answers = {n: [r.text for r in v.replies] for n, v in views.items()}
    assert all(len(a) == 1 and "无害化处理" in a[0] for a in answers.values()), answers
    assert all(v.replies[0].via_master == master for n, v in views.items() if n != master)
    assert {d.number for d in views[master].duplicates} == set(numbers[1:])


def test_a_reporter_of_a_duplicate_unsatisfied_reopens_the_master(book: CaseBook, clock: FixedClock) -> None:
    first = book.open(NewAppeal(channel="web", description=SIX_REPORTS[0][2], caller_phone="13800000021"), AGENT)
    book.screen(first.number)
    second = book.open(NewAppeal(channel="wechat", description=SIX_REPORTS[4][2], caller_phone="13800000022"), AGENT)
    book.screen(second.number)
    book.merge(second.number, first.number, AGENT) if fresh(book, second.number).status != "merged" else None
    livestock = handler("livestock")
    book.accept(first.number, livestock, section="epidemic")
    book.reply(first.number, livestock, text="已处理")
    book.record_satisfaction(second.number, AGENT, satisfied=False, source="callback")
    assert fresh(book, first.number).status == "reopened"


def test_joint_handling_records_participants_decision_and_one_consolidated_reply(
    book: CaseBook, clock: FixedClock
) -> None:
    number = book.open(NewAppeal(channel="web", description="南河边有排污口，河里还有死鱼，不知道归谁管"), AGENT).number
    book.register(number, AGENT, category="environment.water-pollution", place="south-river")
    book.dispatch(number, AGENT, lead="env", co_units=["water"])
    session = book.joint_session(
        number,
        SUPERVISOR,
        participants=["env", "water", "livestock", "wujin"],
        lead="water",
        decision="水务局牵头封堵排污口，环保局监测水质，畜牧局处理死鱼，五津镇配合",
        reply="经四部门会商，排污口已封堵，水质恢复正常，死鱼已清理。",
    )
    assert session.lead_unit_code == "water" and session.reply_id is not None
    with book.sessions() as s:
        view = detail(s, number, SUPERVISOR, clock.now())
    assert view.status == "replied" and view.lead_unit == "water"
    assert set(view.co_units) == {"env", "livestock", "wujin"}
    assert len(view.replies) == 1 and view.replies[0].joint
    assert [e.kind for e in view.events][-2:] == ["joint_session", "joint_reply"]


def test_a_joint_session_needs_two_units_and_a_decision(book: CaseBook) -> None:
    number = book.open(NewAppeal(channel="web", description="噪音"), AGENT).number
    book.register(number, AGENT, category="environment.noise")
    with pytest.raises(InvalidInput, match="two units"):
        book.joint_session(number, SUPERVISOR, participants=["env"], lead="env", decision="x")
    with pytest.raises(InvalidInput, match="decision"):
        book.joint_session(number, SUPERVISOR, participants=["env", "urban"], lead="env", decision=" ")
    book.joint_session(
        number,
        SUPERVISOR,
        participants=["env", "urban"],
        lead="urban",
        decision="城管牵头",
        held_at=book.clock.now() - timedelta(hours=1),
    )
    assert fresh(book, number).lead_unit_code == "urban"


def test_a_merge_undone_frees_the_case_and_says_so(book: CaseBook, clock: FixedClock) -> None:
    master = book.open(NewAppeal(channel="web", description="学校旁边河里漂着死猪"), AGENT).number
    other = book.open(NewAppeal(channel="wechat", description="菜市场门口路灯不亮"), AGENT).number
    heard: list[tuple[str, str, dict[str, object]]] = []
    book.subscribe(lambda notice: heard.append((notice.kind, notice.number, dict(notice.data))))
    book.merge(other, master, AGENT, reason="looked alike")
    book.unmerge(other, SUPERVISOR, reason="another problem: a street light")
    assert heard == [("case.merged", other, {"master": master}), ("case.unmerged", other, {"master": master})]
    with book.sessions() as s:
        view = detail(s, other, SUPERVISOR, clock.now())
    assert view.duplicate_of is None and view.status == "received"
    with pytest.raises(InvalidInput, match="own master"):  # and a case is never its own master
        book.merge(master, master, AGENT)


def test_two_reports_side_by_side_say_why_they_are_alike(book: CaseBook) -> None:
    first, second = (
        book.open(NewAppeal(channel=channel, description=text, caller_phone=phone), AGENT).number
        for channel, phone, text in SIX_REPORTS[:2]
    )
    seen = book.compare(second, first, AGENT)
    assert (seen.case.number, seen.other.number) == (second, first)
    # not screened yet: the words alone, the problem unknown: at most a suggestion
    assert seen.text > 0.2 and seen.category == 0 and seen.score < AUTO_THRESHOLD
    assert {"死猪", "游泳", "泳池"} <= set(seen.shared) and all(len(p) == 2 for p in seen.shared)
    with pytest.raises(NotFound):  # a unit sees only its own cases, even side by side
        book.compare(second, first, handler("livestock"))
    with pytest.raises(InvalidInput):
        book.compare(first, first, AGENT)


def test_a_case_screened_twice_keeps_each_suggestion_once(book: CaseBook) -> None:
    """The pending sweep may take a case just as its own screening runs: the second waits for the
    first's lock, screens again (a vague case stays received) and must not add the links again."""
    words = "我想反映一个情况，电话里说不清楚"
    first = book.open(NewAppeal(channel="web", description=words, caller_phone="13800000031"), AGENT).number
    book.screen(first)
    again = book.open(NewAppeal(channel="web", description=words, caller_phone="13800000031"), AGENT).number
    once = book.screen(again)
    twice = book.screen(again)
    assert [m.number for m in once.suggestions] == [first] and not twice.registered
    with book.sessions() as s:
        suggested = detail(s, again, AGENT, book.clock.now()).suggestions
    assert [x.number for x in suggested] == [first]


def test_a_report_like_a_closed_incidents_duplicate_is_not_sent_to_it(book: CaseBook, clock: FixedClock) -> None:
    """The index keeps reports linked to a master; once that master is closed, a new report that
    resembles one of them is a new case: neither the closed master nor its duplicate is offered."""
    (_, phone_a, first), (_, phone_b, second), (_, phone_c, third) = SIX_REPORTS[:3]
    a = book.open(NewAppeal(channel="web", description=first, caller_phone=phone_a), AGENT).number
    b = book.open(NewAppeal(channel="web", description=second, caller_phone=phone_b), AGENT).number
    book.merge(b, a, AGENT, reason="same incident")
    with book.sessions() as s:
        book.duplicate_index(s)  # the index holds both, the duplicate too
    book.close(a, SUPERVISOR, reason="处理完毕")
    clock.advance(minutes=5)
    c = book.open(NewAppeal(channel="web", description=third, caller_phone=phone_c), AGENT).number
    book.screen(c)
    with book.sessions() as s:
        view = detail(s, c, SUPERVISOR, clock.now())
    assert view.duplicate_of is None and [x.number for x in view.suggestions if x.number in (a, b)] == []
