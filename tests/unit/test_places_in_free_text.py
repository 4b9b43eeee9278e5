"""Places found in what citizens write (issue 17, point 4): the county's gazetteer of villages,
communities, schools, markets, roads and landmarks (casebook/directory/data/places.yaml), matched
by full name, alias or short form; the township they are in decides co-handling through the
routing rules. The lexicon as a freshly seeded casebook has it, without a database."""

from __future__ import annotations

from typing import Any

import pytest

from casebook.classify.classifier import Classifier
from casebook.directory.seed import packaged_lexicon, packaged_rules
from casebook.routing import route

CLASSIFIER = Classifier(packaged_lexicon())


@pytest.mark.parametrize(
    ("text", "place", "township"),
    [
        # the full name
        ("新津县实验小学门口每天放学都堵", "wujin-shiyan-primary-school", "wujin"),
        # a school by a short form
        ("实验小学门口每天放学都堵", "wujin-shiyan-primary-school", "wujin"),
        ("津中后门那条街晚上没有灯", "wujin-xinjin-middle-school", "wujin"),
        # a village without its township
        ("官林村三组的路垮了一截", "huayuan-guanlin-village", "huayuan"),
        # a village by its name alone
        ("我们梁筏这边好几天没来水了", "huayuan-liangfa-village", "huayuan"),
        # a market by its everyday name
        ("五津菜市场门口占道卖菜的太多了", "wujin-wujin-farmers-market", "wujin"),
        # a road by one of its sections
        ("武阳中路有个井盖不见了", "wujin-wuyang-road", "wujin"),
        # the county town, as people call it
        ("县城晚上广场舞声音太大", "county-town", "wujin"),
        # a township by its short name
        ("花桥场镇上垃圾没人收", "township-huaqiao", "huaqiao"),
    ],
)
def test_a_place_is_found_however_it_is_named(text: str, place: str, township: str) -> None:
    found = CLASSIFIER.classify(text)
    assert (found.place.code, found.township) == (place, township)
    assert found.place.evidence and found.place.evidence[0] in text  # the words that named it


def test_a_township_named_outright_wins_over_a_village_of_the_same_name_elsewhere() -> None:
    # 白果村 of the gazetteer is in 金华镇; a citizen of 花源镇's own 白果村 says so
    found = CLASSIFIER.classify("我是花源镇白果村的村民，村里的路灯坏了")
    assert found.township == "huayuan"
    elsewhere = CLASSIFIER.classify("白果村的路灯坏了")
    assert (elsewhere.place.code, elsewhere.township) == ("jinhua-baiguo-village", "jinhua")


def test_the_longest_name_wins_over_a_name_inside_it() -> None:
    found = CLASSIFIER.classify("普兴火车站旁边的路灯不亮")
    assert (found.place.code, found.township) == ("puxing-puxing-station", "puxing")
    assert CLASSIFIER.classify("火车站旁边的路灯不亮").township == "wujin"


def test_a_text_naming_no_place_has_none() -> None:
    found = CLASSIFIER.classify("我想问一下退休金怎么查")
    assert (found.place.code, found.township) == (None, None)


def test_the_township_found_decides_co_handling_through_the_rules() -> None:
    found = CLASSIFIER.classify("官林村河沟里漂着死猪")
    routed = route(packaged_rules(), {}, category="environment.dead-animals", township=found.township, urgency="normal")
    assert routed is not None and routed.lead == "livestock" and "huayuan" in routed.co_units


def test_a_new_screener_on_the_same_words_adds_none_of_them_to_the_segmenter_again(monkeypatch: Any) -> None:
    from casebook.classify import classifier

    lexicon = packaged_lexicon()
    Classifier(lexicon).warm()  # the platform's start: the segmenter loaded, the words added
    added: list[str] = []
    tokenizer = classifier._shared_tokenizer([])
    monkeypatch.setattr(tokenizer, "add_word", lambda word, *a, **k: added.append(word))
    second = Classifier(lexicon)  # a new routing model, the same lexicon
    second.warm()
    assert added == []  # each addition segments the word: seconds for a lexicon, mid-call
    assert second.classify("垃圾 没人 清理").category.code is not None
