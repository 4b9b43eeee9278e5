"""Each rule of the duplicate check (issue 17), on pairs of reports as screening leaves them:
one problem at one place in other words is linked; the same place with another problem (a
near-miss), the same problem in another township, or a problem nobody knows yet are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from casebook.duplicates.finder import (
    AUTO_THRESHOLD,
    SUGGEST_THRESHOLD,
    CaseFeatures,
    OpenCaseIndex,
    place_tokens,
    score,
)

AT = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
WATER = {"environment.water-pollution": 0.8, "environment.livestock-waste": 0.15}


def _case(
    n: int, text: str, categories: dict[str, float], township: str | None = "huayuan", **kw: object
) -> CaseFeatures:
    return CaseFeatures(n, f"c{n}", AT, text, None, None, township, categories=categories, **kw)  # type: ignore[arg-type]


FIRST = _case(
    1,
    "喂你好我是花源镇白鹤村五组的村民，养猪场天天往沟里放粪水，沟通到杨柳河，现在水都是黑的臭得很",
    WATER,
)


def test_one_problem_at_one_place_in_other_words_is_linked() -> None:
    other = _case(2, "【白鹤村养殖场偷排粪污，杨柳河支渠变黑】渠水发黑发臭，希望环保部门夜间突击检查", WATER)
    assert score(other, FIRST).score >= AUTO_THRESHOLD


def test_the_same_place_with_another_problem_is_not_linked() -> None:
    road = _case(3, "白鹤村五组到杨柳河那段村道坑坑洼洼，下雨全是积水，车子过不去", {"transport.road-damage": 0.9})
    found = score(road, FIRST)
    assert found.place == 1.0 and found.score < AUTO_THRESHOLD  # "白鹤村" both: the place alone is not enough


def test_the_same_problem_in_another_township_is_not_linked() -> None:
    elsewhere = _case(4, "安西镇三河村有个养猪场往河里排粪水，河水发黑发臭", WATER, township="anxi")
    assert score(elsewhere, FIRST).score < AUTO_THRESHOLD


def test_a_problem_nobody_knows_yet_is_offered_never_linked() -> None:
    words = "我想反映一个情况，电话里说不清楚"
    a, b = _case(5, words, {"general": 0.6}), _case(6, words, {"general": 0.6})
    found = score(a, b)
    assert found.text > 0.99 and SUGGEST_THRESHOLD <= found.score < AUTO_THRESHOLD


def test_the_same_caller_again_weighs_a_little_more() -> None:
    other = _case(7, "白鹤村那个猪场又在排粪水了", WATER)
    assert score(_case(7, other.text, WATER, caller_id=9), _case(1, FIRST.text, WATER, caller_id=9)).score == min(
        1.0, round(score(other, FIRST).score + 0.1, 3)
    )


def test_a_report_linked_to_a_master_brings_new_reports_to_that_master() -> None:
    index = OpenCaseIndex()
    index.add(FIRST)
    linked = _case(
        2, "【白鹤村养殖场偷排粪污，杨柳河支渠变黑】渠水发黑发臭，希望环保部门夜间突击检查", WATER, master_id=1
    )
    index.add(linked)
    new = _case(3, "杨柳河支渠变黑了，白鹤村养殖场夜间偷排粪污，环保部门快来查", WATER)
    matches = index.candidates(new, AT + timedelta(hours=2))
    assert [m.number for m in matches] == ["c1"]  # one match per master, the best of its group


def test_place_names_are_read_from_the_text_as_citizens_write_them() -> None:
    assert {"白鹤村", "丽都花园", "兴园路"} <= place_tokens("白鹤村的人说丽都花园和兴园路都停水了")
    assert place_tokens("水黑得很") == frozenset()
