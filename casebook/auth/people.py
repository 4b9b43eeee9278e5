"""The administrator's work on people: list, change role and unit, disable, reset a password.

Each change returns the person before and after (`Person`), for the audit log. Disabling a person
signs them out everywhere (their tokens are revoked) and takes them off sign-in; a disabled
person's cases, events and name stay as they were. A password reset gives a new password shown
once, and signs the person out everywhere too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from types import EllipsisType
from typing import Any

from sqlalchemy import func, select

from casebook.auth.passwords import check_password, hash_password, new_password, verify_password
from casebook.auth.policy import Role
from casebook.auth.services import AuthService
from casebook.cases.errors import Forbidden, InvalidInput, NotFound
from casebook.db.models import Unit, User


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    role: str
    unit: str | None
    active: bool
    created_at: datetime
    last_sign_in_at: datetime | None = None
    locked_until: datetime | None = None

    def facts(self) -> dict[str, Any]:
        """What the audit log keeps of a person (never a password or its hash)."""
        kept = asdict(self)
        for moment in ("created_at", "last_sign_in_at", "locked_until"):
            kept.pop(moment)
        return kept


def _person(user: User, locked_until: datetime | None = None) -> Person:
    return Person(
        user.username,
        user.display_name,
        user.role,
        user.unit_code,
        user.active,
        user.created_at,
        user.last_sign_in_at,
        locked_until,
    )


class People:
    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self.sessions = auth.sessions

    def list(self, *, include_disabled: bool = True) -> list[Person]:
        with self.sessions() as s:
            query = select(User).order_by(User.active.desc(), User.username)
            if not include_disabled:
                query = query.where(User.active)
            users = list(s.scalars(query))
        locked = self.auth.throttle.locked_until([u.username for u in users])
        return [_person(u, locked.get(u.username)) for u in users]

    def get(self, username: str) -> Person:
        with self.sessions() as s:
            user = self._find(s, username)
            person = _person(user)
        locked = self.auth.throttle.locked_until([person.username])
        return _person_with(person, locked.get(person.username))

    def edit(
        self,
        username: str,
        by: str,
        *,
        role: Role | None = None,
        unit: str | EllipsisType | None = ...,
        display_name: str | None = None,
        active: bool | None = None,
    ) -> tuple[Person, Person]:
        """Change what is given; (before, after). An administrator cannot take away their own
        administration or disable themselves (the center would be left without one)."""
        with self.sessions() as s:
            user = self._find(s, username)
            before = _person(user)
            if user.username.lower() == by.lower() and ((role is not None and role != Role.ADMIN) or active is False):
                raise Forbidden("administrators cannot remove their own administration or disable themselves")
            if (
                user.role == Role.ADMIN.value
                and user.active
                and ((role is not None and role != Role.ADMIN) or active is False)
            ):
                _not_the_last_administrator(s, user)
            if role is not None:
                if role == Role.SYSTEM:
                    raise InvalidInput("system is not a role for people")
                user.role = role.value
            if unit is not ...:
                if unit is not None and s.get(Unit, unit) is None:
                    raise InvalidInput(f"unknown unit {unit!r}")
                user.unit_code = unit
            if user.role == Role.UNIT_HANDLER.value and not user.unit_code:
                raise InvalidInput("a unit handler belongs to a unit")
            if display_name is not None:
                if not display_name.strip():
                    raise InvalidInput("the display name cannot be blank")
                user.display_name = display_name.strip()
            if active is not None:
                user.active = active
            s.commit()
            after = _person(user)
        if active is False or after.role != before.role or after.unit != before.unit:
            self.auth.revoke_all(after.username)  # a new role or unit takes effect at once: sign in again
        return before, after

    def reset_password(self, username: str) -> tuple[Person, str]:
        """A new password, shown once to the administrator; the person is signed out everywhere
        and any lockout is lifted."""
        password = new_password()
        with self.sessions() as s:
            user = self._find(s, username)
            user.password_hash = hash_password(password)
            s.commit()
            person = _person(user)
        self.auth.revoke_all(person.username)
        self.auth.throttle.unlock(person.username)
        return person, password

    def change_own_password(
        self, username: str, current: str, new: str, *, token: str, address: str | None = None
    ) -> int:
        """A person changes their own password, knowing the current one; their other sign-ins end
        (a thief who had one is out), this one stays. Guessing the current one is throttled as
        signing in is (a stolen token must not let anyone try passwords freely). The number of
        other sign-ins' tokens ended."""
        self.auth.throttle.attempt(username, address)
        with self.sessions() as s:
            user = self._find(s, username)
            if not verify_password(current, user.password_hash):
                raise Forbidden("the current password is wrong")
            self.auth.throttle.succeeded(username, address)
            check_password(new, user.username)
            if current == new:
                raise InvalidInput("the new password is the current one")
            user.password_hash = hash_password(new)
            s.commit()
            name = user.username
        return self.auth.revoke_all(name, keep=token)

    @staticmethod
    def _find(s: Any, username: str) -> User:
        user = s.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
        if user is None:
            raise NotFound(f"no user {username!r}")
        return user  # type: ignore[no-any-return]


def _person_with(person: Person, locked_until: datetime | None) -> Person:
    return Person(**{**asdict(person), "locked_until": locked_until})


def _not_the_last_administrator(s: Any, user: User) -> None:
    """Refuse to leave the center without an active administrator. The administrators' rows are
    locked first, so two administrators disabling each other at once cannot both succeed: the
    second finds the first one's change (PostgreSQL reads the locked rows again)."""
    admins = s.scalars(
        select(User).where(User.role == Role.ADMIN.value, User.active).order_by(User.id).with_for_update()
    ).all()
    if not [a for a in admins if a.id != user.id and a.active and a.role == Role.ADMIN.value]:
        raise Forbidden("the center would be left without an active administrator")
