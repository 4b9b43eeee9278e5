"""Menu choices said in words ("转人工", "查询", "投诉"): which key a caller's words stand for.

Two ways of hearing them, weighed here:
- in the free transcript: the words of one choice and little else (greetings, "我想", "一下"):
  "你好我想查询一下" is 2, while "我要投诉我家门口的路灯坏了三天" is a problem said at once (the
  flow keeps it as the report);
- from the keyword spotter (a small grammar of these words listening beside the free recogniser):
  a short utterance whose spotted menu words, heard with confidence, all stand for one choice and
  fill much of it. A free model given two or three syllables alone guesses other words; a grammar
  of a few dozen words does not. A long utterance is never taken from the spotter: a grammar
  forces its words onto any speech.
The words per language are data (`menu_words.yaml`), in the forms the recogniser emits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

WORDS_FILE = Path(__file__).with_name("menu_words.yaml")
MAX_LEFT = {"zh": 2, "ko": 2}  # letters of other words a choice said in words may come with
MAX_LEFT_WORDS = 1  # languages written with spaces: other words
MIN_SPOTTED_CONF = 0.6
SURE_SPOTTED_CONF = 0.95  # of two choices spotted, one heard this surely while the other was not wins
MAX_SPOTTED_SPAN_S = 2.5  # a menu choice is said in a breath; longer is a sentence
MIN_SPOTTED_COVER = 0.35  # the menu words fill at least this much of what was said
# words of two choices in a short answer: a person first ("投诉 转 人工"), then a check ("查询 我 的 投诉")
PRECEDENCE = ("0", "2", "1")
SPOTTED_MARGIN_S = 0.5  # spotted words this far outside the free recogniser's words still count
_NOT_LETTERS = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class MenuWords:
    """One language's menu words."""

    language: str
    choices: Mapping[str, str]  # phrase (as the recogniser emits it) -> key
    fillers: tuple[str, ...]
    absorb: tuple[str, ...]

    @property
    def spaced(self) -> bool:
        """Words are told apart by spaces (English); else letters are compared (Chinese, Korean)."""
        return self.language not in MAX_LEFT

    def grammar(self) -> list[str]:
        """The keyword spotter's phrases: the choices, and a few other words to absorb other speech
        (not the fillers: the more words a grammar holds, the more it mistakes one for another)."""
        return list(dict.fromkeys([*self.choices, *self.absorb]))

    def key_of_word(self, word: str) -> str | None:
        """The key a single spotted word stands for ("人工" of "转 人工"); fillers stand for none."""
        if word in self.fillers or word in self.absorb:
            return None
        keys = {key for phrase, key in self.choices.items() if word in phrase.split()}
        return keys.pop() if len(keys) == 1 else None


def parse(data: Mapping[str, object]) -> dict[str, MenuWords]:
    """The file's content, checked: a phrase standing for two keys is refused."""
    languages: dict[str, MenuWords] = {}
    for language, entry in data.items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"menu words of {language!r}: expected choices, fillers and absorb")
        choices: dict[str, str] = {}
        for key, phrases in dict(entry.get("choices") or {}).items():
            for phrase in phrases:
                if not isinstance(phrase, str):  # yes, no, on, off unquoted are YAML's booleans
                    raise ValueError(f"menu words of {language!r}: {phrase!r} is not a word (quote it)")
                text = " ".join(str(phrase).lower().split())
                if choices.get(text, str(key)) != str(key):
                    raise ValueError(f"menu words of {language!r}: {text!r} stands for two keys")
                choices[text] = str(key)
        fillers = tuple(_word(language, w) for w in entry.get("fillers") or ())
        absorb = tuple(_word(language, w) for w in entry.get("absorb") or ())
        languages[str(language)] = MenuWords(str(language), choices, fillers, absorb)
    return languages


def _word(language: object, word: object) -> str:
    if not isinstance(word, str):  # yes, no, on, off unquoted are YAML's booleans
        raise ValueError(f"menu words of {language!r}: {word!r} is not a word (quote it)")
    return " ".join(word.lower().split())


@cache
def menu_words(language: str) -> MenuWords | None:
    """The menu words of a recogniser language (None: words are not understood at the menu)."""
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8")) or {}
    return parse(data).get(language)


def spotter_grammar(language: str) -> list[str]:
    """What the keyword spotter listens for at the menu ([] when the language has no menu words)."""
    words = menu_words(language)
    return words.grammar() if words else []


def choice_in_text(text: str, words: MenuWords) -> str | None:
    """The key the free transcript stands for: one choice's words, and little else, or None."""
    if words.spaced:
        rest = f" {' '.join(_NOT_LETTERS.sub(' ', text.lower()).split())} "
        found = _take(rest, words.choices, spaced=True)
        if found is None:
            return None
        key, rest = found
        fillers = {token for filler in words.fillers for token in _NOT_LETTERS.sub(" ", filler).split()}
        return key if len([t for t in rest.split() if t not in fillers]) <= MAX_LEFT_WORDS else None
    if len(text.split()) > 1:  # the recogniser's words: a phrase is whole words, never across two
        return _choice_in_words(text, words)
    rest = _NOT_LETTERS.sub("", text.lower())
    compact = {phrase.replace(" ", ""): key for phrase, key in words.choices.items()}
    found = _take(rest, compact, spaced=False)
    if found is None:
        return None
    key, rest = found
    for filler in sorted((f.replace(" ", "") for f in words.fillers), key=len, reverse=True):
        rest = rest.replace(filler, "")
    return key if len(rest) <= MAX_LEFT[words.language] else None


