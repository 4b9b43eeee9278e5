"""User names that read alike are refused (issue 16's trial): beside `admin`, a new `adrnin` or
`admln` could pass for it in an audit log, on a sign-in screen or in a message to a citizen. Names
are ASCII already (casebook/auth/routes.py); what is left is the letters a reader mixes up: `rn`
and `m`, `vv` and `w`, `l`, `I`, `i`, `1` and `|`, `o` and `0`, and the separators `.`, `_`, `-`
(one at either end is not seen at all).
Two names with the same skeleton are one too many.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.db.models import User

_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_LETTERS = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "_": ".", "-": "."})


def skeleton(name: str) -> str:
    """What a name looks like to a reader (lower case: names are the same in any case)."""
    text = name.strip().lower()
    for pair, like in _PAIRS:
        text = text.replace(pair, like)
    return text.translate(_LETTERS).strip(".")  # `chen.` reads as `chen`


def look_alike(s: Session, name: str, *, also: frozenset[str] | set[str] = frozenset()) -> str | None:
    """An existing user's name (or one of `also`, names being added with it) that reads as `name`
    does, but is not it."""
    shape = skeleton(name)
    for other in (*s.scalars(select(User.username)), *also):
        if other.lower() != name.strip().lower() and skeleton(other) == shape:
            return str(other)
    return None
