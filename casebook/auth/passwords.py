"""Passwords: how they are kept (scrypt, standard library) and which ones are refused.

A password is refused when it is shorter than `MIN_LENGTH`, blank or one character repeated, the
user name itself (or holds it), or among the passwords people choose first
(`common_passwords.txt`). The security trial of issue 16 set `aaaaaaaaaa`, ten spaces and the
user name as passwords: each is now refused with its reason.

Checking a password costs one scrypt (about 40 ms): `verify_password` runs one even for a user
that does not exist (`burn_time`), so the answer's time does not tell whether a name is known.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import unicodedata
from pathlib import Path

from casebook.cases.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON = Path(__file__).with_name("common_passwords.txt")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${key.hex()}"


@functools.cache
def _stand_in() -> str:
    """A hash no password matches, checked for users that do not exist (made once, lazily)."""
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` is the one `stored` was made from; as slow when nothing is stored."""
    if not stored or not stored.startswith("scrypt$"):
        stored, known = _stand_in(), False
    else:
        known = True
    _, salt, key = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return hmac.compare_digest(candidate.hex(), key) and known


@functools.cache
def _common() -> frozenset[str]:
    lines = COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


# words people build passwords on, then add digits or a sign to ("Password123!")
COMMON_STEMS = frozenset(
    {
        "password",
        "passw0rd",
        "p@ssword",
        "p@ssw0rd",
        "qwerty",
        "qwertyuiop",
        "asdfghjkl",
        "admin",
        "administrator",
        "welcome",
        "iloveyou",
        "woaini",
        "letmein",
        "abcdef",
        "abcdefg",
        "hotline",
        "changeme",
        "default",
        "sunshine",
        "monkey",
        "dragon",
        "football",
        "master",
        "shadow",
        "superman",
        "princess",
        "china",
        "beijing",
        "zhongguo",
        "mima",
    }
)


def _plain(password: str) -> str:
    """What a password really holds: its compatibility form (full-width letters as letters),
    without spaces and invisible characters (zero-width spaces, format marks)."""
    text = unicodedata.normalize("NFKC", password)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs"))


def check_password(password: str, username: str) -> None:
    """Raise `InvalidInput` with the reason when `password` may not be chosen by `username`.
    Its length and variety are counted without spaces and invisible characters, and full-width
    letters count as the letters they look like (security trial of issue 16)."""
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_LENGTH} characters")
    plain = _plain(password)
    if not plain:
        raise InvalidInput("a password cannot be only spaces")
    if len(plain) < MIN_LENGTH:
        raise InvalidInput(
            f"a password has at least {MIN_LENGTH} characters (spaces and invisible characters do not count)"
        )
    if len(set(plain)) < 4:
        raise InvalidInput("a password needs at least 4 different characters")
    if re.fullmatch(r"(.+?)\1+", plain):
        raise InvalidInput("a password cannot be one piece repeated")
    lowered = plain.lower()
    name = unicodedata.normalize("NFKC", username).strip().lower()
    if name and name in lowered:
        raise InvalidInput("a password cannot contain the user name")
    if lowered in _common() or re.sub(r"[\d\W_]+$", "", lowered) in COMMON_STEMS:
        raise InvalidInput("this password is among the most common ones; choose another")


def new_password() -> str:
    """A password given by an administrator's reset: 16 letters and digits, shown once."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # none read as another
    return "".join(secrets.choice(alphabet) for _ in range(16))
