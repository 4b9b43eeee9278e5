"""Where the center's lines are kept: the lines an administrator saved (`center_settings`,
name `lines`, one JSON document), or else the installation's lines file. Saving checks what a
line refers to (a category the casebook knows), names the lines' channels in the casebook, and
every process follows within seconds (`LineFollower`); the telephony process records when
Asterisk took them (`lines_applied`), so the page can say so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casebook.cases.errors import InvalidInput
from casebook.clock import Clock
from casebook.db.models import Agent, Category, CenterSetting
from casebook.directory.seed import LineChannel, sync_lines
from ivr.lines import LineBook

NAME = "lines"
APPLIED = "lines_applied"


def fingerprint(book: LineBook) -> str:
    """A short name for what a book says (equal books, equal fingerprints)."""
    return hashlib.sha256(book.key().encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class StoredLines:
    book: LineBook
    set_by_administrator: bool
    updated_at: datetime | None
    updated_by: str | None
    in_asterisk: bool  # the telephony process has brought exactly these to Asterisk
    applied_at: datetime | None


class LineStore:
    def __init__(self, sessions: sessionmaker[Session], packaged: Callable[[], LineBook], clock: Clock) -> None:
        self.sessions = sessions
        self.packaged = packaged  # the installation's lines file, read when nothing is stored
        self.clock = clock

    def current(self) -> LineBook:
        """The lines in force: the administrators' if they saved some, else the file's."""
        with self.sessions() as s:
            row = s.get(CenterSetting, NAME)
        return self.packaged() if row is None else _parse(row.value)

    def read(self) -> StoredLines:
        with self.sessions() as s:
            row = s.get(CenterSetting, NAME)
            applied = s.get(CenterSetting, APPLIED)
            book = self.packaged() if row is None else _parse(row.value)
            applied_print, applied_at = _applied(applied)
            return StoredLines(
                book,
                row is not None,
                None if row is None else row.updated_at,
                None if row is None else row.updated_by,
                applied_print == fingerprint(book),
                applied_at,
            )

    def save(self, book: LineBook, by: str) -> LineBook:
        """New lines, in force within seconds in every process. `InvalidInput` says what is wrong."""
        with self.sessions() as s:
            known = set(s.scalars(select(Category.code)))
            unknown = sorted({line.default_category for line in book.lines} - known)
            if unknown:
                raise InvalidInput(
                    f"unknown default category {', '.join(unknown)} (see the categories in the directory)"
                )
            phones = set(s.scalars(select(Agent.extension))) & {line.number for line in book.lines}
            if phones:
                raise InvalidInput(
                    f"{', '.join(sorted(phones))} is an agent's phone extension: a hotline number must be another one"
                )
            row = s.get(CenterSetting, NAME) or CenterSetting(name=NAME)
            row.value, row.updated_at, row.updated_by = book.key(), self.clock.now(), by
            s.add(row)
            sync_lines(s, [LineChannel(line.number, line.name_zh, line.name_en) for line in book.lines])
            s.commit()
        return book

    def forget(self, by: str) -> LineBook:
        """Back to the installation's lines file."""
        with self.sessions() as s:
            row = s.get(CenterSetting, NAME)
            if row is not None:
                s.delete(row)
            book = self.packaged()
            sync_lines(s, [LineChannel(line.number, line.name_zh, line.name_en) for line in book.lines])
            s.commit()
        return book

    def mark_applied(self, book: LineBook) -> None:
        """Asterisk plays these greetings and answers these numbers now (the telephony process)."""
        with self.sessions() as s:
            row = s.get(CenterSetting, APPLIED) or CenterSetting(name=APPLIED)
            row.value = json.dumps({"fingerprint": fingerprint(book)})
            row.updated_at, row.updated_by = self.clock.now(), "telephony"
            s.add(row)
            s.commit()


def _parse(value: str) -> LineBook:
    try:
        return LineBook.model_validate_json(value)
    except ValidationError as exc:  # hand-edited in the database: say where
        raise InvalidInput(f"the stored lines (center_settings '{NAME}') are invalid: {exc}") from exc


def _applied(row: CenterSetting | None) -> tuple[str | None, datetime | None]:
    if row is None:
        return None, None
    try:
        return str(json.loads(row.value)["fingerprint"]), row.updated_at
    except (ValueError, KeyError, TypeError):
        return None, None
