"""The administrators' edits of the directory: units (with their sections), categories (with the
classifier's keywords) and places (the gazetteer), one at a time or by CSV.

A unit, category or place is made or changed whole (`put_*`); none is ever deleted, since cases
name them: a unit is made inactive instead (it leaves the lists and the routing choices). A CSV
import checks every line first and writes nothing if any is wrong, saying which line and why;
its answer counts what it made and changed. Every process reads the directory again within a
minute (casebook/cases/directory_cache.py); this one at once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from casebook.cases.errors import Conflict, InvalidInput, NotFound
from casebook.db.models import Case, Category, Place, Section, Unit

KINDS = ("department", "township", "center")
PHONE = re.compile(r"\+?[0-9]{3,20}")
MAX_ROWS = 5000


@dataclass(frozen=True)
class UnitFacts:
    code: str
    kind: str
    name_zh: str
    name_en: str
    active: bool = True
    email: str | None = None
    sections: tuple[tuple[str, str, str], ...] | None = None  # (code, name_zh, name_en); None: kept
    phone: str | None = None  # the unit's duty phone: digits, maybe a leading +


@dataclass(frozen=True)
class CategoryFacts:
    code: str
    name_zh: str
    name_en: str
    parent: str | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlaceFacts:
    code: str
    name_zh: str
    township: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int


class DirectoryEditor:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # --- one at a time ------------------------------------------------------------------------------
    def put_unit(self, facts: UnitFacts) -> bool:
        """Make or change a unit; whether it was made."""
        with self.sessions() as s:
            made = self._unit(s, facts)
            s.commit()
        return made

    def put_category(self, facts: CategoryFacts) -> bool:
        with self.sessions() as s:
            made = self._category(s, facts)
            s.commit()
        return made

    def put_place(self, facts: PlaceFacts) -> bool:
        with self.sessions() as s:
            made = self._place(s, facts)
            s.commit()
        return made

    def remove_place(self, code: str) -> None:
        """A place the gazetteer should not have (a wrong import): gone, unless a case names it
        (its case would lose its place: change the place's name instead)."""
        with self.sessions() as s:
            place = s.get(Place, code)
            if place is None:
                raise NotFound(f"no place {code!r}")
            if code.startswith("township-"):
                raise InvalidInput("a township's own place goes with its unit (make the unit inactive)")
            used = s.scalar(select(func.count()).select_from(Case).where(Case.place_code == code))
            if used:
                raise Conflict(f"{used} case(s) name the place {code!r}: change its name or aliases instead")
            s.delete(place)
            s.commit()

    @staticmethod
    def _unit(s: Session, facts: UnitFacts) -> bool:
        if facts.kind not in KINDS:
            raise InvalidInput(f"a unit's kind is one of {', '.join(KINDS)}, not {facts.kind!r}")
        _named(facts.name_zh, facts.name_en)
        unit = s.get(Unit, facts.code)
        made = unit is None
        unit = unit or Unit(code=facts.code)
        unit.kind, unit.name_zh, unit.name_en = facts.kind, facts.name_zh.strip(), facts.name_en.strip()
        unit.active, unit.email = facts.active, facts.email or None
        if facts.phone and not PHONE.fullmatch(facts.phone):
            raise InvalidInput(f"a unit's phone is 3 to 20 digits (a leading + allowed), not {facts.phone[:24]!r}")
        unit.phone = facts.phone or None
        s.add(unit)
        if facts.sections is not None:
            kept = {x.code: x for x in s.scalars(select(Section).where(Section.unit_code == facts.code))}
            for code, name_zh, name_en in facts.sections:
                section = kept.get(code) or Section(unit_code=facts.code, code=code)
                section.name_zh, section.name_en = name_zh, name_en or name_zh
                s.add(section)
        s.flush()
        return made

    @staticmethod
    def _category(s: Session, facts: CategoryFacts) -> bool:
        _named(facts.name_zh, facts.name_en)
        if facts.parent is not None and (facts.parent == facts.code or s.get(Category, facts.parent) is None):
            raise InvalidInput(f"unknown parent category {facts.parent!r}")
        category = s.get(Category, facts.code)
        made = category is None
        category = category or Category(code=facts.code)
        category.parent_code, category.name_zh, category.name_en = facts.parent, facts.name_zh, facts.name_en
        category.keywords = [k.strip() for k in facts.keywords if k.strip()]
        s.add(category)
        s.flush()
        return made

    @staticmethod
    def _place(s: Session, facts: PlaceFacts) -> bool:
        _named(facts.name_zh, facts.name_zh)
        if facts.township is not None:
            township = s.get(Unit, facts.township)
            if township is None or township.kind != "township":
                raise InvalidInput(f"unknown township {facts.township!r}")
        place = s.get(Place, facts.code)
        made = place is None
        place = place or Place(code=facts.code)
        place.name_zh, place.township_code = facts.name_zh.strip(), facts.township
        place.aliases = [a.strip() for a in facts.aliases if a.strip()]
        s.add(place)
        s.flush()
        return made

    # --- CSV ------------------------------------------------------------------------------------------
    def export_csv(self, kind: str) -> str:
        """Every unit or place as CSV (UTF-8 with a byte-order mark, for spreadsheet programs)."""
        out = io.StringIO()
        writer = csv.writer(out)
        with self.sessions() as s:
            if kind == "units":
                writer.writerow(["code", "kind", "name_zh", "name_en", "active", "email", "phone"])
                for u in s.scalars(select(Unit).order_by(Unit.kind, Unit.code)):
                    active = "yes" if u.active else "no"
                    writer.writerow([u.code, u.kind, u.name_zh, u.name_en, active, u.email or "", u.phone or ""])
            else:
                writer.writerow(["code", "name_zh", "township", "aliases"])
                for p in s.scalars(select(Place).order_by(Place.code)):
                    writer.writerow([p.code, p.name_zh, p.township_code or "", "|".join(p.aliases or [])])
        return "\ufeff" + out.getvalue()

    def import_csv(self, kind: str, text: str) -> Imported:
        """Units or places from CSV (the export's columns); all lines, or none with the reasons."""
        rows = read_rows(
            text,
            UNIT_COLUMNS if kind == "units" else PLACE_COLUMNS,
            UNIT_OPTIONAL if kind == "units" else PLACE_OPTIONAL,
        )
        put: Callable[[Session, Any], bool] = self._unit if kind == "units" else self._place
        make = _unit_facts if kind == "units" else _place_facts
        created = updated = 0
        problems: list[str] = []
        with self.sessions() as s:
            for line, row in rows:
                try:
                    with s.begin_nested():
                        if put(s, make(row)):
                            created += 1
                        else:
                            updated += 1
                except (InvalidInput, ValueError) as exc:
                    problems.append(f"line {line}: {exc}")
            if problems:
                s.rollback()
                raise InvalidInput("nothing was imported; " + "; ".join(problems[:20]))
            s.commit()
        return Imported(created, updated)


UNIT_COLUMNS = ("code", "kind", "name_zh", "name_en")
UNIT_OPTIONAL = ("active", "email", "phone")
PLACE_COLUMNS = ("code", "name_zh")
PLACE_OPTIONAL = ("township", "aliases")


def read_rows(text: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]]:
    """The CSV's rows with their line numbers; a missing column, a column this kind of file does
    not have (another kind of file chosen: units imported as places), or too many rows: refused."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"the CSV has no column {', '.join(missing)} (first line: the column names)")
    unknown = [c for c in reader.fieldnames or [] if c and c not in (*required, *optional)]
    if unknown:
        raise InvalidInput(
            f"the CSV has columns this file does not have: {', '.join(unknown)} (another kind of file?);"
            f" its columns are {', '.join((*required, *optional))}"
        )
    rows = [(index + 2, {k: (v or "").strip() for k, v in row.items() if k}) for index, row in enumerate(reader)]
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} lines at a time")
    if not rows:
        raise InvalidInput("the CSV has no lines after the column names")
    return rows


def _code(value: str) -> str:
    import re

    if not re.fullmatch(r"[a-z0-9.@-]{1,64}", value):
        raise ValueError(f"the code {value[:70]!r} may hold lower-case letters, digits and . @ - only")
    return value


def _unit_facts(row: dict[str, str]) -> UnitFacts:
    active = row.get("active", "yes").lower() not in ("no", "false", "0", "否")
    return UnitFacts(
        _code(row["code"]),
        row["kind"],
        row["name_zh"],
        row["name_en"],
        active,
        row.get("email") or None,
        phone=row.get("phone") or None,
    )


def _place_facts(row: dict[str, str]) -> PlaceFacts:
    aliases = tuple(a for a in row.get("aliases", "").split("|") if a.strip())
    return PlaceFacts(_code(row["code"]), row["name_zh"], row.get("township") or None, aliases)


def _named(name_zh: str, name_en: str) -> None:
    if not name_zh.strip() or not name_en.strip():
        raise InvalidInput("a name (in Chinese, and in English where asked) cannot be blank")
    if len(name_zh) > 64 or len(name_en) > 96:
        raise InvalidInput("a name has at most 64 characters (96 in English)")
