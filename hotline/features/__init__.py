"""What a feature adds to a platform process, in one shape (as wazo-calld's plugins do).

Each feature's folder has a `wiring.py` whose `feature(parts)` builds what the feature needs from
the process's shared `Parts` and returns a `Feature`: its routers, its long-running work (with the
telephony application, or wherever the API is served), its health checks and what its routes find
on `app.state`. The composition root (`hotline/platform.py`) lists the features by name, one line
each, in `FEATURES`; `Platform.api` and `Platform.serve` read what they return and nothing else.
What one feature reads of another is a port (hotline/ports.py): the one offers it with
`parts.offer`, the other takes it with `parts.take`, so they never import each other.
docs/where-things-go.md says where a new feature goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter
from sqlalchemy.orm import Session, sessionmaker

from casebook.calllog.services import CallLog
from casebook.cases.services import CaseBook
from common.bus import EventBus
from hotline.ports import CallbackDialling, Port
from ivr.lines import LineBook
from telephony.ami.client import AmiClient
from telephony.ami.queue_events import QueueEvents

if TYPE_CHECKING:
    from common.settings import Settings

T = TypeVar("T")

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]
Work = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Feature:
    name: str  # its folder's name
    routers: tuple[APIRouter, ...] = ()
    with_telephony: tuple[Work, ...] = ()  # run by the process that holds the Stasis application
    with_api: tuple[Work, ...] = ()  # run by every process that serves the API
    checks: Mapping[str, HealthCheck] = field(default_factory=dict)  # in /status, with telephony
    state: Mapping[str, object] = field(default_factory=dict)  # on app.state, with telephony
    api_state: Mapping[str, object] = field(default_factory=dict)  # on app.state wherever the API is served


@dataclass
class Parts:
    """What the root gives every feature of one process: the shared parts (built, not yet
    connected), and the ports features offer each other (`offer` before `take`: the root builds
    the features in the order of `FEATURES`)."""

    settings: Settings
    bus: EventBus
    book: CaseBook
    sessions: sessionmaker[Session]
    lines: LineBook
    call_log: CallLog
    ami: AmiClient
    queue_events: QueueEvents
    callbacks: CallbackDialling
    stasis_ready: asyncio.Event
    offered: dict[str, object] = field(default_factory=dict)

    def offer(self, port: Port[T], part: T) -> None:
        """Offer `part` to the features built after this one, as `port`."""
        self.offered[port.name] = part

    def take(self, port: Port[T]) -> T:
        """The part a feature built earlier offers as `port` (a mistake in `FEATURES` if none)."""
        if port.name not in self.offered:
            raise LookupError(f"no feature before this one offers {port.name}: see FEATURES in hotline/platform.py")
        return self.offered[port.name]  # type: ignore[return-value]
