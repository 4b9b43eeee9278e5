"""Migration 0020: the cases of calls an agent took, saved as "phone (line unknown)" before, move to
their line's channel; nothing else moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from casebook.auth.policy import SYSTEM
from casebook.cases.intake import NewAppeal
from casebook.cases.services import CaseBook
from casebook.db.engine import make_engine, make_sessionmaker
from casebook.db.migrate import downgrade, upgrade
from casebook.directory.seed import seed_directory
from tests.conftest import new_database
from tests.unit.conftest import LINES


@pytest.fixture
def database() -> Iterator[str]:
    for url in new_database("mig20"):
        upgrade(url)
        yield url


def test_an_agents_call_moves_to_its_line_and_the_rest_stays(database: str) -> None:
    """The cases are made with today's models, put back as the desk saved them before 0020 ("phone"),
    the schema taken back to 0019 (later migrations undone) and up again: 0020 runs on them."""
    engine = make_engine(database)
    book = CaseBook(make_sessionmaker(engine))
    with book.sessions() as s:
        seed_directory(s, LINES)

    def opened(origin: str, line: str | None) -> str:
        appeal = NewAppeal(channel="phone", description="路灯坏了", line_number=line, origin=origin)
        return book.open(appeal, SYSTEM).number

    taken = opened("agent", "12345")  # what the desk saved before
    unknown_line = opened("agent", "88888")  # a line the directory does not have
    no_line = opened("agent", None)
    from_the_menu = opened("ivr", "96960")  # not the desk's: left as it is
    with engine.begin() as connection:  # as they were stored before 0020
        connection.execute(text("UPDATE cases SET channel_code = 'phone'"))
    engine.dispose()
    downgrade(database, "0019")
    upgrade(database)
    engine = make_engine(database)
    book = CaseBook(make_sessionmaker(engine))
    with book.sessions() as s:
        channels = {n: book.get(s, n).channel_code for n in (taken, unknown_line, no_line, from_the_menu)}
    engine.dispose()
    assert channels == {taken: "line-12345", unknown_line: "phone", no_line: "phone", from_the_menu: "phone"}
