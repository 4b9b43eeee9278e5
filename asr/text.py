"""Turning recognizer words into the text a person reads, and spoken digits into keys.

Chinese models put spaces between words ("河 边 有 死猪"); Chinese text has none. Numbers read
digit by digit ("一三八零零...", a phone or case number) become Arabic digits so the casebook
and the caller see the same number. Korean and English keep their spaces.
"""

from __future__ import annotations

import re

UNKNOWN = "[unk]"

# spoken digit words per language, in the forms recognizers emit; grammars are built from these
DIGIT_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "零": "0",
        "〇": "0",
        "洞": "0",
        "一": "1",
        "幺": "1",
        "二": "2",
        "两": "2",
        "三": "3",
        "四": "4",
        "五": "5",
        "六": "6",
        "七": "7",
        "拐": "7",
        "八": "8",
        "九": "9",
    },
    "ko": {
        "영": "0",
        "공": "0",
        "일": "1",
        "이": "2",
        "삼": "3",
        "사": "4",
        "오": "5",
        "육": "6",
        "륙": "6",
        "칠": "7",
        "팔": "8",
        "구": "9",
    },
    "en": {
        "zero": "0",
        "oh": "0",
        "one": "1",
        "two": "2",
        "three": "3",
        "four": "4",
        "five": "5",
        "six": "6",
        "seven": "7",
        "eight": "8",
        "nine": "9",
    },
}

# tokens a recognizer emits that are no words: [unk], [2] (a model's noise labels), lone separators
_NOT_A_WORD = re.compile(r"^(\[[^\]]*\]|[/\-\u2013\u2014|]+)$")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_ZH_DIGIT_RUN = re.compile("[" + "".join(DIGIT_WORDS["zh"]) + "]{3,}")


def join_words(words: list[str], language: str) -> str:
    """The words as text in the language's own spacing, without the recognizer's `[unk]`."""
    kept = [w for w in words if is_word(w)]
    text = " ".join(kept)
    if language == "zh":
        text = normalise_chinese(text)
    return text


def is_word(token: str) -> bool:
    """False for the recognizer's labels and separators ("[unk]", "[2]", "/")."""
    return bool(token) and not _NOT_A_WORD.match(token)


def normalise_chinese(text: str) -> str:
    """No spaces between Chinese characters; digit-by-digit numbers as Arabic digits."""
    text = _SPACE_BETWEEN_CJK.sub("", text.strip())
    zh = DIGIT_WORDS["zh"]
    return _ZH_DIGIT_RUN.sub(lambda m: "".join(zh[ch] for ch in m.group(0)), text)


def digit_grammar(language: str) -> list[str]:
    """The words of a digits-only grammar (Vosk grammar mode), with `[unk]` for everything else."""
    return [*DIGIT_WORDS.get(language, DIGIT_WORDS["en"]), UNKNOWN]


def spoken_digits(text: str, language: str) -> str:
    """The digits said in `text` ("이 삼 오" -> "235", "一三五" -> "135"); other words are ignored."""
    table = DIGIT_WORDS.get(language, DIGIT_WORDS["en"])
    digits: list[str] = []
    for word in text.split():
        if word.isdigit():
            digits.append(word)
        elif word.lower() in table:
            digits.append(table[word.lower()])
        elif language == "zh":
            digits.extend(table[ch] for ch in word if ch in table)
    return "".join(digits)
