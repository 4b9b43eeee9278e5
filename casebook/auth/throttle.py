"""Sign-in throttling: wrong passwords cost time, then lock the name until an administrator lifts it.

The security trial of issue 16 tried 40 wrong passwords in 1.9 s, then the right one worked. Now
failures are counted per user name (`user:<name>`, whether the name exists or not, so a lockout
tells nothing of who exists) and per address (`addr:<ip>`):

- the first `free` failures of a key cost nothing (a person mistypes);
- each further one makes the next attempt wait twice as long (2 s, 4 s, 8 s ... up to
  `max_delay_s`); an attempt made sooner is refused at once, without checking the password;
- a user name with `lock_after` failures is locked for `lockout`; an administrator can lift it
  (`unlock`), and the right password then works again;
- failures older than `window` are forgotten; the right password clears the name's count.

An attempt is counted *before* its password is checked (and uncounted if right), so attempts
sent at once in parallel cannot all slip in before the first failure is written: the row is
read with `FOR UPDATE` (PostgreSQL; SQLite writes one transaction at a time anyway).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from casebook.auth.errors import TooManyAttempts
from casebook.clock import Clock
from casebook.db.models import SignInFailure


@dataclass(frozen=True)
class ThrottlePolicy:
    free: int = 3  # failures of a user name without delay
    free_per_address: int = 20  # an office's people share one address
    max_delay_s: float = 60.0
    max_address_delay_s: float = 10.0  # an office behind one address: a colleague's typos cost them little
    lock_after: int = 10
    lockout: timedelta = timedelta(minutes=30)
    window: timedelta = timedelta(hours=1)


def user_key(username: str) -> str:
    return "user:" + username.strip().lower()[:100]


def address_key(address: str) -> str:
    return "addr:" + address[:100]


class SignInThrottle:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, policy: ThrottlePolicy | None = None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.policy = policy or ThrottlePolicy()

    def attempt(self, username: str, address: str | None) -> None:
        """Count an attempt to sign in as `username` from `address`, or refuse it
        (`TooManyAttempts`, with the seconds to wait) while the name is locked or delayed."""
        keys = [(user_key(username), self.policy.free)]
        if address:
            keys.append((address_key(address), self.policy.free_per_address))
        now = self.clock.now()
        with self.sessions() as s:
            rows = [(self._row(s, key, now), free) for key, free in keys]
            for row, free in rows:
                wait = self._wait(row, free, now)
                if wait > 0:
                    s.rollback()
                    locked = row.locked_until is not None and row.locked_until > now
                    raise TooManyAttempts(wait, locked=locked)
            for row, _free in rows:
                row.failures += 1
                row.last_at = now
                if row.key.startswith("user:") and row.failures >= self.policy.lock_after:
                    row.locked_until = now + self.policy.lockout
            s.commit()

    def succeeded(self, username: str, address: str | None) -> None:
        """The right password: the name's count is cleared, the address's attempt uncounted."""
        with self.sessions() as s:
            s.execute(delete(SignInFailure).where(SignInFailure.key == user_key(username)))
            if address:
                row = s.get(SignInFailure, address_key(address), with_for_update=True)
                if row is not None and row.failures > 0:
                    row.failures -= 1
            s.commit()

    def unlock(self, username: str) -> bool:
        """An administrator lifts a lockout; whether there was anything to lift."""
        with self.sessions() as s:
            found = getattr(
                s.execute(delete(SignInFailure).where(SignInFailure.key == user_key(username))), "rowcount", 0
            )
            s.commit()
        return bool(found)

    def locked_until(self, usernames: list[str]) -> dict[str, datetime]:
        """Of these names, the ones locked now, with the lockout's end (the users page shows it)."""
        now = self.clock.now()
        keys = {user_key(name): name for name in usernames}
        with self.sessions() as s:
            rows = s.scalars(select(SignInFailure).where(SignInFailure.key.in_(list(keys))))
            return {
                keys[row.key]: row.locked_until
                for row in rows
                if row.locked_until is not None and row.locked_until > now
            }

    # --- the rules ------------------------------------------------------------------------------
    def _row(self, s: Session, key: str, now: datetime) -> SignInFailure:
        row = s.get(SignInFailure, key, with_for_update=True)
        if row is None:
            try:
                with s.begin_nested():
                    s.add(SignInFailure(key=key, failures=0, last_at=now, locked_until=None))
            except IntegrityError:  # another attempt made it first
                pass
            row = s.get(SignInFailure, key, with_for_update=True, populate_existing=True)
            assert row is not None
        stale = row.last_at < now - self.policy.window and (row.locked_until is None or row.locked_until <= now)
        if stale or row.last_at > now + timedelta(minutes=1):  # (a clock set back never locks anyone out)
            row.failures, row.locked_until = 0, None
        return row

    def _wait(self, row: SignInFailure, free: int, now: datetime) -> int:
        """Seconds before this key may try again (0: now)."""
        if row.locked_until is not None and row.locked_until > now:
            return math.ceil((row.locked_until - now).total_seconds())
        if row.failures < free:
            return 0
        cap = self.policy.max_address_delay_s if row.key.startswith("addr:") else self.policy.max_delay_s
        delay = min(2.0 ** (row.failures - free + 1), cap)
        left = (row.last_at + timedelta(seconds=delay) - now).total_seconds()
        return max(0, math.ceil(left))

    def forget_all(self) -> None:
        """Every count and lockout gone (tests, and an administrator after an attack has ended)."""
        with self.sessions() as s:
            s.execute(delete(SignInFailure))
            s.commit()
