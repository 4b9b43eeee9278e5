"""People by CSV: the county's staff list exported, and imported (made or changed) in one go.

Columns: username, display_name, role, unit, active. A new person gets a password shown once in
the import's answer (to hand out), unless the center signs people in with its county directory,
where they get none and sign in with theirs. An existing person's role, unit, name and being
active follow the file (an administrator's own line cannot take their administration away).
Every line is checked first; one wrong line and nothing is written, with the line and why.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy import func, select

from casebook.auth.names import look_alike
from casebook.auth.passwords import hash_password, new_password
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.errors import InvalidInput
from casebook.db.models import Unit, User
from casebook.directory.editing import read_rows

COLUMNS = ("username", "display_name", "role", "unit")
NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


@dataclass(frozen=True)
class PeopleImported:
    created: int
    updated: int
    passwords: dict[str, str]  # the new people's first passwords, shown once


def export_people(auth: AuthService) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, "active"])
    with auth.sessions() as s:
        for u in s.scalars(select(User).order_by(User.username)):
            if u.role == Role.SYSTEM.value:
                continue
            writer.writerow([u.username, u.display_name, u.role, u.unit_code or "", "yes" if u.active else "no"])
    return "\ufeff" + out.getvalue()


def import_people(auth: AuthService, text: str, by: str) -> PeopleImported:
    rows = read_rows(text, COLUMNS, ("active",))
    problems: list[str] = []
    passwords: dict[str, str] = {}
    created = updated = 0
    with auth.sessions() as s:
        units = set(s.scalars(select(Unit.code)))
        seen: set[str] = set()
        for line, row in rows:
            name, role, unit = row["username"], row["role"], row.get("unit") or None
            active = row.get("active", "yes").lower() not in ("no", "false", "0", "否")
            why = _wrong(name, role, unit, units, seen)
            if why is None and name.lower() == by.lower() and (role != Role.ADMIN.value or not active):
                why = "an administrator's own line cannot take their administration away"
            if why is not None:
                problems.append(f"line {line}: {why}")
                continue
            seen.add(name.lower())
            user = s.scalar(select(User).where(func.lower(User.username) == name.lower()))
            if user is None and (alike := look_alike(s, name, also=seen - {name.lower()})) is not None:
                problems.append(f"line {line}: {name!r} reads like {alike!r}: choose a name that reads apart")
                continue
            if user is None:
                first = None if auth.directory is not None else new_password()
                user = User(
                    username=name,
                    display_name=row.get("display_name") or name,
                    password_hash=hash_password(first) if first else None,
                    created_at=auth.now(),
                )
                if first:
                    passwords[name] = first
                created += 1
            else:
                updated += 1
            user.role, user.unit_code, user.active = role, unit, active
            user.display_name = row.get("display_name") or user.display_name
            s.add(user)
        if problems:
            s.rollback()
            raise InvalidInput("nothing was imported; " + "; ".join(problems[:20]))
        s.commit()
    return PeopleImported(created, updated, passwords)


def _wrong(name: str, role: str, unit: str | None, units: set[str], seen: set[str]) -> str | None:
    if not NAME.fullmatch(name):
        return f"the user name {name[:70]!r} may hold letters, digits and . _ @ - only"
    if name.lower() in seen:
        return f"{name} is on two lines"
    if role not in {r.value for r in Role} - {Role.SYSTEM.value}:
        return f"unknown role {role[:30]!r}"
    if unit is not None and unit not in units:
        return f"unknown unit {unit[:40]!r}"
    if role == Role.UNIT_HANDLER.value and unit is None:
        return "a unit handler belongs to a unit"
    return None
