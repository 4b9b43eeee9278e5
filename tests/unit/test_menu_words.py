"""Menu choices said in words (issue 17): which key a caller's words stand for, from the free
transcript or from the keyword spotter, and when words are a problem said at once instead."""

from __future__ import annotations

import pytest
import yaml

from ivr.menu_words import WORDS_FILE, MenuWords, choice_in_text, choice_spotted, menu_words, parse, said_choice

ZH = menu_words("zh")


def _zh() -> MenuWords:
    assert ZH is not None
    return ZH


@pytest.mark.parametrize(
    ("said", "key"),
    [
        ("投诉", "1"),
        ("我 要 投诉", "1"),
        ("我 想 反映 一个 问题", "1"),
        ("反映问题", "1"),
        ("查询", "2"),
        ("你好 我 想 查询 一下 我 的 案件 进度", "2"),
        ("查 一下 进度", "2"),
        ("人工", "0"),
        ("转 人工", "0"),
        ("喂 你好 帮 我 转 人工 服务 谢谢", "0"),
        ("客服", "0"),
        ("查询 我 的 投诉", "2"),  # two choices' words: checking on a complaint is a check
        ("投诉 转 人工", "0"),  # and a person before anything
    ],
)
def test_chinese_menu_words_stand_for_their_key(said: str, key: str) -> None:
    assert choice_in_text(said, _zh()) == key


@pytest.mark.parametrize(
    "said",
    [
        "我 要 投诉 我 家 门口 的 路灯 坏 了 三天",  # a problem said at once: the report itself
        "河边 有 死猪",  # no menu word at all
        "喂",
        "",
    ],
)
def test_chinese_words_that_are_not_a_menu_choice(said: str) -> None:
    assert choice_in_text(said, _zh()) is None


def test_english_menu_words_are_whole_words() -> None:
    en = menu_words("en")
    assert en is not None
    assert choice_in_text("I'd like to speak to an agent please", en) == "0"
    assert choice_in_text("check my case", en) == "2"
    assert choice_in_text("the agents never came to fix the road outside", en) is None  # a problem
    assert choice_in_text("reported", en) is None  # "report" inside another word is not the word


def _w(word: str, start: float, end: float, conf: float = 1.0) -> dict[str, object]:
    return {"word": word, "start": start, "end": end, "conf": conf}


def test_the_spotter_decides_a_short_utterance_its_menu_words_fill() -> None:
    ko = menu_words("ko")
    assert ko is not None
    heard = [_w("아이", 0.5, 0.8, 0.4), _w("넘", 0.8, 1.2, 0.3)]
    assert choice_spotted([_w("상담원", 0.57, 1.11)], heard, ko) == "0"
    assert choice_spotted([_w("문의", 0.27, 0.54, 0.83)], [], ko) == "2"


def test_the_spotter_is_not_trusted_on_a_sentence_or_a_doubt_or_two_choices() -> None:
    ko = menu_words("ko")
    assert ko is not None
    sentence = [_w("영", 0.75, 1.2), _w("민원", 4.6, 5.07), _w("상담원", 3.2, 3.7)]
    assert choice_spotted(sentence, [], ko) is None  # five seconds of speech: a sentence
    assert choice_spotted([_w("민원", 3.8, 4.2), _w("영", 0.7, 1.0)], [], ko) is None  # spans 3.5 s
    assert choice_spotted([_w("상담원", 0.5, 1.0, 0.4)], [], ko) is None  # heard without confidence
    assert choice_spotted([_w("민원", 0.2, 0.6), _w("상담원", 0.7, 1.2)], [], ko) is None  # two choices
    assert choice_spotted([_w("안내", 0.2, 0.6), _w("확인", 0.7, 1.2, 0.97)], [], ko) == "2"  # one, twice
    # a guess at the onset beside the word the spotter is sure of: the sure one (seen on real calls)
    assert choice_spotted([_w("안내", 1.49, 1.81, 0.75), _w("상담원", 1.81, 2.3)], [], ko) == "0"
    assert choice_spotted([_w("민원", 1.49, 1.8, 0.64), _w("상담원", 1.8, 2.3)], [], ko) == "0"
    assert choice_spotted([_w("네", 0.2, 0.6), _w("여보세요", 0.7, 1.3)], [], ko) is None  # greetings only
    small = [_w("상담원", 0.5, 0.7)]
    assert choice_spotted(small, [_w("아이", 0.5, 1.5), _w("넘", 1.5, 2.4)], ko) is None  # fills too little


def test_the_transcript_is_weighed_before_the_spotter() -> None:
    heard = [_w("查询", 0.2, 0.6)]
    assert said_choice("查询", [_w("人工", 0.2, 0.6)], heard, "zh") == "2"
    assert said_choice("查询", [], heard, "fr") is None  # a language without menu words


def test_a_phrase_standing_for_two_keys_is_refused_at_load() -> None:
    with pytest.raises(ValueError, match="two keys"):
        parse({"zh": {"choices": {"1": ["投诉"], "0": ["投诉"]}}})


def test_every_language_of_the_file_loads_and_its_grammar_holds_its_choices() -> None:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    for language in data:
        words = menu_words(language)
        assert words is not None and set(words.choices.values()) == {"0", "1", "2"}
        assert set(words.choices) <= set(words.grammar())


def test_chinese_as_the_recogniser_emits_it_is_matched_by_whole_words() -> None:
    assert choice_in_text("工人 工资 没 发", _zh()) is None  # 人工 across 工人|工资 is no word said
    assert choice_in_text("检查 一下", _zh()) is None
    assert choice_in_text("转 人工", _zh()) == choice_in_text("转人工", _zh()) == "0"


def test_spotted_words_of_an_earlier_utterance_do_not_count() -> None:
    ko = menu_words("ko")
    assert ko is not None
    earlier = _w("민원", 0.2, 0.6)
    assert choice_spotted([earlier, _w("상담원", 5.1, 5.6)], [_w("아이", 5.0, 5.7)], ko) == "0"


def test_yaml_booleans_among_fillers_are_refused() -> None:
    with pytest.raises(ValueError, match="quote it"):
        parse({"en": {"choices": {"0": ["agent"]}, "fillers": [True]}})
