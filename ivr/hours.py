"""Business hours of a line: a list of (days, from, to) rules in the center's time zone."""

from __future__ import annotations

from datetime import datetime, time

from pydantic import BaseModel, ConfigDict, field_serializer, field_validator, model_validator

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HoursRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: str = "mon-sun"
    open: time = time(0, 0)
    close: time = time(23, 59, 59)

    @field_serializer("open", "close", when_used="json")
    def _clock_time(self, value: time) -> str:
        """08:30 as people write it (no time zone: the center's), seconds only when there are some."""
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")

    @model_validator(mode="after")
    def _opens_before_closing(self) -> HoursRule:
        if self.open >= self.close:
            raise ValueError(f"opens at {self.open:%H:%M} but closes at {self.close:%H:%M}: a rule is within one day")
        return self

    @field_validator("days")
    @classmethod
    def _check_days(cls, value: str) -> str:
        parse_days(value)
        return value

    def matches(self, moment: datetime) -> bool:
        if moment.weekday() not in parse_days(self.days):
            return False
        return self.open <= moment.time().replace(tzinfo=None) < self.close


def parse_days(spec: str) -> set[int]:
    """`mon-fri,sun` -> {0,1,2,3,4,6}; raises ValueError on an unknown day name."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in spec.split(",") if p.strip()):
        if "-" in part:
            first, last = (DAY_NAMES.index(d.strip()) for d in part.split("-", 1))
            days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
        else:
            days.add(DAY_NAMES.index(part))
    return days


def is_open(rules: list[HoursRule] | None, moment: datetime) -> bool:
    """No rules at all (`None`) means open around the clock; an empty list means always closed."""
    if rules is None:
        return True
    return any(rule.matches(moment) for rule in rules)
