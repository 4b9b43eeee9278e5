"""The callback hours an administrator sets from the page (`center_settings`), over the
installation's HOTLINE_CALLBACK_HOURS. Read again at most every `CACHE_S`, so every process
(the one that places the calls included) follows a change within half a minute."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from casebook.callbacks.hours import CallingHours
from casebook.clock import Clock
from casebook.db.models import CenterSetting

NAME = "callback_hours"
CACHE_S = 30.0


class CallbackHours:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        default: CallingHours,
        clock: Clock,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.default = default
        self.clock = clock
        self.monotonic = monotonic
        self._cached: tuple[CallingHours, float] | None = None

    def current(self) -> CallingHours:
        if self._cached is not None and self.monotonic() - self._cached[1] < CACHE_S:
            return self._cached[0]
        hours = self.default
        try:
            with self.sessions() as s:
                row = s.get(CenterSetting, NAME)
            if row is not None:
                hours = CallingHours.parse(row.value, self.default.tz.key)
        except Exception:  # a database away, a value hand-edited wrong: the installation's hours
            hours = self.default
        self._cached = (hours, self.monotonic())
        return hours

    def spec(self) -> tuple[str, bool]:
        """The hours as written (09:00-20:00), and whether an administrator set them."""
        with self.sessions() as s:
            row = s.get(CenterSetting, NAME)
        if row is not None:
            return row.value, True
        return self.default.spec(), False

    def set(self, spec: str, by: str) -> CallingHours:
        """New hours (checked: `InvalidInput` says what is wrong), in force at once here."""
        hours = CallingHours.parse(spec, self.default.tz.key)
        with self.sessions() as s:
            row = s.get(CenterSetting, NAME) or CenterSetting(name=NAME)
            row.value, row.updated_at, row.updated_by = hours.spec(), self.clock.now(), by
            s.add(row)
            s.commit()
        self._cached = (hours, self.monotonic())
        return hours
