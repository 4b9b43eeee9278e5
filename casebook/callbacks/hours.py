"""When citizens may be called: one daily window in the center's time zone.

A callback falling outside the window waits for its next opening rather than being dropped, so a
reply recorded at 22:00 is followed up at 09:00 the next morning, not at 22:00 and not never.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from casebook.cases.errors import InvalidInput

_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
DAY_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class CallingHours:
    """[open, close) in minutes after local midnight; 0-1440 is "any time"."""

    open_min: int
    close_min: int
    tz: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str) -> CallingHours:
        """`09:00-20:00` -> a window; a window may not wrap midnight (nobody is called at night)."""
        match = _WINDOW.match(spec.strip())
        if match is None:
            raise InvalidInput(f"calling hours {spec!r}: write HH:MM-HH:MM, e.g. 09:00-20:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if not (0 <= start < DAY_MINUTES and 0 < end <= DAY_MINUTES and m1 < 60 and m2 < 60 and start < end):
            raise InvalidInput(f"calling hours {spec!r}: the window must open before it closes, within one day")
        return cls(start, end, ZoneInfo(timezone))

    def spec(self) -> str:
        """The window as written: 09:00-20:00."""
        return (
            f"{self.open_min // 60:02d}:{self.open_min % 60:02d}-{self.close_min // 60:02d}:{self.close_min % 60:02d}"
        )

    @property
    def always(self) -> bool:
        return self.open_min == 0 and self.close_min == DAY_MINUTES

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        return self.open_min <= minute < self.close_min

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when the window is open then, else the window's next opening (aware, UTC kept)."""
        if self.always or self.is_open(at):
            return at
        local = at.astimezone(self.tz)
        opening = datetime.combine(local.date(), time(self.open_min // 60, self.open_min % 60), self.tz)
        if opening <= local:  # past today's window: tomorrow's opening
            opening = datetime.combine(
                local.date() + timedelta(days=1), time(self.open_min // 60, self.open_min % 60), self.tz
            )
        return opening.astimezone(at.tzinfo)
