"""What the casebook tells the rest of the platform: one notice per change of a case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CaseNotice:
    """An event out of the casebook (the notifier's payload; its kinds are in common/events.py)."""

    kind: str
    number: str
    status: str
    data: dict[str, Any] = field(default_factory=dict)
