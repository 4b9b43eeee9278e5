"""The case list's search box: a case number's start, or words of the description, fast at any size.

Words are looked for with `ILIKE '%words%'`. Over 1,000,000 cases that alone reads every case
when the words are rare (0.5 s at p95, bench/RESULTS.md, issue 15); when they are common, the
list's own order finds a page of them among the newest cases at once. On PostgreSQL a GIN index
of each description's character pairs (migration 0015) tells the two apart:

1. the words' pairs, by the database's own `hotline_char_pairs` (the index's function, so both
   lower-case alike);
2. the rarest of them by the index's statistics (most common elements; a pair not among them is
   rarer than any that is);
3. if that pair is common, the words are too (or nearly): the list is read in its order with
   `ILIKE`, as before. Otherwise the cases holding that pair are taken from the index (at most
   `FEW`), and the list reads only those. More than `FEW` after all: read in order.

The planner cannot choose between these itself: it multiplies the pairs' frequencies as if they
were independent ("n", "o", "i", "s", "e" in "noise"...) and takes 83,000 cases for 96, then
fetches and sorts them all (0.5 s).
"""

from __future__ import annotations

import time
from threading import Lock

from sqlalchemy import ColumnElement, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from casebook.db.models import Case

FEW = 2000  # cases holding the rarest pair, beyond which reading the list in order is as fast
NUMBER_DIGITS = 6  # digits alone, this many or more: a case number's start (its date, YYMMDD, at least)
STATS_FOR_S = 300.0  # the pairs' statistics change slowly (ANALYZE): read again every five minutes

PAIR_STATS = text(
    """
    SELECT s.most_common_elems::text::text[] AS pairs, s.most_common_elem_freqs AS freqs, c.reltuples
    FROM pg_stats s JOIN pg_class c ON c.relname = 'cases'
    WHERE s.tablename = 'ix_cases_description_pairs'
    """
)

_stats: tuple[float, dict[str, float], float] = (0.0, {}, 0.0)  # (read at, pair -> frequency, cases)
_stats_lock = Lock()


def matching(s: Session, words: str) -> ColumnElement[bool]:
    """The condition for the search box's text: a case number's start (six digits or more), or
    the words anywhere in the description, capitals or not."""
    words = words.strip()
    if words.isdigit() and len(words) >= NUMBER_DIGITS:
        return Case.number.startswith(words, autoescape=True)  # its own index (varchar_pattern_ops)
    found = Case.description.icontains(words, autoescape=True)
    if s.get_bind().dialect.name != "postgresql" or len(words) < 2:
        return found  # SQLite (small casebooks), or one character: no pair to look up
    pairs = list(s.scalar(select(func.hotline_char_pairs(literal(words)))) or [])
    frequency, cases = _pair_stats(s)
    rarest = min(pairs, key=lambda pair: frequency.get(pair, 0.0))
    if frequency.get(rarest, 0.0) * cases > 10 * FEW:
        return found  # common words: the list's order finds a page of them at once
    holding = s.scalars(
        select(Case.id)
        .where(func.hotline_char_pairs(Case.description).op("@>", is_comparison=True)(literal([rarest], ARRAY(Text))))
        .limit(FEW + 1)
    ).all()
    if len(holding) > FEW:
        return found
    return Case.id.in_(holding) & found


def _pair_stats(s: Session) -> tuple[dict[str, float], float]:
    """The most common pairs with their frequencies, and how many cases there are, as ANALYZE
    last saw them (none before the first: every pair then counts as rare, and is looked up)."""
    global _stats
    read_at, frequency, cases = _stats
    if time.monotonic() - read_at < STATS_FOR_S and read_at:
        return frequency, cases
    row = s.execute(PAIR_STATS).first()
    if row is not None and row.pairs:
        frequency, cases = dict(zip(row.pairs, row.freqs, strict=False)), float(row.reltuples)
    else:
        frequency, cases = {}, 0.0
    with _stats_lock:
        _stats = (time.monotonic(), frequency, cases)
    return frequency, cases
