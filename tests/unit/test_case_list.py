"""The case list as the workspace reads it: the nearest running clock first, found by words or
number, page after page without a case lost or shown twice (real PostgreSQL)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from casebook.cases import search
from casebook.cases.intake import NewAppeal
from casebook.cases.queries import CaseFilter, list_cases
from casebook.cases.services import CaseBook
from casebook.clock import FixedClock
from tests.unit.conftest import AGENT, SUPERVISOR, handler


def _open(book: CaseBook, words: str) -> str:
    return book.open(NewAppeal(channel="web", description=words), AGENT).number


def _all_pages(book: CaseBook, actor, query: CaseFilter) -> list[str]:  # type: ignore[no-untyped-def]
    numbers: list[str] = []
    with book.sessions() as s:
        page = list_cases(s, actor, query, book.clock.now())
        numbers += [c.number for c in page.items]
        while page.next_cursor:
            page = list_cases(s, actor, dataclasses.replace(query, cursor=page.next_cursor), book.clock.now())
            numbers += [c.number for c in page.items]
    return numbers


def test_the_nearest_running_clock_comes_first_and_cases_with_none_come_last(book: CaseBook, clock: FixedClock) -> None:
    marker = f"排序{uuid.uuid4().hex[:8]}"
    registered = _open(book, f"{marker} 路灯不亮")  # its dispatch clock: one hour after registering
    book.register(registered, AGENT, category="urban.streetlights")
    clock.advance(minutes=10)
    received = _open(book, f"{marker} 垃圾没人清运")  # its register clock: one hour after it came
    dispatched = _open(book, f"{marker} 噪音扰民")
    book.register(dispatched, AGENT, category="environment.noise")
    book.dispatch(dispatched, AGENT, lead="env", deadline_hours=48)  # accept within the hour from now
    clock.advance(minutes=5)
    closed = _open(book, f"{marker} 已经解决了")
    book.close(closed, SUPERVISOR, reason="群众撤回")  # no clock runs

    query = CaseFilter(text=marker, order="due", limit=1)
    assert _all_pages(book, SUPERVISOR, query) == [registered, received, dispatched, closed]
    assert _all_pages(book, SUPERVISOR, dataclasses.replace(query, limit=3)) == [
        registered,
        received,
        dispatched,
        closed,
    ]


def test_a_case_is_found_by_its_number_or_by_words_of_its_description(book: CaseBook) -> None:
    marker = f"查找{uuid.uuid4().hex[:8]}"
    number = _open(book, f"{marker} 五津镇河边有死猪")
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=f"{marker} 五津镇")) == [number]
    assert number in _all_pages(book, SUPERVISOR, CaseFilter(text=number))
    assert number in _all_pages(book, SUPERVISOR, CaseFilter(text=number[:8]))  # its start
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=f"{marker}%")) == []  # the words, not a pattern
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=f"{marker[2:]}五津")) == []  # not in this order


def test_words_of_two_characters_and_of_one_are_found_and_capitals_do_not_matter(book: CaseBook) -> None:
    # two characters: one pair, looked up in the pairs' index (PostgreSQL); one: no pair, read in order
    marker = uuid.uuid4().hex[:8]
    number = _open(book, f"鼋鼍{marker} 鼋 河边 Noise")
    assert number in _all_pages(book, SUPERVISOR, CaseFilter(text="鼋鼍"))
    assert number in _all_pages(book, SUPERVISOR, CaseFilter(text="鼋"))
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=f"{marker} 鼋")) == [number]
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=f"{marker.upper()} 鼋 河边 noise")) == [number]
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=f"{marker} Noise")) == []  # other words between


def test_a_unit_finds_only_its_own_cases_by_words(book: CaseBook) -> None:
    marker = f"单位{uuid.uuid4().hex[:8]}"
    ours = _open(book, f"{marker} 噪音扰民")
    book.register(ours, AGENT, category="environment.noise")
    book.dispatch(ours, AGENT, lead="env")
    _open(book, f"{marker} 另一件")
    assert _all_pages(book, handler("env"), CaseFilter(text=marker, order="due")) == [ours]
    assert _all_pages(book, handler("water"), CaseFilter(text=marker)) == []


def test_a_units_clerk_sees_the_callers_number_masked_and_only_their_units_other_cases(book: CaseBook) -> None:
    from casebook.cases.queries import detail

    marker = f"号码{uuid.uuid4().hex[:8]}"
    phone = "13912345678"
    ours = book.open(NewAppeal(channel="web", description=f"{marker} 噪音扰民", caller_phone=phone), AGENT).number
    book.register(ours, AGENT, category="environment.noise")
    book.dispatch(ours, AGENT, lead="env")
    another_units = book.open(NewAppeal(channel="web", description=f"{marker} 路灯", caller_phone=phone), AGENT).number
    with book.sessions() as s:
        for_the_unit = detail(s, ours, handler("env"), book.clock.now())
        for_the_center = detail(s, ours, SUPERVISOR, book.clock.now())
        listed = list_cases(s, handler("env"), CaseFilter(text=marker), book.clock.now())
    assert for_the_unit.caller_number == "139****5678" and listed.items[0].caller_number == "139****5678"
    assert for_the_center.caller_number == phone
    assert another_units in for_the_center.caller_cases and another_units not in for_the_unit.caller_cases


def test_cases_are_narrowed_by_township_place_and_line(book: CaseBook) -> None:
    marker = f"地点{uuid.uuid4().hex[:8]}"
    call = book.open(
        NewAppeal(channel="line-12345", line_number="12345", description=f"{marker} 河边死猪", call_id=f"c-{marker}"),
        AGENT,
    ).number
    book.register(call, AGENT, category="environment.dead-animals", place="school-foreign-languages")
    web = _open(book, f"{marker} 路灯")
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=marker, township="wujin")) == [call]
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=marker, place="school-foreign-languages")) == [call]
    assert _all_pages(book, SUPERVISOR, CaseFilter(text=marker, line="12345")) == [call]
    assert web in _all_pages(book, SUPERVISOR, CaseFilter(text=marker))


def test_none_lists_the_cases_with_no_lead_unit_no_category_or_no_township(book: CaseBook) -> None:
    """The figures' "—" rows (no lead unit yet, not screened, no township) link to these lists."""
    marker = f"没有{uuid.uuid4().hex[:8]}"
    waiting = _open(book, f"{marker} 有人反映情况")  # not screened, no township, no unit
    registered = _open(book, f"{marker} 河边死猪")  # screened, in Wujin, not dispatched yet
    book.register(registered, AGENT, category="environment.dead-animals", place="school-foreign-languages")
    dispatched = _open(book, f"{marker} 噪音扰民")  # screened and dispatched, no place
    book.register(dispatched, AGENT, category="environment.noise")
    book.dispatch(dispatched, AGENT, lead="env", co_units=["wujin"])

    def found(**filters: str) -> set[str]:
        return set(_all_pages(book, SUPERVISOR, CaseFilter(text=marker, **filters)))  # type: ignore[arg-type]

    assert found(unit="none") == {waiting, registered}
    assert found(unit="env") == found(unit="wujin") == {dispatched}  # a unit: any share of the case
    assert found(lead="env") == {dispatched} and found(lead="wujin") == set()  # as the figures count them
    assert found(lead="none") == {waiting, registered}
    assert found(category="none") == {waiting}
    assert found(category="environment") == {registered, dispatched}
    assert found(township="none") == {waiting, dispatched}
    assert found(township="wujin") == {registered}
    assert found(unit="none", township="none") == {waiting}
    # a unit's clerk sees none of them: the cases with no lead unit are nobody's yet
    assert _all_pages(book, handler("env"), CaseFilter(text=marker, unit="none")) == []


def test_words_are_found_alike_whether_the_index_or_the_list_order_reads_them(
    book: CaseBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the search takes the cases holding the words' rarest pair from the index when they are few,
    # and reads the list in order when they are many (casebook/cases/search.py): same answer
    marker = uuid.uuid4().hex[:6]
    numbers = [_open(book, f"{marker}污水横流 第{i}次") for i in range(3)]
    _open(book, f"{marker}污水 没有横流")
    by_index = _all_pages(book, SUPERVISOR, CaseFilter(text=f"{marker}污水横流", limit=2))
    monkeypatch.setattr(search, "FEW", 0)  # every pair "common": read in order
    by_order = _all_pages(book, SUPERVISOR, CaseFilter(text=f"{marker}污水横流", limit=2))
    assert sorted(by_index) == sorted(by_order) == sorted(numbers)