def _choice_in_words(text: str, words: MenuWords) -> str | None:
    """Chinese or Korean as the recogniser emits it ("你好 我 要 转 人工"): phrases and fillers are
    matched as whole words ("工人 工资" holds no 人工), the longest phrase first."""
    tokens = [t for t in (_NOT_LETTERS.sub("", w.lower()) for w in text.split()) if t]
    phrases = {tuple(p.split()): k for p, k in words.choices.items()}
    phrases.update({(p.replace(" ", ""),): k for p, k in words.choices.items()})  # a phrase as one word
    fillers = {f.replace(" ", "") for f in words.fillers}
    keys: set[str] = set()
    left: list[str] = []
    at = 0
    while at < len(tokens):
        for size in (3, 2, 1):
            key = phrases.get(tuple(tokens[at : at + size]))
            if key is not None:
                keys.add(key)
                at += size
                break
        else:
            if tokens[at] not in fillers:
                left.append(tokens[at])
            at += 1
    key = _first(keys)
    return key if key is not None and len("".join(left)) <= MAX_LEFT[words.language] else None


def _first(keys: set[str]) -> str | None:
    """The one key, or the one that comes first in PRECEDENCE when words of several were said."""
    return next((k for k in (*PRECEDENCE, *sorted(keys)) if k in keys), None)


def _take(text: str, phrases: Mapping[str, str], *, spaced: bool) -> tuple[str, str] | None:
    """Remove every phrase (longest first) from `text`; the one key they stand for and the rest."""
    keys: set[str] = set()
    for phrase in sorted(phrases, key=len, reverse=True):
        needle = f" {phrase} " if spaced else phrase
        if needle in text:
            keys.add(phrases[phrase])
            text = text.replace(needle, " " if spaced else "")
    key = _first(keys)
    return (key, text) if key is not None else None


def choice_spotted(
    spotted: Sequence[Mapping[str, object]], heard: Sequence[Mapping[str, object]], words: MenuWords
) -> str | None:
    """The key the keyword spotter heard: in a short utterance, confident menu words of one
    choice filling much of it (`heard`: the free recogniser's words, for the utterance's span)."""
    span = None
    if heard:
        span = (min(_at(w, "start") for w in heard), max(_at(w, "end") for w in heard))
    found = _spotted_in(spotted, span, words)
    return found[0] if found is not None else None


def spotted_choice_words(
    spotted: Sequence[Mapping[str, object]], start_s: float, end_s: float, language: str
) -> list[Mapping[str, object]] | None:
    """The menu words that decide a choice by themselves in an utterance whose voice lasted from
    `start_s` to `end_s` (the voice gate's measure), or None: then the free recogniser must hear
    it too. Lets the menu skip the free decode of "상담원" (a grammar costs a tenth of it)."""
    words = menu_words(language)
    found = _spotted_in(spotted, (start_s, end_s), words) if words is not None else None
    return found[1] if found is not None else None


def _spotted_in(
    spotted: Sequence[Mapping[str, object]], span: tuple[float, float] | None, words: MenuWords
) -> tuple[str, list[Mapping[str, object]]] | None:
    """The key and the menu words deciding it, of the spotted words within `span` (the
    utterance; without it, the spotted words' own)."""
    if span is not None:  # the spotter's words of this utterance only (an earlier one may linger)
        first, last = span[0] - SPOTTED_MARGIN_S, span[1] + SPOTTED_MARGIN_S
        spotted = [w for w in spotted if _at(w, "end") >= first and _at(w, "start") <= last]
    menu = [w for w in spotted if _at(w, "conf") >= MIN_SPOTTED_CONF]
    menu = [w for w in menu if words.key_of_word(str(w.get("word", "")).lower()) is not None]
    keys = {words.key_of_word(str(w.get("word", "")).lower()) for w in menu}
    if len(keys) > 1:  # "안내 상담원": a grammar's guess at the onset beside the word it is sure of
        sure = [w for w in menu if _at(w, "conf") >= SURE_SPOTTED_CONF]
        sure_keys = {words.key_of_word(str(w.get("word", "")).lower()) for w in sure}
        if len(sure_keys) == 1 and len(sure) < len(menu):
            keys, menu = sure_keys, sure
    if len(keys) != 1 or not menu:
        return None
    start = min([_at(w, "start") for w in spotted] + ([span[0]] if span else []))
    end = max([_at(w, "end") for w in spotted] + ([span[1]] if span else []))
    covered = sum(_at(w, "end") - _at(w, "start") for w in menu)
    if end - start > MAX_SPOTTED_SPAN_S or covered < MIN_SPOTTED_COVER * (end - start):
        return None
    key = keys.pop()
    return (key, menu) if key is not None else None


def _at(word: Mapping[str, object], field: str) -> float:
    return float(str(word.get(field, 0)))


def said_choice(
    text: str, spotted: Sequence[Mapping[str, object]], heard: Sequence[Mapping[str, object]], language: str
) -> str | None:
    """The menu key a caller's words stand for, from the transcript first, else the spotter."""
    words = menu_words(language)
    if words is None:
        return None
    return choice_in_text(text, words) or choice_spotted(spotted, heard, words)
